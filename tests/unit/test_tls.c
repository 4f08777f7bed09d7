/*
 * test_tls: loading and checking certificates (tls_store_load), SNI
 * selection, and real in-memory handshakes through tls_session_setup() and
 * tls_cert_callback() (a GnuTLS client against a GnuTLS server on a
 * socketpair, no libmicrohttpd).
 *
 * Certificates are made at test time by tests/lib/certs.sh ($top_srcdir,
 * default ".") in a fresh temporary directory.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "conf.h"
#include "diag.h"
#include "tls.h"
#include "tls_internal.h"
#include "tap.h"

static const char *dir;

/* Every string made by P() lives until the end (freed in cleanup). */
static char *strings[1024];
static size_t n_strings;

__attribute__((format(printf, 1, 2)))
static const char *P(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0 || n_strings == 1024) {
		fprintf(stderr, "out of memory\n");
		exit(99);
	}
	va_end(ap);
	strings[n_strings++] = s;
	return s;
}

static const char gen_script[] =
	". \"$top_srcdir/tests/lib/certs.sh\" && set -e && cd \"$D\"\n"
	"make_ca .\n"
	"make_intermediate .\n"
	"make_leaf . good mta-sts.example.com\n"
	"make_leaf . wild '*.example.org'\n"
	"make_leaf . upper MTA-STS.Upper.Example mta-sts.second.example\n"
	"make_leaf_expired . expired mta-sts.old.example\n"
	"make_leaf_future . future mta-sts.future.example\n"
	"make_leaf_expiring . soon 5 mta-sts.example.com\n"
	"make_leaf_expiring . orgexact 30 mta-sts.example.org\n"
	"make_leaf_cn_only . cn mta-sts.cn.example\n"
	"make_leaf_rsa . rsa mta-sts.rsa.example\n"
	"LEAF_KEY_TYPE=ed25519; make_leaf . ed mta-sts.ed.example\n"
	"unset LEAF_KEY_TYPE\n"
	"LEAF_ISSUER=ica; make_leaf . chain mta-sts.chain.example\n"
	"make_leaf . chain2 mta-sts.chain2.example\n"
	"unset LEAF_ISSUER\n"
	"LEAF_KEY_TYPE=ed25519; make_leaf . ed2 mta-sts.ed2.example\n"
	"unset LEAF_KEY_TYPE\n"
	/* the same chain written with CRLF and extra text between blocks */
	"sed 's/$/\\r/' chain2.pem | sed '1i\\\nsubject=leaf' >crlf.pem\n"
	"cp -p chain2.key crlf.key\n"
	"sed -n '1,/END CERTIFICATE/p' chain.pem >chainleaf.pem\n"
	"cat chainleaf.pem ca.pem ica.pem >misordered.pem\n"
	"cp chain.key misordered.key\n"
	"cat ica.pem chainleaf.pem >cafirst.pem\n"
	"cp chain.key cafirst.key\n"
	/* A SAN written byte by byte (openssl, DER): the dNSName
	 * "mta-sts.nul.example\0.example.com" (a NUL inside), an iPAddress,
	 * a dNSName of 300 letters, and the dNSName mta-sts.ok.example. */
	"openssl ecparam -name prime256v1 -genkey -noout -out nulsan.key\n"
	"chmod 600 nulsan.key\n"
	"long=$(printf '61%.0s' $(seq 300))\n"
	"printf '[req]\\ndistinguished_name = dn\\nprompt = no\\n[dn]\\n"
	"CN = nulsan\\n[ext]\\nsubjectAltName = DER:3082016c8220"
	"6d74612d7374732e6e756c2e6578616d706c65002e6578616d706c652e636f6d"
	"87047f000001"
	"8282012c%s"
	"82126d74612d7374732e6f6b2e6578616d706c65\\n' \"$long\" >nulsan.cnf\n"
	"openssl req -new -key nulsan.key -config nulsan.cnf -out nulsan.csr\n"
	"openssl x509 -req -in nulsan.csr -CA ca.pem -CAkey ca.key "
	"-set_serial 77 -days 90 -extfile nulsan.cnf -extensions ext "
	"-out nulsan.pem 2>/dev/null\n"
	"printf 'hello\\n' >garbage.pem\n"
	"printf 'not a key\\n' >garbage.key; chmod 600 garbage.key\n"
	"printf -- '-----BEGIN CERTIFICATE-----\\nAAAA\\n"
	"-----END CERTIFICATE-----\\n' >broken.pem\n"
	"printf -- '-----BEGIN PRIVATE KEY-----\\nAAAA\\n"
	"-----END PRIVATE KEY-----\\n' >broken.key; chmod 600 broken.key\n"
	"cp good.key loose.key; chmod 640 loose.key\n"
	"cp good.key loose2.key; chmod 604 loose2.key\n"
	"certtool --generate-privkey --key-type=ecdsa --pkcs8 "
	"--password=secret --outfile=enc.key >/dev/null 2>&1\n"
	"chmod 600 enc.key\n"
	/* layout (a) */
	"mkdir flat flat/.hidden\n"
	"cp good.pem flat/a.pem; cp -p good.key flat/a.key\n"
	"cp wild.pem flat/b.pem; cp -p wild.key flat/b.key\n"
	"cp rsa.pem flat/orphan.pem; cp -p ed.key flat/lonely.key\n"
	"echo readme >flat/README\n"
	/* layout (b), as certbot makes it */
	"mkdir -p le/archive/x le/live/x le/live/y le/live/z le/live/w\n"
	"cp good.pem le/archive/x/fullchain1.pem\n"
	"cp -p good.key le/archive/x/privkey1.pem\n"
	"ln -s ../../archive/x/fullchain1.pem le/live/x/fullchain.pem\n"
	"ln -s ../../archive/x/privkey1.pem le/live/x/privkey.pem\n"
	"cp chain.pem le/live/y/fullchain.pem\n"
	"cp -p chain.key le/live/y/privkey.pem\n"
	"cp rsa.pem le/live/w/fullchain.pem\n"
	"echo readme >le/live/README\n"
	"mkdir empty\n"
	/* one ECDSA key in two more forms: PKCS #8, and after an EC
	 * PARAMETERS block (as openssl ecparam -genkey writes it) */
	"certtool --to-p8 --load-privkey good.key --password= --no-text "
	"--outfile p8.key >/dev/null 2>&1; chmod 600 p8.key\n"
	"(printf -- '-----BEGIN EC PARAMETERS-----\\nBggqhkjOPQMBBw==\\n"
	"-----END EC PARAMETERS-----\\n'; cat good.key) >params.key\n"
	"chmod 600 params.key\n"
	/* many pairs, good and bad, for the parallel load */
	"mkdir mixed; for i in 0 1 2 3; do\n"
	"  cp good.pem mixed/g${i}a.pem; cp -p good.key mixed/g${i}a.key\n"
	"  cp chain.pem mixed/g${i}b.pem; cp -p chain.key mixed/g${i}b.key\n"
	"  cp expired.pem mixed/g${i}c.pem; cp -p expired.key mixed/g${i}c.key\n"
	"  cp good.pem mixed/g${i}d.pem; cp -p wild.key mixed/g${i}d.key\n"
	"  cp garbage.pem mixed/g${i}e.pem; cp -p good.key mixed/g${i}e.key\n"
	"  cp good.pem mixed/g${i}f.pem; cp loose.key mixed/g${i}f.key\n"
	"  cp -p good.key mixed/g${i}g.key\n"
	"  cp soon.pem mixed/g${i}h.pem; cp -p soon.key mixed/g${i}h.key\n"
	"done\n";

