#!/usr/bin/env python3
"""Render bench/run.sh's results (a TSV file) as a Markdown report.

    report.py RESULTS.tsv > bench/results/DATE.md

Rows: section, domains, metric, server, value, unit, note. The medians of
the runs are reported, with ratios stsd/nginx and the targets of the issue.
The run's settings and notes come from the environment (set by run.sh).
"""
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict


def sh(cmd):
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                             timeout=20)
        return (out.stdout + out.stderr).strip()
    except Exception as e:  # a missing tool must not lose the results
        return "?(%s)" % e


def cpu_description():
    info = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if ":" in line:
                k, v = (x.strip() for x in line.split(":", 1))
                info.setdefault(k, v)
    return "%s (family %s, model %s, %s MHz, %s KB cache; flags include %s)" % (
        info.get("model name", "?"), info.get("cpu family", "?"),
        info.get("model", "?"), info.get("cpu MHz", "?").split(".")[0],
        info.get("cache size", "?").split()[0],
        ", ".join(f for f in ("aes", "sha_ni", "avx2", "avx512f")
                  if f in info.get("flags", "").split()))


def virtualisation():
    parts = []
    with open("/proc/cmdline") as f:
        if "firecracker" in f.read():
            parts.append("Firecracker microVM (kernel command line)")
    v = sh("systemd-detect-virt 2>/dev/null")
    if v and v != "none":
        parts.append("systemd-detect-virt: %s" % v)
    return "; ".join(parts) or "none detected"


def machine():
    """The machine table; saved to MACHINE_FILE on a run, reused after."""
    path = os.environ.get("MACHINE_FILE")
    if path and os.path.exists(path):
        with open(path) as f:
            return [tuple(x) for x in json.load(f)]
    mem = sh("awk '/MemTotal/ { printf \"%.1f GiB\", $2 / 1048576 }' /proc/meminfo")
    pkg = lambda p: sh("dpkg-query -W -f '${Version}' %s" % p)
    src = os.environ.get("SRC", ".")
    commit = sh("git -C %s rev-parse --short HEAD" % src)
    dirty = sh("git -C %s status --porcelain -- src | wc -l" % src)
    rows = [
        ("CPUs (nproc)", sh("nproc")),
        ("CPU model", cpu_description()),
        ("memory", mem),
        ("kernel", sh("uname -r")),
        ("Debian", sh("cat /etc/debian_version")),
        ("virtualisation", virtualisation()),
        ("stsd", "%s, commit %s%s, built with -O2 -g" % (
            sh("%s --version" % os.environ.get("STSD", "stsd")), commit,
            " + %s changed files in src/ (uncommitted)" % dirty
            if dirty not in ("0", "") else "")),
        ("nginx", "%s (Debian package nginx %s; nginx-light %s)" % (
            sh("nginx -v").replace("nginx version: ", ""), pkg("nginx"),
            pkg("nginx-light"))),
        ("GnuTLS", pkg("libgnutls30")),
        ("nettle", pkg("libnettle8")),
        ("libmicrohttpd", pkg("libmicrohttpd12")),
        ("OpenSSL (nginx, wrk)", pkg("libssl3")),
        ("wrk", pkg("wrk")),
    ]
    if path:
        with open(path, "w") as f:
            json.dump(rows, f)
    return rows


def load(path):
    rows = defaultdict(list)   # (section, n, metric, server) -> [values]
    notes = defaultdict(list)
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 7:
                continue
            sec, n, metric, server, value, unit, note = parts[:7]
            key = (sec, int(n), metric, server)
            try:
                rows[key].append(float(value))
            except ValueError:
                rows[key].append(value)
            if note:
                notes[key].append(note)
    return rows, notes


def med(vals):
    nums = [v for v in vals if isinstance(v, float)]
    return statistics.median(nums) if nums else None


def fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return "{:,.0f}".format(v).replace(",", " ")
    return "{:.{d}f}".format(v, d=digits)


