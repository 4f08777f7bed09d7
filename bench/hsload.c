/*
 * hsload: a small HTTPS/HTTP load client for the stsd benchmarks.
 *
 * wrk resumes TLS sessions across reconnects, so it cannot measure full
 * handshakes, and it has no fixed-rate mode (wrk2 is not in Debian). This
 * client does both, and also waits for a server's first correct response
 * (start-up and reload times).
 *
 *   hsload [options] ADDRESS PORT
 *
 * Modes:
 *   (default)  every worker loops: connect, TLS handshake with SNI, one GET
 *              with "Connection: close", read the whole response, read to
 *              end of stream, close. No session is ever offered: every
 *              handshake is a full one.
 *   -r         the same, but each worker offers the session (ticket) of its
 *              previous connection: resumed handshakes.
 *   -k         keep-alive: each worker connects (and sends one untimed
 *              request) before the clock starts, then sends its requests
 *              on that connection (reconnecting if the server closes it).
 *   -R RATE    open loop at RATE requests (or connections) per second in
 *              all (each worker RATE/N, evenly staggered). Latency is
 *              measured from the time each request was due, not from when
 *              it was sent, so a stalled server is not hidden (wrk2's
 *              "coordinated omission" fix).
 *   -w SECS    wait: try one request every 5 ms until the first correct
 *              response, for at most SECS; print its CLOCK_REALTIME.
 *
 * Options: -s NAME (SNI and Host), -u PATH, -c WORKERS, -t SECS, -P (plain
 * HTTP, no TLS), -e STRING (a correct response is a 200 whose body contains
 * STRING), -p PRIORITY (GnuTLS client priority; default: TLS 1.3/1.2 with
 * only the X25519 group, so that every server does the same key exchange).
 *
 * SIGINT or SIGTERM ends the run early (within the 5 s I/O timeout) and
 * still prints the results. In keep-alive mode, a request whose reused
 * connection the server closed before sending any byte of the response is
 * resent once on a new connection, as HTTP clients do (counted as
 * "retried", not as an error).
 *
 * Output: one line of key=value pairs (requests, errors, rate, latency
 * percentiles in microseconds, what was negotiated). Exit status 0 when no
 * request failed, 1 otherwise, 2 on a usage error.
 *
 * Bench-only code: not part of stsd. Every loop is bounded by the deadline
 * and every socket read by a 5 s timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define MAX_WORKERS 1024
#define MAX_SAMPLES_PER_WORKER (1u << 22)
#define IO_TIMEOUT_S 5

struct opts {
	const char *addr, *port, *sni, *path, *expect, *priority;
	int workers;
	double seconds, rate, wait;
	int resume, keepalive, plain;
};

struct sample_buf {
	uint32_t *v;
	size_t n, cap;
};

struct worker {
	pthread_t thread;
	int id;
	const struct opts *o;
	/* results */
	uint64_t requests, errors, conns, resumed, reconnects, dropped;
	uint64_t retried;	/* keep-alive requests resent after the server
				 * closed an idle connection (as HTTP clients
				 * do, RFC 9112 section 9.3.1) */
	size_t last_received;	/* bytes of the last response read */
	struct sample_buf lat;
	char desc[160];
	char last_error[160];
};

static gnutls_certificate_credentials_t creds;
static gnutls_priority_t prio;
static struct addrinfo *target;
static char request[1024];
static size_t request_len;
static char request_close[1024];
static size_t request_close_len;
static uint64_t t_start_ns, t_end_ns;
static pthread_barrier_t start_barrier;
static volatile sig_atomic_t stop_now;	/* SIGINT/SIGTERM: finish and report */

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until_ns(uint64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000u),
			       (long)(t % 1000000000u) };
	while (!stop_now && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
					    &ts, NULL) == EINTR)
		;
}