static void cleanup(void)
{
	char cmd[4096 + 16];
	size_t i;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	for (i = 0; i < n_strings; i++)
		free(strings[i]);
}

static void make_certs(void)
{
	if (getenv("top_srcdir") == NULL)
		setenv("top_srcdir", ".", 1);
	dir = tap_mkdtemp("stsd-test-tls");
	setenv("D", dir, 1);
	atexit(cleanup);
	if (system(gen_script) != 0) {
		fprintf(stderr, "certificate generation failed\n");
		exit(99);
	}
}

/* ---- configurations built by hand ---------------------------------------- */

#define CONF_FILE "stsd.yaml"

struct cfg {
	struct conf c;
	struct conf_listener https;
	struct conf_cert certs[8];
	struct conf_domain domains[8];
};

static void cfg_init(struct cfg *f)
{
	memset(f, 0, sizeof(*f));
	f->https.kind = LISTEN_HTTPS;
	f->c.listeners = &f->https;
	f->c.n_listeners = 1;
	f->c.certs = f->certs;
	f->c.domains = f->domains;
	f->c.tls_expiry_warn_days = 14;
	f->c.tls_session_tickets = true;
}

/* Cert entry N sits at line 10 + 2N (cert) and 11 + 2N (key). */
static void cfg_pair_paths(struct cfg *f, const char *cert, const char *key)
{
	struct conf_cert *e = &f->certs[f->c.n_certs];
	unsigned line = 10 + 2 * (unsigned)f->c.n_certs;

	e->cert = (char *)cert;
	e->key = (char *)key;
	e->loc = (struct loc){ CONF_FILE, line, 5 };
	e->cert_loc = (struct loc){ CONF_FILE, line, 11 };
	e->key_loc = (struct loc){ CONF_FILE, line + 1, 10 };
	f->c.n_certs++;
}

static void cfg_pair(struct cfg *f, const char *name)
{
	cfg_pair_paths(f, P("%s/%s.pem", dir, name), P("%s/%s.key", dir, name));
}

static void cfg_dir(struct cfg *f, const char *sub)
{
	struct conf_cert *e = &f->certs[f->c.n_certs];
	unsigned line = 10 + 2 * (unsigned)f->c.n_certs;

	e->dir = (char *)P("%s/%s", dir, sub);
	e->loc = (struct loc){ CONF_FILE, line, 5 };
	e->dir_loc = (struct loc){ CONF_FILE, line, 10 };
	f->c.n_certs++;
}

/* Domain N sits at line 30 + N. */
static void cfg_domain(struct cfg *f, const char *domain)
{
	struct conf_domain *dm = &f->domains[f->c.n_domains];

	dm->policy.domain = (char *)domain;
	dm->loc = (struct loc){ CONF_FILE, 30 + (unsigned)f->c.n_domains, 3 };
	f->c.n_domains++;
}

/* Loads and returns the diagnostics text (static buffer). */
static struct diag last;
static char diag_text[8192];
static const struct tls_store *live_store;     /* what load() reuses */

static struct tls_store *load(const struct cfg *f)
{
	char *buf = NULL;
	size_t len = 0;
	struct tls_store *s;

	memset(&last, 0, sizeof(last));
	last.out = open_memstream(&buf, &len);
	if (last.out == NULL)
		exit(99);
	s = tls_store_load(&f->c, live_store, &last);
	fclose(last.out);
	last.out = NULL;
	snprintf(diag_text, sizeof(diag_text), "%s", buf ? buf : "");
	free(buf);
	return s;
}

/* Loads, expects failure and exactly `want` as diagnostics. */
static void expect_fail(const struct cfg *f, const char *want, const char *what)
{
	struct tls_store *s = load(f);

	ok(s == NULL, "%s: load fails", what);
	is_str(diag_text, want, "%s: message", what);
	tls_store_free(s);
}

static time_t cert_time(const char *name, bool expiration)
{
	gnutls_datum_t data;
	gnutls_x509_crt_t crt;
	time_t t;

	if (gnutls_load_file(P("%s/%s.pem", dir, name), &data) < 0)
		exit(99);
	gnutls_x509_crt_init(&crt);
	if (gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM) < 0)
		exit(99);
	t = expiration ? gnutls_x509_crt_get_expiration_time(crt) :
	                 gnutls_x509_crt_get_activation_time(crt);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(data.data);
	return t;
}

static const char *utc(time_t t)
{
	char buf[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	return P("%s", buf);
}

/* ---- loading ------------------------------------------------------------- */

static void test_good_pair(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "good");
	cfg_domain(&f, "example.com");
	s = load(&f);
	ok(s != NULL, "good pair loads");
	is_str(diag_text, "", "good pair: no diagnostics");
	is_int(tls_store_count(s), 1, "good pair: one chain");
	is_str(tls_store_lookup(s, "mta-sts.example.com"),
	       P("%s/good.pem", dir), "exact SAN found");
	is_str(tls_store_lookup(s, "example.com"), NULL, "parent not covered");
	is_str(tls_store_lookup(s, "x.mta-sts.example.com"), NULL,
	       "child of exact SAN not covered");
	is_str(tls_store_lookup(s, "mta-sts.example.net"), NULL,
	       "other name not covered");
	tls_store_free(s);
}