def spread(vals, digits=0):
    nums = sorted(v for v in vals if isinstance(v, float))
    if len(nums) < 2:
        return ""
    return " (%s–%s)" % (fmt(nums[0], digits), fmt(nums[-1], digits))


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def verdict(r, op, target):
    if r is None or target is None:
        return ""
    ok = r >= target if op == ">=" else r <= target
    return ("met" if ok else "**missed**") + " (%s %s)" % (
        "≥" if op == ">=" else "≤", ("%.2f" % target).rstrip("0").rstrip("."))


THROUGHPUT = [
    # metric, label, higher is better, target op, target value (n <= 1000)
    ("https_keepalive", "keep-alive HTTPS, req/s (wrk, %s conns)", ">=", 1.0),
    ("https_keepalive_cpu", "  server CPU, ms per 10 000 requests", "<=", 1.0),
    ("http_keepalive", "keep-alive plain HTTP, req/s (wrk, %s conns)", ">=", 1.0),
    ("http_keepalive_cpu", "  server CPU, ms per 10 000 requests", "<=", 1.0),
    ("full_handshakes", "full TLS handshakes/s (hsload, %s workers)", ">=", 1.0),
    ("full_handshakes_cpu", "  server CPU, ms per 10 000 handshakes", "<=", 1.0),
    ("full_handshakes_p99", "  p99 connection time, µs", None, None),
    ("resumed_handshakes", "resumed TLS handshakes/s (hsload -r)", ">=", 1.3),
    # resumed ≥ 1.3× nginx's rate means ≤ 1/1.3 of its CPU per handshake
    ("resumed_handshakes_cpu", "  server CPU, ms per 10 000 handshakes", "<=", 1 / 1.3),
    ("resumed_handshakes_share", "  share of connections resumed", None, None),
    ("latency_p50", "keep-alive HTTPS at %s req/s: p50, µs", None, None),
    ("latency_p99", "keep-alive HTTPS at %s req/s: p99, µs", "<=", 1.0),
    ("latency_max", "keep-alive HTTPS at %s req/s: max, µs", None, None),
    ("latency_cpu", "  server CPU, ms per 10 000 requests", None, None),
]