static void add_sample(struct worker *w, uint64_t ns)
{
	struct sample_buf *b = &w->lat;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		if (cap > MAX_SAMPLES_PER_WORKER) {
			w->dropped++;
			return;
		}
		uint32_t *v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			w->dropped++;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	uint64_t us = ns / 1000;
	b->v[b->n++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void set_error(struct worker *w, const char *what, const char *why)
{
	snprintf(w->last_error, sizeof(w->last_error), "%s: %s", what, why);
}

/* One connection: a socket and, unless plain, a TLS session. */
struct conn {
	int fd;
	gnutls_session_t s;
	int open;
};

static void conn_close(struct conn *c)
{
	if (c->s)
		gnutls_deinit(c->s);
	if (c->fd >= 0)
		close(c->fd);
	c->s = NULL;
	c->fd = -1;
	c->open = 0;
}

static int conn_open(struct worker *w, struct conn *c,
		     const gnutls_datum_t *resume_data)
{
	const struct opts *o = w->o;
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	int one = 1, rc;

	c->s = NULL;
	c->fd = socket(target->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		set_error(w, "socket", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, target->ai_addr, target->ai_addrlen) < 0) {
		set_error(w, "connect", strerror(errno));
		conn_close(c);
		return -1;
	}
	w->conns++;
	if (o->plain) {
		c->open = 1;
		return 0;
	}
	if ((rc = gnutls_init(&c->s, GNUTLS_CLIENT)) < 0
	    || (rc = gnutls_priority_set(c->s, prio)) < 0
	    || (rc = gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE,
					    creds)) < 0
	    || (o->sni && (rc = gnutls_server_name_set(c->s, GNUTLS_NAME_DNS,
					o->sni, strlen(o->sni))) < 0)) {
		set_error(w, "gnutls setup", gnutls_strerror(rc));
		conn_close(c);
		return -1;
	}
	if (resume_data && resume_data->size)
		gnutls_session_set_data(c->s, resume_data->data,
					resume_data->size);
	gnutls_transport_set_int(c->s, c->fd);
	gnutls_handshake_set_timeout(c->s, IO_TIMEOUT_S * 1000);
	do {
		rc = gnutls_handshake(c->s);
	} while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0) {
		set_error(w, "handshake", gnutls_strerror(rc));
		conn_close(c);
		return -1;
	}
	if (gnutls_session_is_resumed(c->s))
		w->resumed++;
	if (!w->desc[0]) {
		char *d = gnutls_session_get_desc(c->s);
		if (d) {
			snprintf(w->desc, sizeof(w->desc), "%s", d);
			gnutls_free(d);
		}
	}
	c->open = 1;
	return 0;
}

static ssize_t conn_send(struct conn *c, const char *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n;
		if (c->s)
			n = gnutls_record_send(c->s, buf + off, len - off);
		else
			n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED
			      || (!c->s && errno == EINTR)))
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return (ssize_t)off;
}