static void test_key_types(void)
{
	static const char *const names[] = { "rsa", "ed", "chain" };
	static const char *const hosts[] = {
		"mta-sts.rsa.example", "mta-sts.ed.example",
		"mta-sts.chain.example",
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		struct cfg f;
		struct tls_store *s;

		cfg_init(&f);
		cfg_pair(&f, names[i]);
		s = load(&f);
		ok(s != NULL && last.errors == 0 && last.warnings == 0,
		   "%s pair loads cleanly", names[i]);
		is_str(diag_text, "", "%s: no diagnostics", names[i]);
		is_str(tls_store_lookup(s, hosts[i]),
		       P("%s/%s.pem", dir, names[i]), "%s: found", hosts[i]);
		tls_store_free(s);
	}
}

static void test_wildcard(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "wild");
	cfg_domain(&f, "example.org");
	s = load(&f);
	ok(s != NULL, "wildcard: loads and covers mta-sts.example.org");
	is_str(diag_text, "", "wildcard: no diagnostics");
	is_str(tls_store_lookup(s, "mta-sts.example.org"),
	       P("%s/wild.pem", dir), "wildcard matches one label");
	is_str(tls_store_lookup(s, "a.mta-sts.example.org"), NULL,
	       "wildcard does not match two labels");
	is_str(tls_store_lookup(s, "example.org"), NULL,
	       "wildcard does not match the parent itself");
	is_str(tls_store_lookup(s, "*.example.org"), P("%s/wild.pem", dir),
	       "wildcard entry stored as written");
	tls_store_free(s);
}

/* Only well-formed dNSNames count: one with a NUL inside (the old
 * "mta-sts.nul.example\0.example.com" trick), an iPAddress and a name
 * too long for a host name are skipped, the dNSName after them still
 * read. */
static void test_odd_san_entries(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "nulsan");
	cfg_domain(&f, "ok.example");
	s = load(&f);
	ok(s != NULL, "odd SAN entries: loads");
	is_str(tls_store_lookup(s, "mta-sts.ok.example"),
	       P("%s/nulsan.pem", dir), "odd SAN entries: the good dNSName "
	       "after them covers");
	is_str(tls_store_lookup(s, "mta-sts.nul.example"), NULL,
	       "odd SAN entries: a dNSName with a NUL inside covers nothing");
	tls_store_free(s);
}

static void test_uppercase_san(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "upper");
	cfg_domain(&f, "second.example");
	cfg_domain(&f, "upper.example");
	s = load(&f);
	ok(s != NULL, "uppercase SAN: loads, both SANs cover");
	is_str(diag_text, "", "uppercase SAN: no diagnostics");
	is_str(tls_store_lookup(s, "mta-sts.upper.example"),
	       P("%s/upper.pem", dir), "SAN lowercased in the index");
	tls_store_free(s);
}

static void test_coverage(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "good");
	cfg_domain(&f, "example.com");
	cfg_domain(&f, "example.net");
	expect_fail(&f, CONF_FILE ":31:3: error: no certificate covers "
	            "mta-sts.example.net (add one with SAN mta-sts.example.net"
	            " or *.example.net)\n", "missing coverage");

	/* Only an HTTPS listener needs certificates. */
	f.c.n_listeners = 0;
	s = load(&f);
	ok(s != NULL, "no https listener: no coverage check");
	is_str(diag_text, "", "no https listener: no diagnostics");
	tls_store_free(s);

	/* A wildcard for the domain itself does not cover mta-sts.<domain>'s
	 * parent-of-parent: *.example.org covers only one label. */
	cfg_init(&f);
	cfg_pair(&f, "wild");
	cfg_domain(&f, "sub.example.org");
	expect_fail(&f, CONF_FILE ":30:3: error: no certificate covers "
	            "mta-sts.sub.example.org (add one with SAN "
	            "mta-sts.sub.example.org or *.sub.example.org)\n",
	            "wildcard one level only");

	/* No certificates at all. */
	cfg_init(&f);
	cfg_domain(&f, "example.com");
	expect_fail(&f, CONF_FILE ":30:3: error: no certificate covers "
	            "mta-sts.example.com (add one with SAN mta-sts.example.com"
	            " or *.example.com)\n", "no certificates");
}

static void test_default_host(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "good");
	f.c.tls_default_host = (char *)"mta-sts.example.com";
	f.c.tls_default_host_loc = (struct loc){ CONF_FILE, 5, 17 };
	s = load(&f);
	ok(s != NULL, "default host covered");
	is_str(diag_text, "", "default host: no diagnostics");
	tls_store_free(s);

	f.c.tls_default_host = (char *)"mta-sts.example.net";
	expect_fail(&f, CONF_FILE ":5:17: error: no certificate covers "
	            "mta-sts.example.net, the default host for clients "
	            "without SNI\n", "default host not covered");
}

static void test_key_mismatch(void)
{
	struct cfg f;

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/rsa.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: private key %s/rsa.key "
	                  "does not match certificate %s/good.pem\n", dir, dir),
	            "key of another type");

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/wild.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: private key %s/wild.key "
	                  "does not match certificate %s/good.pem\n", dir, dir),
	            "key of the same type");
}

static void test_ed_key_mismatch(void)
{
	struct cfg f;

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/ed.pem", dir), P("%s/ed2.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: private key %s/ed2.key "
	                  "does not match certificate %s/ed.pem\n", dir, dir),
	            "Ed25519 key of another certificate");
}

/*
 * Chains that send the same intermediate share one parsed copy, owned by
 * the store; chains the general path loads (out of order) own theirs.
 */
static void test_shared_intermediates(void)
{
	const struct tls_chain *a, *b, *c = NULL, *m = NULL;
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "chain");
	cfg_pair(&f, "chain2");
	cfg_pair(&f, "crlf");
	cfg_pair(&f, "misordered");
	s = load(&f);
	ok(s != NULL, "shared intermediates: loads");
	if (s == NULL)
		return;
	is_int(s->n_shared, 1, "one intermediate parsed for three chains");
	a = tls_store_find(s, "mta-sts.chain.example", 21);
	b = tls_store_find(s, "mta-sts.chain2.example", 22);
	for (size_t i = 0; i < s->n_chains; i++) {
		if (s->chains[i]->order == 2)
			c = s->chains[i];
		if (s->chains[i]->order == 3)
			m = s->chains[i];
	}
	ok(a != NULL && b != NULL && c != NULL && m != NULL,
	   "shared intermediates: every chain found");
	if (a == NULL || b == NULL || c == NULL || m == NULL) {
		tls_store_free(s);
		return;
	}
	is_int(a->n_icas, 1, "a chain: one intermediate");
	ok(!a->icas_owned, "a chain does not own it");
	ok(a->icas[0].cert.data == s->shared[0]->cert.data &&
	   b->icas[0].cert.data == s->shared[0]->cert.data &&
	   c->icas[0].cert.data == s->shared[0]->cert.data,
	   "all three send the store's one copy");
	ok(a->icas[0].pubkey == b->icas[0].pubkey,
	   "with one parsed public key");
	ok(a->leaf.data != b->leaf.data && a->leaf.size > 0,
	   "leaves are their own");
	ok(m->icas_owned, "a chain out of order owns everything it sends");
	is_int(m->n_icas, 2, "sorted: leaf, then intermediate and CA");
	is_str(diag_text, P(CONF_FILE ":16:11: warning: certificates in "
	                    "%s/misordered.pem are not a chain in order "
	                    "(certificate 1 is not issued by certificate 2); "
	                    "sending them sorted\n", dir),
	       "shared intermediates: only the misordered chain's warning");
	tls_store_free(s);     /* ASan/valgrind: each pcert freed once */

	/* all or nothing: a bad pair after shared chains frees them all */
	cfg_init(&f);
	cfg_pair(&f, "chain");
	cfg_pair(&f, "chain2");
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/wild.key", dir));
	s = load(&f);
	ok(s == NULL, "a key mismatch after shared chains: no store");
}