def main():
    rows, notes = load(sys.argv[1])
    env = os.environ.get
    out = []
    p = out.append
    p("# stsd vs nginx benchmark, %s" % (env("STARTED", "?")[:10]))
    p("")
    p("Produced by `bench/run.sh` (see `bench/README`); every figure is the "
      "median of %s runs (min–max in parentheses), measured in the same run "
      "for both servers, which alternate in going first. Ratios are stsd / "
      "nginx. Not a pass/fail test: the targets are the issue's, for "
      "reading." % env("RUNS", "?"))
    p("")
    p("## Machine and command")
    p("")
    p("| | |")
    p("|---|---|")
    for k, v in machine():
        p("| %s | %s |" % (k, v.replace("|", "/").replace("\n", " ")))
    p("| command | `%s` |" % env("COMMAND", "bench/run.sh"))
    p("| started / ended | %s / %s |" % (env("STARTED", "?"), env("ENDED", "?")))
    p("| machine state | %s |" % env("QUIET_NOTE", "?"))
    p("| before the run | %s |" % env("BUSY_BEFORE", "?").replace(
        "\n", "<br>").replace("|", "/"))
    p("| after the run | %s |" % env("BUSY_AFTER", "?").replace(
        "\n", "<br>").replace("|", "/"))
    p("")
    p("Both servers are pinned to CPU 0 (`taskset -c 0`), every load client "
      "to CPU 1; loopback only. Server CPU is utime+stime of the server "
      "processes (stsd; nginx master and worker) from `/proc/PID/stat`, "
      "read before and after each run: the fairest figure, because the "
      "client, not the server, may be what saturates.")
    p("")

    # ---- throughput
    sizes = sorted({k[1] for k in rows if k[0] == "throughput"})
    for n in sizes:
        p("## Throughput, CPU and latency at %s domain%s" % (
            fmt(n), "" if n == 1 else "s"))
        p("")
        p("| metric | stsd | nginx | stsd/nginx | target |")
        p("|---|---:|---:|---:|---|")
        for metric, label, op, target in THROUGHPUT:
            s = rows.get(("throughput", n, metric, "stsd"))
            g = rows.get(("throughput", n, metric, "nginx"))
            if not s and not g:
                continue
            if "%s" in label:
                label = label % (env("LAT_RATE", "2000") if "latency" in metric
                                 else env("HS_WORKERS", "16")
                                 if "handshakes" in metric
                                 else env("KA_CONNS", "50"))
            digits = 3 if metric.endswith("share") else 1 \
                if metric.endswith("cpu") else 0
            ms, mg = med(s or []), med(g or [])
            r = ratio(ms, mg)
            errs = [x.split()[0] for x in
                    notes.get(("throughput", n, metric, "stsd"), [])
                    + notes.get(("throughput", n, metric, "nginx"), [])
                    if x.startswith("errors=") and
                    not x.startswith("errors=0 ") and x != "errors=0"]
            label = label.replace("  ", "&nbsp;&nbsp;", 1) \
                if label.startswith("  ") else label
            p("| %s%s | %s%s | %s%s | %s | %s |" % (
                label, " (errors: %s)" % ", ".join(errs) if errs else "",
                fmt(ms, digits), spread(s or [], digits),
                fmt(mg, digits), spread(g or [], digits),
                fmt(r, 2), verdict(r, op, target) if n <= 1000 else ""))
        hwm = rows.get(("throughput", n, "rss_after_load", "stsd"))
        if hwm:
            p("")
            p("stsd's peak RSS after these runs: %s kB." % fmt(med(hwm)))
        tls = rows.get(("info", n, "tls_stsd", "stsd")) or []
        tln = rows.get(("info", n, "tls_nginx", "nginx")) or []
        if tls or tln:
            p("")
            p("Negotiated with hsload: stsd `%s`, nginx `%s`." % (
                sorted(set(map(str, tls)))[0] if tls else "?",
                sorted(set(map(str, tln)))[0] if tln else "?"))
        p("")

    # ---- issue 12: system calls per response; stsd at scale vs nginx at 1
    for n in sorted({k[1] for k in rows if k[0] == "syscalls"}):
        p("## System calls per keep-alive HTTPS response")
        p("")
        p("`strace -f -c` attached to the server's processes during `wrk "
          "-t1 -c%s` at %s domain%s; every system call of the server "
          "counted, divided by the responses wrk received (strace slows "
          "the servers: only the counts mean anything here)." % (
              env("KA_CONNS", "50"), fmt(n), "" if n == 1 else "s"))
        p("")
        p("| server | per response | the main ones | target |")
        p("|---|---:|---|---|")
        for server in ("stsd", "nginx"):
            v = rows.get(("syscalls", n, "syscalls_per_response", server))
            if not v:
                continue
            det = notes.get(("syscalls", n, "syscalls_per_response", server), [""])
            p("| %s | %s | %s | %s |" % (
                server, fmt(med(v), 2), det[-1].replace(",", ", "),
                verdict(med(v), "<=", 3) if server == "stsd" else ""))
        p("")
    for n in sorted({k[1] for k in rows if k[0] == "scale"}):
        s = rows.get(("scale", n, "https_keepalive", "stsd"))
        g = rows.get(("scale", n, "https_keepalive", "nginx"))
        sc = rows.get(("scale", n, "https_keepalive_cpu", "stsd"))
        gc = rows.get(("scale", n, "https_keepalive_cpu", "nginx"))
        p("## stsd at %s domains against nginx at 1 domain" % fmt(n))
        p("")
        p("Keep-alive HTTPS (`wrk -t1 -c%s`), stsd serving %s domains with "
          "one certificate each (the last domain requested), nginx serving "
          "one; alternating which goes first." % (env("KA_CONNS", "50"), fmt(n)))
        p("")
        p("| metric | stsd at %s | nginx at 1 | stsd/nginx | target |" % fmt(n))
        p("|---|---:|---:|---:|---|")
        r = ratio(med(s or []), med(g or []))
        p("| keep-alive HTTPS, req/s | %s%s | %s%s | %s | %s |" % (
            fmt(med(s or [])), spread(s or []), fmt(med(g or [])),
            spread(g or []), fmt(r, 2), verdict(r, ">=", 1.0)))
        r = ratio(med(sc or []), med(gc or []))
        p("| &nbsp;&nbsp;server CPU, ms per 10 000 requests | %s%s | %s%s | %s | |" % (
            fmt(med(sc or []), 1), spread(sc or [], 1), fmt(med(gc or []), 1),
            spread(gc or [], 1), fmt(r, 2)))
        hwm = rows.get(("scale", n, "rss", "stsd"))
        if hwm:
            p("")
            p("stsd's peak RSS at %s domains: %s kB." % (fmt(n), fmt(med(hwm))))
        p("")

    # ---- memory
    msizes = sorted({k[1] for k in rows if k[0] == "rss"})
    if msizes:
        p("## Memory when idle (after start-up and one second of handshakes)")
        p("")
        p("| domains | stsd VmHWM, kB | nginx worker VmHWM, kB | nginx master "
          "VmHWM, kB | nginx PSS master+worker, kB | stsd/nginx worker | target |")
        p("|---:|---:|---:|---:|---:|---:|---|")
        for n in msizes:
            s = med(rows.get(("rss", n, "vmhwm", "stsd"), []))
            w = med(rows.get(("rss", n, "vmhwm", "nginx"), []))
            m = med(rows.get(("rss", n, "vmhwm_master", "nginx"), []))
            pss = med(rows.get(("rss", n, "pss_total", "nginx"), []))
            r = ratio(s, w)
            p("| %s | %s | %s | %s | %s | %s | %s |" % (
                fmt(n), fmt(s), fmt(w), fmt(m), fmt(pss), fmt(r, 3),
                verdict(r, "<=", 0.1) if n == 1000 else ""))
        p("")

    # ---- start-up and reload
    ssizes = sorted({k[1] for k in rows if k[0] == "startup"})
    if ssizes:
        p("## Start-up and reload")
        p("")
        p("Start-up: from exec to the first correct response (the last "
          "domain's policy) seen by a client polling every 5 ms. Reload: "
          "the last domain's mx is changed in the configuration, then from "
          "SIGHUP to the first response with the new policy, while two "
          "paced loads run (1 000 keep-alive req/s on 8 connections and 50 "
          "new connections/s); \"failed\" counts their failed requests. "
          "Pinned to one CPU like nginx's one worker, except the rows "
          "\"all CPUs\": stsd parses certificates on one thread per CPU "
          "it may use, and a machine hosting it is not pinned.")
        p("")
        p("| domains | what | time, ms | failed requests during reload | "
          "peak RSS, kB | target |")
        p("|---:|---|---:|---|---:|---|")
        for n in ssizes:
            for metric, label, tgt in [
                    ("start_stsd_backend", "stsd start, backend (plain HTTP, include:d files)",
                     2000 if n >= 100000 else None),
                    ("reload_stsd_backend", "stsd reload, backend",
                     2000 if n >= 100000 else None),
                    ("start_stsd_tls", "stsd start, HTTPS with certificates", None),
                    ("reload_stsd_tls", "stsd reload, HTTPS with certificates", None),
                    ("start_stsd_tls_all", "stsd start, HTTPS with certificates, all CPUs",
                     3000 if n >= 100000 else None),
                    ("reload_stsd_tls_all", "stsd reload, HTTPS with certificates, all CPUs",
                     3000 if n >= 100000 else None),
                    ("start_nginx_tls", "nginx start, HTTPS with certificates", None),
                    ("reload_nginx_tls", "nginx reload, HTTPS with certificates", None)]:
                server = "nginx" if "nginx" in metric else "stsd"
                key = ("startup", n, metric, server)
                if key not in rows:
                    continue
                v = med(rows[key])
                failed = "; ".join(x.split()[0] for x in notes.get(key, [])) \
                    if metric.startswith("reload") else ""
                rss = rows.get(("startup", n, metric.replace("start_", "rss_"),
                                server)) if metric.startswith("start_stsd") else None
                t = ""
                if tgt:
                    t = "met (< %s ms)" % tgt if v is not None and v < tgt \
                        else "**missed** (< %s ms)" % tgt
                    if metric.startswith("reload"):
                        bad = [x for x in notes.get(key, [])
                               if not x.startswith("failed=0/")]
                        if bad:
                            t += "; **requests failed**"
                p("| %s | %s | %s%s | %s | %s | %s |" % (
                    fmt(n), label, fmt(v), spread(rows[key]), failed,
                    fmt(med(rss)) if rss else "", t))
        # stsd with certificates vs nginx at the same size
        for n in ssizes:
            s = med(rows.get(("startup", n, "start_stsd_tls", "stsd"), []))
            g = med(rows.get(("startup", n, "start_nginx_tls", "nginx"), []))
            if s is not None and g is not None:
                r = ratio(s, g)
                p("")
                p("Start-up with certificates at %s domains, stsd/nginx: "
                  "**%s** — %s." % (fmt(n), fmt(r, 3), verdict(r, "<=", 0.15)))
        p("")

    p("## How each figure is measured")
    p("")
    p("- **Keep-alive HTTPS**: `wrk -t1 -c%s -d%ss https://mta-sts.dN.test:PORT/.well-known/mta-sts.txt` "
      "(SNI and Host of a real test domain; the name resolves through a "
      "private /etc/hosts in a mount namespace). **Plain HTTP**: the same "
      "on the plain listeners (stsd's backend listener, nginx's plain "
      "`listen`) with `-H 'Host: mta-sts.dN.test'`." % (
          env("KA_CONNS", "50"), env("SECS", "?")))
    p("- **Full handshakes**: `bench/hsload.c` (GnuTLS client): %s "
      "workers, each connects, handshakes with SNI, sends one GET with "
      "`Connection: close`, reads the response, and never offers a session. "
      "**Resumed**: the same with `-r`, each worker offering the ticket of "
      "its previous connection (the share actually resumed is shown). The "
      "client offers only the X25519 group so that both servers do the same "
      "key exchange (ECDHE-X25519, ECDSA P-256 certificate, AES-128-GCM)." %
      env("HS_WORKERS", "16"))
    p("- **Latency**: `hsload -k -R %s -c %s`: an open-loop client "
      "(wrk2 is not in Debian) sending %s req/s in all over %s keep-alive "
      "HTTPS connections, connected before the clock starts; latency counts "
      "from when each request was due, so stalls are not hidden." % (
          env("LAT_RATE", "2000"), env("KA_CONNS", "50"),
          env("LAT_RATE", "2000"), env("KA_CONNS", "50")))
    p("- **nginx**: Debian's nginx 1.22, one worker, one `server {}` per "
      "domain with its own `ssl_certificate`, `access_log off`, keep-alive "
      "(`keepalive_requests` 10 000 000), TLS 1.2–1.3 with the AEAD suites "
      "of stsd's default priority string (AES-128-GCM preferred, "
      "`ssl_prefer_server_ciphers on`), the groups in GnuTLS's order, "
      "session cache and tickets on, the policy from "
      "`location = /.well-known/mta-sts.txt { return 200 \"...\"; }` with "
      "`default_type text/plain` and `Cache-Control: no-cache` like stsd. "
      "Both servers' bodies are compared byte for byte before measuring.")
    p("- **stsd**: `https` and `http` listeners on loopback, "
      "`certificates: - dir:` with NAME.pem + NAME.key pairs, `access_log: "
      "off`, `limits.connections` and `connections_per_ip` raised to 4096 "
      "(the default of 32 per IP would refuse wrk's 50 connections from "
      "127.0.0.1), domains in include:d files of 1 000 each.")
    p("- Certificates: a test CA from `tests/lib/certs.sh` (certtool); one "
      "ECDSA P-256 leaf per domain (chain: leaf + CA) from "
      "`bench/mkcerts.c`, since 100 000 certtool runs would take an hour.")
    p("")
    analysis = env("ANALYSIS", "")
    if analysis:
        with open(analysis) as f:
            p(f.read().rstrip("\n"))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