/* 0 on end of stream, -1 on error, else bytes read */
static ssize_t conn_recv(struct conn *c, char *buf, size_t len)
{
	for (;;) {
		ssize_t n;
		if (c->s) {
			n = gnutls_record_recv(c->s, buf, len);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n == GNUTLS_E_PREMATURE_TERMINATION)
				return 0;
			return n < 0 ? -1 : n;
		}
		n = recv(c->fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

/*
 * Read one response (head and Content-Length body). 1 when it is a 200 and
 * contains the expected string, 0 when it is a complete but wrong response,
 * -1 on an I/O error or an incomplete response. *server_close is set when
 * the server said "Connection: close".
 */
static int read_response(struct worker *w, struct conn *c, int *server_close)
{
	char buf[16384];
	size_t have = 0;
	char *head_end = NULL;

	*server_close = 0;
	w->last_received = 0;
	while (!head_end) {
		if (have == sizeof(buf) - 1) {
			set_error(w, "response", "head too large");
			return -1;
		}
		ssize_t n = conn_recv(c, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0) {
			set_error(w, "response", n == 0 ? "connection closed"
				  : "read error");
			return -1;
		}
		have += (size_t)n;
		w->last_received = have;
		buf[have] = '\0';
		head_end = strstr(buf, "\r\n\r\n");
	}
	size_t head_len = (size_t)(head_end - buf) + 4;
	long clen = -1;
	int status = 0;
	sscanf(buf, "HTTP/1.%*d %d", &status);
	for (char *line = strstr(buf, "\r\n"); line && line < head_end;
	     line = strstr(line, "\r\n")) {
		line += 2;
		char *eol = strstr(line, "\r\n");
		if (!strncasecmp(line, "content-length:", 15)) {
			clen = strtol(line + 15, NULL, 10);
		} else if (!strncasecmp(line, "connection:", 11)) {
			char *cl = strcasestr(line, "close");
			if (cl && cl < eol)
				*server_close = 1;
		}
	}
	if (clen < 0 || (size_t)clen > sizeof(buf) - 1 - head_len) {
		set_error(w, "response", "no or too large Content-Length");
		return -1;
	}
	while (have < head_len + (size_t)clen) {
		ssize_t n = conn_recv(c, buf + have,
				      head_len + (size_t)clen - have);
		if (n <= 0) {
			set_error(w, "response", "short body");
			return -1;
		}
		have += (size_t)n;
	}
	buf[have] = '\0';
	if (have > head_len + (size_t)clen) {
		set_error(w, "response", "extra bytes after the body");
		return -1;
	}
	if (status != 200) {
		char st[32];
		snprintf(st, sizeof(st), "status %d", status);
		set_error(w, "response", st);
		return 0;
	}
	if (w->o->expect && !strstr(buf + head_len, w->o->expect)) {
		set_error(w, "response", "body lacks the expected string");
		return 0;
	}
	return 1;
}

/* Read until the server closes: the server, not this client, then holds
 * the TIME_WAIT state, so the client's ports never run out. */
static void drain_to_eof(struct conn *c)
{
	char buf[4096];
	for (int i = 0; i < 64; i++)
		if (conn_recv(c, buf, sizeof(buf)) <= 0)
			return;
}

/*
 * When the next request starts: with a rate, when it is due (sleeping until
 * then; a late worker does not sleep, and its latency counts from the due
 * time); without one, now. 0 when the run is over.
 */
static uint64_t next_start(struct worker *w, uint64_t *due, uint64_t deadline)
{
	const struct opts *o = w->o;
	uint64_t t;

	if (stop_now)
		return 0;
	if (o->rate <= 0) {
		t = now_ns();
		return t < deadline ? t : 0;
	}
	if (*due == 0)
		*due = t_start_ns + (uint64_t)(1e9 * w->id / o->rate);
	if (*due >= deadline)
		return 0;
	t = *due;
	sleep_until_ns(t);
	*due += (uint64_t)(1e9 * o->workers / o->rate);
	return t;
}

static void *run_close_mode(struct worker *w)
{
	const struct opts *o = w->o;
	gnutls_datum_t sess = { NULL, 0 };
	uint64_t deadline = t_start_ns + (uint64_t)(o->seconds * 1e9);
	uint64_t due = 0, t0;

	while ((t0 = next_start(w, &due, deadline)) != 0) {
		struct conn c = { -1, NULL, 0 };
		int sclose, ok;

		if (conn_open(w, &c, o->resume ? &sess : NULL) < 0) {
			w->errors++;
			usleep(1000);
			continue;
		}
		if (conn_send(&c, request_close, request_close_len) < 0) {
			set_error(w, "send", "failed");
			w->errors++;
			conn_close(&c);
			continue;
		}
		ok = read_response(w, &c, &sclose);
		if (ok == 1) {
			w->requests++;
			add_sample(w, now_ns() - t0);
		} else {
			w->errors++;
		}
		if (o->resume && c.s) {
			gnutls_datum_t d;
			if (gnutls_session_get_data2(c.s, &d) == 0) {
				gnutls_free(sess.data);
				sess = d;
			}
		}
		if (ok >= 0)
			drain_to_eof(&c);
		conn_close(&c);
	}
	gnutls_free(sess.data);
	return NULL;
}

static void *run_keepalive_mode(struct worker *w)
{
	const struct opts *o = w->o;
	struct conn c = { -1, NULL, 0 };
	uint64_t deadline, due = 0, t0;
	int sclose;

	/* Connect and send one untimed request first, so that the timed run
	 * measures requests, not the handshakes of the first second. */
	if (conn_open(w, &c, NULL) == 0
	    && (conn_send(&c, request, request_len) < 0
		|| read_response(w, &c, &sclose) < 0 || sclose))
		conn_close(&c);
	w->conns = 0;
	pthread_barrier_wait(&start_barrier);	/* all connected */
	pthread_barrier_wait(&start_barrier);	/* t_start_ns is set */
	deadline = t_start_ns + (uint64_t)(o->seconds * 1e9);

	while ((t0 = next_start(w, &due, deadline)) != 0) {
		int ok = -1, reused = 0;

		for (int attempt = 0; attempt < 2; attempt++) {
			reused = c.open;
			if (!c.open) {
				w->reconnects++;
				if (conn_open(w, &c, NULL) < 0) {
					usleep(1000);
					break;
				}
			}
			if (conn_send(&c, request, request_len) < 0) {
				set_error(w, "send", "failed");
				conn_close(&c);
				ok = -1;
			} else {
				ok = read_response(w, &c, &sclose);
				if (ok < 0 || sclose)
					conn_close(&c);
			}
			/* a reused connection closed before any byte of the
			 * response: the server closed it while idle; resend
			 * once on a new connection */
			if (ok < 0 && reused && w->last_received == 0
			    && !stop_now) {
				w->retried++;
				continue;
			}
			break;
		}
		if (ok == 1) {
			w->requests++;
			add_sample(w, now_ns() - t0);
		} else {
			w->errors++;
		}
	}
	conn_close(&c);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	if (w->o->keepalive)
		return run_keepalive_mode(w);
	return run_close_mode(w);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static uint32_t pct(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)n);
	if (i >= n)
		i = n - 1;
	return v[i];
}

static int wait_mode(const struct opts *o)
{
	struct worker w;
	struct timespec rt;
	uint64_t deadline = now_ns() + (uint64_t)(o->wait * 1e9);
	unsigned long tries = 0;

	memset(&w, 0, sizeof(w));
	w.o = o;
	while (now_ns() < deadline) {
		struct conn c = { -1, NULL, 0 };
		int sclose, ok = -1;

		tries++;
		if (conn_open(&w, &c, NULL) == 0) {
			if (conn_send(&c, request_close, request_close_len) > 0)
				ok = read_response(&w, &c, &sclose);
			conn_close(&c);
		}
		if (ok == 1) {
			clock_gettime(CLOCK_REALTIME, &rt);
			printf("ok=1 realtime_ns=%llu tries=%lu\n",
			       (unsigned long long)rt.tv_sec * 1000000000ull
			       + (unsigned long long)rt.tv_nsec, tries);
			return 0;
		}
		usleep(5000);
	}
	printf("ok=0 tries=%lu last_error=\"%s\"\n", tries, w.last_error);
	return 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hsload [-s NAME] [-u PATH] [-c WORKERS] [-t SECS] "
		"[-r] [-k] [-R RATE]\n"
		"              [-P] [-e STRING] [-p PRIORITY] [-w SECS] "
		"ADDRESS PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.path = "/.well-known/mta-sts.txt",
		.priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
			    "-GROUP-ALL:+GROUP-X25519",
		.workers = 8,
		.seconds = 5,
	};
	int opt, rc;

	while ((opt = getopt(argc, argv, "s:u:c:t:rkR:Pe:p:w:")) != -1) {
		switch (opt) {
		case 's': o.sni = optarg; break;
		case 'u': o.path = optarg; break;
		case 'c': o.workers = atoi(optarg); break;
		case 't': o.seconds = atof(optarg); break;
		case 'r': o.resume = 1; break;
		case 'k': o.keepalive = 1; break;
		case 'R': o.rate = atof(optarg); break;
		case 'P': o.plain = 1; break;
		case 'e': o.expect = optarg; break;
		case 'p': o.priority = optarg; break;
		case 'w': o.wait = atof(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 2 || o.workers < 1 || o.workers > MAX_WORKERS
	    || o.seconds <= 0 || o.seconds > 3600 || o.wait < 0
	    || o.wait > 3600 || o.rate < 0
	    || (o.resume && (o.keepalive || o.plain)))
		usage();
	o.addr = argv[optind];
	o.port = argv[optind + 1];

	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	if ((rc = getaddrinfo(o.addr, o.port, &hints, &target)) != 0) {
		fprintf(stderr, "hsload: %s %s: %s\n", o.addr, o.port,
			gai_strerror(rc));
		return 2;
	}
	const char *host = o.sni ? o.sni : o.addr;
	request_len = (size_t)snprintf(request, sizeof(request),
		"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hsload\r\n"
		"Accept: */*\r\n\r\n", o.path, host);
	request_close_len = (size_t)snprintf(request_close,
		sizeof(request_close),
		"GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: hsload\r\n"
		"Accept: */*\r\nConnection: close\r\n\r\n", o.path, host);

	if ((rc = gnutls_global_init()) < 0
	    || (rc = gnutls_certificate_allocate_credentials(&creds)) < 0
	    || (rc = gnutls_priority_init(&prio, o.priority, NULL)) < 0) {
		fprintf(stderr, "hsload: gnutls: %s\n", gnutls_strerror(rc));
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (o.wait > 0)
		return wait_mode(&o);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;	/* no SA_RESTART: wake the sleepers */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct worker *ws = calloc((size_t)o.workers, sizeof(*ws));
	if (!ws) {
		fprintf(stderr, "hsload: out of memory\n");
		return 2;
	}
	if (o.keepalive)
		pthread_barrier_init(&start_barrier, NULL,
				     (unsigned)o.workers + 1);
	t_start_ns = now_ns();
	for (int i = 0; i < o.workers; i++) {
		ws[i].id = i;
		ws[i].o = &o;
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i])) {
			fprintf(stderr, "hsload: cannot start a thread\n");
			return 2;
		}
	}
	if (o.keepalive) {
		pthread_barrier_wait(&start_barrier);
		t_start_ns = now_ns();
		pthread_barrier_wait(&start_barrier);
	}
	uint64_t req = 0, err = 0, conns = 0, resumed = 0, recon = 0;
	uint64_t dropped = 0, retried = 0;
	size_t total = 0;
	for (int i = 0; i < o.workers; i++) {
		pthread_join(ws[i].thread, NULL);
		req += ws[i].requests;
		err += ws[i].errors;
		conns += ws[i].conns;
		resumed += ws[i].resumed;
		recon += ws[i].reconnects;
		dropped += ws[i].dropped;
		retried += ws[i].retried;
		total += ws[i].lat.n;
	}
	t_end_ns = now_ns();

	uint32_t *all = malloc((total ? total : 1) * sizeof(*all));
	if (!all) {
		fprintf(stderr, "hsload: out of memory\n");
		return 2;
	}
	size_t k = 0;
	const char *desc = "", *last_error = "";
	for (int i = 0; i < o.workers; i++) {
		memcpy(all + k, ws[i].lat.v, ws[i].lat.n * sizeof(*all));
		k += ws[i].lat.n;
		if (!desc[0] && ws[i].desc[0])
			desc = ws[i].desc;
		if (ws[i].last_error[0])
			last_error = ws[i].last_error;
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	double secs = (double)(t_end_ns - t_start_ns) / 1e9;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3
		+ (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	printf("requests=%llu errors=%llu connections=%llu resumed=%llu "
	       "reconnects=%llu retried=%llu secs=%.3f rate=%.1f conn_rate=%.1f "
	       "p50_us=%u p90_us=%u p99_us=%u p999_us=%u max_us=%u "
	       "dropped_samples=%llu client_cpu_ms=%.0f tls=\"%s\" "
	       "last_error=\"%s\"\n",
	       (unsigned long long)req, (unsigned long long)err,
	       (unsigned long long)conns, (unsigned long long)resumed,
	       (unsigned long long)recon, (unsigned long long)retried, secs,
	       (double)req / secs,
	       (double)conns / secs, pct(all, total, 50), pct(all, total, 90),
	       pct(all, total, 99), pct(all, total, 99.9),
	       total ? all[total - 1] : 0, (unsigned long long)dropped, cpu_ms,
	       o.plain ? "plain" : desc, last_error);
	return err ? 1 : 0;
}