static void test_validity(void)
{
	struct cfg f;
	struct tls_store *s;
	time_t soon = cert_time("soon", true);

	cfg_init(&f);
	cfg_pair(&f, "expired");
	expect_fail(&f, P(CONF_FILE ":10:11: error: certificate %s/expired.pem "
	                  "expired on 2020-01-01 00:00:00 UTC\n", dir),
	            "expired");

	cfg_init(&f);
	cfg_pair(&f, "future");
	expect_fail(&f, P(CONF_FILE ":10:11: error: certificate %s/future.pem "
	                  "is not valid before 2099-01-01 00:00:00 UTC\n", dir),
	            "not yet valid");

	cfg_init(&f);
	cfg_pair(&f, "soon");
	s = load(&f);
	ok(s != NULL, "expiring soon: still loads");
	is_int(last.warnings, 1, "expiring soon: one warning");
	is_str(diag_text, P(CONF_FILE ":10:11: warning: certificate "
	                    "%s/soon.pem expires on %s (in 5 days)\n", dir,
	                    utc(soon)), "expiring soon: message");
	tls_store_free(s);

	/* Boundary: 5 days left (or a second less) is within 5 days, not
	 * within 4. */
	f.c.tls_expiry_warn_days = 5;
	s = load(&f);
	is_int(last.warnings, 1, "warn days 5, 5 days left: warning");
	tls_store_free(s);
	f.c.tls_expiry_warn_days = 4;
	s = load(&f);
	is_int(last.warnings, 0, "warn days 4, 5 days left: no warning");
	tls_store_free(s);
	f.c.tls_expiry_warn_days = 0;
	s = load(&f);
	is_int(last.warnings, 0, "warn days 0: never warns");
	tls_store_free(s);
}

static void test_cn_only(void)
{
	struct cfg f;

	cfg_init(&f);
	cfg_pair(&f, "cn");
	expect_fail(&f, P(CONF_FILE ":10:11: error: certificate %s/cn.pem has "
	                  "no DNS name in its subjectAltName (RFC 8461 section "
	                  "3.3 needs one; a name only in the CN does not "
	                  "count)\n", dir), "CN-only certificate");

	/* The CN is not indexed: no second error about coverage... */
	cfg_domain(&f, "cn.example");
	expect_fail(&f, P(CONF_FILE ":10:11: error: certificate %s/cn.pem has "
	                  "no DNS name in its subjectAltName (RFC 8461 section "
	                  "3.3 needs one; a name only in the CN does not "
	                  "count)\n" CONF_FILE ":30:3: error: no certificate "
	                  "covers mta-sts.cn.example (add one with SAN "
	                  "mta-sts.cn.example or *.cn.example)\n", dir),
	            "CN-only certificate covers nothing");
}

static void test_key_permissions(void)
{
	struct cfg f;

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/loose.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: key file %s/loose.key is "
	                  "readable by group or others (mode 0640); chmod 600 "
	                  "it\n", dir), "group-readable key");

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/loose2.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: key file %s/loose2.key is "
	                  "readable by group or others (mode 0604); chmod 600 "
	                  "it\n", dir), "world-readable key");
}

static void test_bad_files(void)
{
	struct cfg f;
	const char *prefix;

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/nope.pem", dir), P("%s/nope.key", dir));
	expect_fail(&f, P(CONF_FILE ":10:11: error: cannot read %s/nope.pem: No "
	                  "such file or directory\n" CONF_FILE ":11:10: error: "
	                  "cannot read %s/nope.key: No such file or directory\n",
	                  dir, dir), "missing files: both reported");
	is_int(last.errors, 2, "missing files: two errors");

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/garbage.pem", dir), P("%s/good.key", dir));
	expect_fail(&f, P(CONF_FILE ":10:11: error: no certificate found in "
	                  "%s/garbage.pem\n", dir), "garbage certificate file");

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/flat", dir), P("%s/good.key", dir));
	expect_fail(&f, P(CONF_FILE ":10:11: error: cannot read %s/flat: Is a "
	                  "directory\n", dir), "directory as certificate");

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/broken.pem", dir), P("%s/good.key", dir));
	prefix = P(CONF_FILE ":10:11: error: cannot parse certificates in "
	           "%s/broken.pem: ", dir);
	ok(load(&f) == NULL, "broken PEM certificate: load fails");
	ok(strncmp(diag_text, prefix, strlen(prefix)) == 0 &&
	   last.errors == 1, "broken PEM certificate: message");
	printf("# %s", diag_text);

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/garbage.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: no private key found in "
	                  "%s/garbage.key\n", dir), "garbage key");

	/* A PEM key whose body is broken: GnuTLS's reason is passed on. */
	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/broken.key", dir));
	prefix = P(CONF_FILE ":11:10: error: cannot load private key "
	           "%s/broken.key: ", dir);
	ok(load(&f) == NULL, "broken key: load fails");
	ok(strncmp(diag_text, prefix, strlen(prefix)) == 0 &&
	   last.errors == 1, "broken key: message");
	printf("# %s", diag_text);

	/* A certificate where the key should be. */
	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/good.pem", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: key file %s/good.pem is "
	                  "readable by group or others (mode 0644); chmod 600 "
	                  "it\n" CONF_FILE ":11:10: error: no private key found "
	                  "in %s/good.pem\n", dir, dir), "certificate as key");

	cfg_init(&f);
	cfg_pair_paths(&f, P("%s/good.pem", dir), P("%s/enc.key", dir));
	expect_fail(&f, P(CONF_FILE ":11:10: error: private key %s/enc.key is "
	                  "encrypted; stsd needs it unencrypted\n", dir),
	            "encrypted key");

	/* Errors of several entries are all reported, in order. */
	cfg_init(&f);
	cfg_pair(&f, "expired");
	cfg_pair(&f, "good");
	cfg_pair_paths(&f, P("%s/garbage.pem", dir), P("%s/loose.key", dir));
	expect_fail(&f, P(CONF_FILE ":10:11: error: certificate %s/expired.pem "
	                  "expired on 2020-01-01 00:00:00 UTC\n"
	                  CONF_FILE ":14:11: error: no certificate found in "
	                  "%s/garbage.pem\n"
	                  CONF_FILE ":15:10: error: key file %s/loose.key is "
	                  "readable by group or others (mode 0640); chmod 600 "
	                  "it\n", dir, dir, dir), "several entries");
	is_int(last.errors, 3, "several entries: three errors");
}

