/*
 * mkcerts: issue one ECDSA P-256 leaf certificate per benchmark domain,
 * signed by a test CA, much faster than one certtool run per name (the
 * benchmark needs up to 100 000 of them).
 *
 *   mkcerts CA.pem CA.key OUTDIR FIRST LAST
 *
 * writes OUTDIR/mta-sts.dI.test.pem (the leaf, then the CA) and
 * OUTDIR/mta-sts.dI.test.key (mode 0600) for I = FIRST..LAST. A pair that
 * already exists is kept, so a cache of certificates grows instead of
 * being remade. Bench-only code: not part of stsd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#define CHECK(call) do { int rc_ = (call); if (rc_ < 0) { \
	fprintf(stderr, "mkcerts: %s: %s\n", #call, gnutls_strerror(rc_)); \
	exit(1); } } while (0)

static void read_all(const char *path, gnutls_datum_t *out)
{
	CHECK(gnutls_load_file(path, out));
}

static void write_file(const char *path, const void *data, size_t len,
		       mode_t mode)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode)
	    || close(fd) || rename(tmp, path)) {
		fprintf(stderr, "mkcerts: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: mkcerts CA.pem CA.key OUTDIR FIRST LAST\n");
		return 2;
	}
	long first = atol(argv[4]), last = atol(argv[5]);
	gnutls_datum_t ca_pem, ca_key_pem;
	gnutls_x509_crt_t ca;
	gnutls_x509_privkey_t ca_key;

	CHECK(gnutls_global_init());
	read_all(argv[1], &ca_pem);
	read_all(argv[2], &ca_key_pem);
	CHECK(gnutls_x509_crt_init(&ca));
	CHECK(gnutls_x509_crt_import(ca, &ca_pem, GNUTLS_X509_FMT_PEM));
	CHECK(gnutls_x509_privkey_init(&ca_key));
	CHECK(gnutls_x509_privkey_import(ca_key, &ca_key_pem,
					 GNUTLS_X509_FMT_PEM));

	time_t now = time(NULL);
	for (long i = first; i <= last; i++) {
		char name[256], cpath[4096], kpath[4096];
		snprintf(name, sizeof(name), "mta-sts.d%ld.test", i);
		snprintf(cpath, sizeof(cpath), "%s/%s.pem", argv[3], name);
		snprintf(kpath, sizeof(kpath), "%s/%s.key", argv[3], name);
		if (exists(cpath) && exists(kpath))
			continue;

		gnutls_x509_privkey_t key;
		gnutls_x509_crt_t crt;
		gnutls_datum_t kout, cout;
		unsigned char serial[8];

		CHECK(gnutls_x509_privkey_init(&key));
		CHECK(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
		CHECK(gnutls_x509_crt_init(&crt));
		CHECK(gnutls_x509_crt_set_version(crt, 3));
		CHECK(gnutls_x509_crt_set_key(crt, key));
		for (int b = 0; b < 8; b++)
			serial[b] = (unsigned char)(i >> (8 * (7 - b)));
		serial[0] = 0x40;	/* positive, non-zero */
		CHECK(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
		CHECK(gnutls_x509_crt_set_activation_time(crt, now - 86400));
		CHECK(gnutls_x509_crt_set_expiration_time(crt,
							  now + 90 * 86400));
		CHECK(gnutls_x509_crt_set_dn_by_oid(crt,
			GNUTLS_OID_X520_COMMON_NAME, 0, name, strlen(name)));
		CHECK(gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_DNSNAME, name, strlen(name), GNUTLS_FSAN_SET));
		CHECK(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
		CHECK(gnutls_x509_crt_set_key_usage(crt,
			GNUTLS_KEY_DIGITAL_SIGNATURE));
		CHECK(gnutls_x509_crt_set_key_purpose_oid(crt,
			GNUTLS_KP_TLS_WWW_SERVER, 0));
		CHECK(gnutls_x509_crt_sign2(crt, ca, ca_key,
					    GNUTLS_DIG_SHA256, 0));
		CHECK(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM,
						  &kout));
		CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cout));

		write_file(kpath, kout.data, kout.size, 0600);
		size_t clen = cout.size + ca_pem.size;
		char *chain = malloc(clen);
		if (!chain) {
			fprintf(stderr, "mkcerts: out of memory\n");
			return 1;
		}
		memcpy(chain, cout.data, cout.size);
		memcpy(chain + cout.size, ca_pem.data, ca_pem.size);
		write_file(cpath, chain, clen, 0644);
		free(chain);
		gnutls_free(kout.data);
		gnutls_free(cout.data);
		gnutls_x509_crt_deinit(crt);
		gnutls_x509_privkey_deinit(key);
	}
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(ca_key);
	gnutls_free(ca_pem.data);
	gnutls_free(ca_key_pem.data);
	gnutls_global_deinit();
	return 0;
}