static void test_chain_order(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_pair(&f, "misordered");
	s = load(&f);
	ok(s != NULL, "misordered chain: loads");
	is_str(diag_text, P(CONF_FILE ":10:11: warning: certificates in "
	                    "%s/misordered.pem are not a chain in order "
	                    "(certificate 1 is not issued by certificate 2); "
	                    "sending them sorted\n", dir),
	       "misordered chain: warning");
	tls_store_free(s);

	cfg_init(&f);
	cfg_pair(&f, "cafirst");
	expect_fail(&f, P(CONF_FILE ":10:11: error: the first certificate in "
	                  "%s/cafirst.pem is a CA certificate; the server's own "
	                  "certificate must come first\n", dir),
	            "CA certificate first");
}

static void test_duplicates(void)
{
	struct cfg f;
	struct tls_store *s;

	/* soon.pem and good.pem both name mta-sts.example.com; good.pem
	 * expires later and wins in either order. */
	cfg_init(&f);
	f.c.tls_expiry_warn_days = 0;
	cfg_pair(&f, "soon");
	cfg_pair(&f, "good");
	s = load(&f);
	is_int(tls_store_count(s), 2, "duplicates: both chains loaded");
	is_str(tls_store_lookup(s, "mta-sts.example.com"),
	       P("%s/good.pem", dir), "later expiry wins (listed second)");
	is_str(diag_text, "", "duplicates: no diagnostics");
	tls_store_free(s);

	cfg_init(&f);
	f.c.tls_expiry_warn_days = 0;
	cfg_pair(&f, "good");
	cfg_pair(&f, "soon");
	s = load(&f);
	is_str(tls_store_lookup(s, "mta-sts.example.com"),
	       P("%s/good.pem", dir), "later expiry wins (listed first)");
	tls_store_free(s);

	/* An exact name beats a wildcard, even one expiring later. */
	cfg_init(&f);
	cfg_pair(&f, "wild");
	cfg_pair(&f, "orgexact");
	s = load(&f);
	is_str(tls_store_lookup(s, "mta-sts.example.org"),
	       P("%s/orgexact.pem", dir), "exact name beats wildcard");
	is_str(tls_store_lookup(s, "www.example.org"),
	       P("%s/wild.pem", dir), "wildcard for the other names");
	tls_store_free(s);
}

static void test_dirs(void)
{
	struct cfg f;
	struct tls_store *s;

	cfg_init(&f);
	cfg_dir(&f, "flat");
	cfg_domain(&f, "example.com");
	cfg_domain(&f, "example.org");
	s = load(&f);
	ok(s != NULL, "flat layout: loads");
	is_int(tls_store_count(s), 2, "flat layout: two pairs");
	is_str(diag_text, P(CONF_FILE ":10:10: warning: %s/flat/lonely.key has "
	                    "no matching %s/flat/lonely.pem; skipped\n"
	                    CONF_FILE ":10:10: warning: %s/flat/orphan.pem has "
	                    "no matching %s/flat/orphan.key; skipped\n",
	                    dir, dir, dir, dir), "flat layout: orphans warned");
	is_str(tls_store_lookup(s, "mta-sts.example.com"),
	       P("%s/flat/a.pem", dir), "flat layout: a.pem");
	is_str(tls_store_lookup(s, "mta-sts.example.org"),
	       P("%s/flat/b.pem", dir), "flat layout: b.pem");
	tls_store_free(s);

	cfg_init(&f);
	cfg_dir(&f, "le/live");
	cfg_domain(&f, "chain.example");
	cfg_domain(&f, "example.com");
	s = load(&f);
	ok(s != NULL, "certbot layout: loads");
	is_int(tls_store_count(s), 2, "certbot layout: two pairs");
	is_str(diag_text, P(CONF_FILE ":10:10: warning: "
	                    "%s/le/live/w/fullchain.pem has no privkey.pem next "
	                    "to it; skipped\n", dir),
	       "certbot layout: missing key warned, README and empty dir not");
	is_str(tls_store_lookup(s, "mta-sts.example.com"),
	       P("%s/le/live/x/fullchain.pem", dir),
	       "certbot layout: through symlinks");
	is_str(tls_store_lookup(s, "mta-sts.chain.example"),
	       P("%s/le/live/y/fullchain.pem", dir),
	       "certbot layout: with an intermediate");
	tls_store_free(s);

	cfg_init(&f);
	f.c.n_listeners = 0;
	cfg_dir(&f, "empty");
	s = load(&f);
	ok(s != NULL, "empty directory: not an error");
	is_str(diag_text, P(CONF_FILE ":10:10: warning: no certificates found in "
	                    "directory %s/empty (expected NAME.pem with NAME.key,"
	                    " or NAME/fullchain.pem with NAME/privkey.pem)\n",
	                    dir), "empty directory: warning");
	tls_store_free(s);

	cfg_init(&f);
	cfg_dir(&f, "nope");
	expect_fail(&f, P(CONF_FILE ":10:10: error: cannot read directory "
	                  "%s/nope: No such file or directory\n", dir),
	            "missing directory");
}

/*
 * A directory of 32 pairs, half of them bad in six ways, loaded on one
 * thread and on eight: the same messages in the same order (the order of
 * the files), the same errors and warnings, and (without the bad ones) the
 * same store.
 */
static void test_parallel_load(void)
{
	struct cfg f;
	struct diag one;
	char *one_text, *prev;
	const char *p;
	int round, lines = 0;

	cfg_init(&f);
	f.c.n_listeners = 0;
	cfg_dir(&f, "mixed");
	tls_store_set_load_threads(1);
	ok(load(&f) == NULL, "mixed directory: fails on one thread");
	one = last;
	one_text = strdup(diag_text);
	if (one_text == NULL)
		exit(99);
	is_int((int)one.errors, 4 * 4, "one thread: 16 errors");
	is_int((int)one.warnings, 4 * 2, "one thread: 8 warnings");
	/* Each line names a file of mixed/, in the order of the names. */
	prev = strdup("");
	for (p = one_text; (p = strstr(p, "/mixed/g")) != NULL; p += 8) {
		char *name = strndup(p + 7, 3);

		if (name == NULL || strcmp(name, prev) < 0) {
			ok(0, "one thread: messages in file order (%s after %s)",
			   name ? name : "?", prev);
			lines = -1000;
		}
		free(prev);
		prev = name;
		lines++;
	}
	free(prev);
	ok(lines >= 24, "one thread: the messages come in file order (%d)",
	   lines);
	for (round = 0; round < 5; round++) {
		tls_store_set_load_threads(8);
		ok(load(&f) == NULL, "eight threads, round %d: fails too", round);
		is_str(diag_text, one_text,
		       "eight threads, round %d: the same messages, in order",
		       round);
		ok(last.errors == one.errors && last.warnings == one.warnings,
		   "eight threads, round %d: the same counts", round);
	}
	free(one_text);
	tls_store_set_load_threads(0);
}

/* ---- handshakes ---------------------------------------------------------- */

static gnutls_certificate_credentials_t server_cred, client_cred;

struct server {
	int fd;
	const struct tls_store *store;
	struct tls_conn tc;
	int setup_ret;
	int ret;
	char sni[300];
	size_t sni_len;
	char tiny_sni[5];
	size_t tiny_len;
	const void *material;   /* what the handshake used (only compared) */
};

static void *server_main(void *arg)
{
	struct server *sv = arg;
	gnutls_session_t ss;

	gnutls_init(&ss, GNUTLS_SERVER | GNUTLS_NO_SIGNAL);
	gnutls_priority_set_direct(ss, CONF_DEFAULT_TLS_PRIORITIES, NULL);
	gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, server_cred);
	sv->tc.store = sv->store;
	sv->setup_ret = tls_session_setup(&sv->tc, ss);
	gnutls_transport_set_int(ss, sv->fd);
	do
		sv->ret = gnutls_handshake(ss);
	while (sv->ret < 0 && !gnutls_error_is_fatal(sv->ret));
	if (sv->ret == 0) {
		sv->sni_len = tls_session_sni(ss, sv->sni, sizeof(sv->sni));
		sv->tiny_len = tls_session_sni(ss, sv->tiny_sni,
		                               sizeof(sv->tiny_sni));
		gnutls_record_send(ss, "x", 1);
		gnutls_bye(ss, GNUTLS_SHUT_WR);
	}
	close(sv->fd);
	gnutls_deinit(ss);
	sv->material = sv->tc.material;
	tls_conn_clear(&sv->tc);
	return NULL;
}

struct hs {
	int ret;                /* client handshake result */
	int alert;              /* alert received, or -1 */
	unsigned n_certs;       /* chain length the client got */
	bool has_alpn;
	char alpn[32];
	bool resumed;
	gnutls_datum_t data;    /* session data for resumption; caller frees */
	struct server sv;
};

static void handshake(const struct tls_store *s, const char *sni,
                      const char *prio, const char *alpn,
                      const gnutls_datum_t *resume, struct hs *r)
{
	gnutls_session_t cs;
	char verify_host[300];
	pthread_t th;
	int fds[2];

	memset(r, 0, sizeof(*r));
	r->alert = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		exit(99);
	r->sv.fd = fds[1];
	r->sv.store = s;
	pthread_create(&th, NULL, server_main, &r->sv);

	gnutls_init(&cs, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL);
	gnutls_priority_set_direct(cs, prio ? prio : "NORMAL", NULL);
	gnutls_credentials_set(cs, GNUTLS_CRD_CERTIFICATE, client_cred);
	if (sni != NULL) {
		size_t vl;   /* GnuTLS's host check takes no trailing dot */

		snprintf(verify_host, sizeof(verify_host), "%s", sni);
		vl = strlen(verify_host);
		if (vl > 0 && verify_host[vl - 1] == '.')
			verify_host[vl - 1] = '\0';
		gnutls_server_name_set(cs, GNUTLS_NAME_DNS, sni, strlen(sni));
		gnutls_session_set_verify_cert(cs, verify_host, 0);
	} else {
		gnutls_session_set_verify_cert(cs, NULL, 0);
	}
	if (alpn != NULL) {
		/* comma-separated list */
		gnutls_datum_t protos[4];
		char *copy = strdup(alpn), *save = NULL, *tok;
		unsigned n = 0;

		for (tok = strtok_r(copy, ",", &save); tok && n < 4;
		     tok = strtok_r(NULL, ",", &save)) {
			protos[n].data = (unsigned char *)tok;
			protos[n++].size = (unsigned)strlen(tok);
		}
		gnutls_alpn_set_protocols(cs, protos, n, 0);
		free(copy);
	}
	if (resume != NULL)
		gnutls_session_set_data(cs, resume->data, resume->size);
	gnutls_transport_set_int(cs, fds[0]);
	do
		r->ret = gnutls_handshake(cs);
	while (r->ret < 0 && !gnutls_error_is_fatal(r->ret));
	if (r->ret == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    r->ret == GNUTLS_E_WARNING_ALERT_RECEIVED)
		r->alert = (int)gnutls_alert_get(cs);
	if (r->ret == 0) {
		gnutls_datum_t proto;
		char byte;

		gnutls_certificate_get_peers(cs, &r->n_certs);
		if (gnutls_alpn_get_selected_protocol(cs, &proto) == 0) {
			r->has_alpn = true;
			snprintf(r->alpn, sizeof(r->alpn), "%.*s",
			         (int)proto.size, proto.data);
		}
		r->resumed = gnutls_session_is_resumed(cs) != 0;
		/* reads the byte, and with it any TLS 1.3 ticket */
		while (gnutls_record_recv(cs, &byte, 1) == GNUTLS_E_AGAIN)
			;
		gnutls_session_get_data2(cs, &r->data);
	}
	close(fds[0]);
	pthread_join(th, NULL);
	gnutls_deinit(cs);
}

static void test_handshakes(void)
{
	struct cfg f;
	struct tls_store *s;
	struct hs r, r2;

	cfg_init(&f);
	cfg_pair(&f, "good");
	cfg_pair(&f, "chain");
	cfg_pair(&f, "chain2");
	cfg_pair(&f, "wild");
	cfg_pair(&f, "rsa");
	cfg_pair(&f, "ed");
	s = load(&f);
	ok(s != NULL, "handshake store loads");
	if (s == NULL)
		return;

	handshake(s, "mta-sts.example.com", NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "known SNI: handshake (and verification) succeeds");
	is_int(r.sv.setup_ret, 0, "tls_session_setup returns 0");
	is_int(r.n_certs, 1, "known SNI: leaf only for a CA-issued leaf");
	is_str(r.sv.sni, "mta-sts.example.com", "tls_session_sni: the name");
	is_int(r.sv.sni_len, 19, "tls_session_sni: its length");
	is_str(r.sv.tiny_sni, "mta-", "tls_session_sni: truncated");
	is_int(r.sv.tiny_len, 4, "tls_session_sni: truncated length");
	gnutls_free(r.data.data);

	handshake(s, "MTA-STS.Chain.Example.", NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "SNI in capitals with a trailing dot: succeeds");
	is_int(r.n_certs, 2, "chain with intermediate: both sent");
	gnutls_free(r.data.data);

	handshake(s, "mta-sts.chain2.example", NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "second chain through the shared intermediate: "
	       "succeeds and verifies");
	is_int(r.n_certs, 2, "second chain: both sent");
	gnutls_free(r.data.data);

	handshake(s, "mta-sts.example.org", NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "wildcard SNI: succeeds");
	gnutls_free(r.data.data);

	handshake(s, "mta-sts.ed.example", NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "Ed25519 chain: succeeds (its key kept as DER)");
	gnutls_free(r.data.data);

	/* Leaf and key are parsed at the first full handshake and cached. */
	handshake(s, "mta-sts.chain2.example", NULL, NULL, NULL, &r2);
	ok(r2.ret == 0 && r2.sv.material != NULL, "a full handshake used "
	   "a chain's material");
	gnutls_free(r2.data.data);
	handshake(s, "mta-sts.chain2.example", NULL, NULL, NULL, &r);
	ok(r.ret == 0 && r.sv.material == r2.sv.material,
	   "the same name again: the same (cached) material");
	gnutls_free(r.data.data);
	handshake(s, "mta-sts.chain.example", NULL, NULL, NULL, &r);
	ok(r.ret == 0 && r.sv.material != r2.sv.material,
	   "another name: another material");
	gnutls_free(r.data.data);

	handshake(s, "mta-sts.rsa.example", NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "RSA chain: succeeds");
	is_int(r.sv.tc.refused, TLS_REFUSED_NONE, "a good name: nothing refused");
	gnutls_free(r.data.data);

	handshake(s, "mta-sts.example.com",
	          "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL, NULL, &r);
	is_int(r.ret, 0, "TLS 1.2: succeeds");
	gnutls_free(r.data.data);

	handshake(s, "unknown.example", NULL, NULL, NULL, &r);
	is_int(r.ret, GNUTLS_E_FATAL_ALERT_RECEIVED,
	       "unknown SNI: fatal alert");
	is_int(r.alert, GNUTLS_A_UNRECOGNIZED_NAME,
	       "unknown SNI: unrecognized_name");
	is_int(r.sv.ret, GNUTLS_E_UNRECOGNIZED_NAME,
	       "unknown SNI: server fails with GNUTLS_E_UNRECOGNIZED_NAME");
	is_int(r.sv.tc.refused, TLS_REFUSED_UNKNOWN_SNI,
	       "unknown SNI: the connection says why (for the metrics)");

	handshake(s, "unknown.example", "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL,
	          NULL, &r);
	is_int(r.alert, GNUTLS_A_UNRECOGNIZED_NAME,
	       "unknown SNI over TLS 1.2: unrecognized_name");

	handshake(s, "example.com", NULL, NULL, NULL, &r);
	is_int(r.alert, GNUTLS_A_UNRECOGNIZED_NAME,
	       "parent of an exact SAN: unrecognized_name");

	handshake(s, NULL, NULL, NULL, NULL, &r);
	is_int(r.ret, GNUTLS_E_FATAL_ALERT_RECEIVED, "no SNI: fatal alert");
	is_int(r.alert, GNUTLS_A_MISSING_EXTENSION,
	       "no SNI, no default host: missing_extension");
	is_int(r.sv.tc.refused, TLS_REFUSED_NO_SNI,
	       "no SNI: the connection says why");

	/* The key as the store keeps it (DER of the file's key block) is
	 * read back at the handshake, whatever the file's form. */
	{
		static const char *const forms[] = { "p8", "params" };

		for (size_t i = 0; i < 2; i++) {
			struct cfg g;
			struct tls_store *k;

			cfg_init(&g);
			cfg_pair_paths(&g, P("%s/good.pem", dir),
			               P("%s/%s.key", dir, forms[i]));
			k = load(&g);
			ok(k != NULL, "key file %s.key: loads (%s)", forms[i],
			   diag_text);
			if (k == NULL)
				continue;
			handshake(k, "mta-sts.example.com", NULL, NULL, NULL, &r);
			is_int(r.ret, 0, "key file %s.key: handshake", forms[i]);
			gnutls_free(r.data.data);
			tls_store_free(k);
		}
	}

	/* ALPN */
	handshake(s, "mta-sts.example.com", NULL, "h2", NULL, &r);
	is_int(r.ret, 0, "client offering only h2: handshake succeeds");
	ok(!r.has_alpn, "client offering only h2: no ALPN");
	gnutls_free(r.data.data);
	handshake(s, "mta-sts.example.com", NULL, "h2,http/1.1", NULL, &r);
	is_str(r.alpn, "http/1.1", "h2 and http/1.1 offered: http/1.1");
	gnutls_free(r.data.data);
	handshake(s, "mta-sts.example.com", NULL, "http/1.0", NULL, &r);
	ok(!r.has_alpn, "http/1.0 not offered");
	gnutls_free(r.data.data);

	/* Resumption with tickets, TLS 1.3 and 1.2 */
	handshake(s, "mta-sts.example.com", NULL, NULL, NULL, &r);
	ok(!r.resumed && r.data.size > 0, "first connection: full handshake");
	handshake(s, "mta-sts.example.com", NULL, NULL, &r.data, &r2);
	is_int(r2.ret, 0, "TLS 1.3 resumption: succeeds");
	ok(r2.resumed, "TLS 1.3 resumption: resumed");
	ok(r2.sv.material == NULL, "TLS 1.3 resumption: no certificate parsed");
	gnutls_free(r.data.data);
	gnutls_free(r2.data.data);

	handshake(s, "mta-sts.example.com", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
	          NULL, NULL, &r);
	handshake(s, "mta-sts.example.com", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
	          NULL, &r.data, &r2);
	ok(r2.ret == 0 && r2.resumed, "TLS 1.2 resumption with a ticket");
	gnutls_free(r.data.data);
	gnutls_free(r2.data.data);

	handshake(s, "mta-sts.example.com", NULL, NULL, NULL, &r);
	handshake(s, "unknown.example", NULL, NULL, &r.data, &r2);
	is_int(r2.alert, GNUTLS_A_UNRECOGNIZED_NAME,
	       "resuming under an unknown name: unrecognized_name");
	gnutls_free(r.data.data);
	tls_store_free(s);

	/* Without tickets there is no resumption. */
	f.c.tls_session_tickets = false;
	s = load(&f);
	handshake(s, "mta-sts.example.com", NULL, NULL, NULL, &r);
	handshake(s, "mta-sts.example.com", NULL, NULL, &r.data, &r2);
	ok(r2.ret == 0 && !r2.resumed, "tickets off: no resumption");
	gnutls_free(r.data.data);
	gnutls_free(r2.data.data);
	tls_store_free(s);

	/* Default host for clients without SNI. */
	f.c.tls_default_host = (char *)"mta-sts.chain.example";
	s = load(&f);
	handshake(s, NULL, NULL, NULL, NULL, &r);
	is_int(r.ret, 0, "no SNI with a default host: succeeds");
	is_int(r.n_certs, 2, "no SNI: the default host's chain");
	is_int(r.sv.sni_len, 0, "no SNI: tls_session_sni returns 0");
	is_str(r.sv.sni, "", "no SNI: empty string");
	gnutls_free(r.data.data);
	tls_store_free(s);

	/* A session never set up has no store: the callback refuses. */
	handshake(NULL, "mta-sts.example.com", NULL, NULL, NULL, &r);
	is_int(r.sv.setup_ret, -1, "tls_session_setup(NULL) fails");
	ok(r.ret < 0, "no store: handshake fails");
}

/*
 * A reload with a live store: unchanged pairs are copied from it, with the
 * same messages (the order warning, the expiry warning); a changed file,
 * or a key file whose mode changed, is read again.
 */
static void test_reuse(void)
{
	struct tls_store *s1, *s2, *s3;
	char *text1;
	struct cfg f;

	if (system(P("cd '%s' && mkdir reuse && cp -p good.pem reuse/a.pem && "
	             "cp -p good.key reuse/a.key && cp -p chain.pem reuse/b.pem "
	             "&& cp -p chain.key reuse/b.key && cp -p misordered.pem "
	             "reuse/m.pem && cp -p misordered.key reuse/m.key && "
	             "cp -p soon.pem reuse/s.pem && cp -p soon.key reuse/s.key "
	             "&& chmod 600 reuse/*.key", dir)) != 0)
		exit(99);
	cfg_init(&f);
	cfg_dir(&f, "reuse");
	cfg_domain(&f, "example.com");
	cfg_domain(&f, "chain.example");
	live_store = NULL;
	s1 = load(&f);
	ok(s1 != NULL && s1->n_reused == 0, "first load: parsed");
	text1 = strdup(diag_text);
	ok(strstr(text1, "sending them sorted") && strstr(text1, "expires on"),
	   "first load: the order and expiry warnings");
	live_store = s1;
	s2 = load(&f);
	ok(s2 != NULL, "reload: loads");
	is_int(s2 ? (int)s2->n_reused : -1, 4, "reload: all four pairs copied");
	is_str(diag_text, text1, "reload: the same messages");
	is_str(tls_store_lookup(s2, "mta-sts.chain.example"),
	       P("%s/reuse/b.pem", dir), "reload: the names are there");
	tls_store_free(s1);     /* the copy owns what it has */
	live_store = s2;

	if (system(P("chmod 640 '%s/reuse/b.key'", dir)) != 0)
		exit(99);
	s3 = load(&f);
	ok(s3 == NULL && strstr(diag_text, "b.key is readable by group"),
	   "a key file's mode changed: read again, and refused");
	tls_store_free(s3);
	if (system(P("cd '%s' && chmod 600 reuse/b.key && cp wild.pem "
	             "reuse/a.pem && cp wild.key reuse/a.key && "
	             "chmod 600 reuse/a.key", dir)) != 0)
		exit(99);
	s3 = load(&f);
	ok(s3 != NULL, "a pair replaced: loads");
	/* b.key's chmod changed its ctime: read again, like a.* */
	is_int(s3 ? (int)s3->n_reused : -1, 2, "the two untouched pairs "
	       "copied");
	is_str(tls_store_lookup(s3, "mta-sts.example.org"),
	       P("%s/reuse/a.pem", dir), "the new certificate's names");
	live_store = NULL;
	tls_store_free(s2);
	if (s3 != NULL) {
		struct hs r;

		handshake(s3, "mta-sts.chain.example", NULL, NULL, NULL, &r);
		is_int(r.ret, 0, "a copied chain serves a handshake (after the "
		       "store it came from is gone)");
		is_int(r.n_certs, 2, "with its intermediate");
		gnutls_free(r.data.data);
	}
	tls_store_free(s3);
	free(text1);
}

int main(void)
{
	make_certs();
	if (tls_global_init() != 0) {
		fprintf(stderr, "tls_global_init failed\n");
		return 99;
	}
	gnutls_certificate_allocate_credentials(&server_cred);
	gnutls_certificate_set_retrieve_function2(server_cred,
		(gnutls_certificate_retrieve_function2 *)
		tls_cert_callback_option());
	gnutls_certificate_allocate_credentials(&client_cred);
	gnutls_certificate_set_x509_trust_file(client_cred,
	                                       P("%s/ca.pem", dir),
	                                       GNUTLS_X509_FMT_PEM);

	test_good_pair();
	test_key_types();
	test_wildcard();
	test_uppercase_san();
	test_odd_san_entries();
	test_coverage();
	test_default_host();
	test_key_mismatch();
	test_ed_key_mismatch();
	test_shared_intermediates();
	test_validity();
	test_cn_only();
	test_key_permissions();
	test_bad_files();
	test_chain_order();
	test_duplicates();
	test_dirs();
	test_parallel_load();
	test_handshakes();
	test_reuse();

	gnutls_certificate_free_credentials(server_cred);
	gnutls_certificate_free_credentials(client_cred);
	tls_global_fini();
	return tap_done();     /* cleanup() runs at exit */
}
