/*
 * fuzz_acme_chain: the certificate chain a CA sends, through the whole
 * check the client applies (acme_chain_check: the PEM shape of acme_msg.c,
 * then GnuTLS parsing, key, names and signatures) and the ARI identifier
 * of its first certificate (acme_cert_ari_id).
 *
 * Input: the first line is a name the chain must cover, the rest the PEM.
 * Invariants (trap on violation): a failure has a message; an accepted
 * chain (only possible for the harness's own key, i.e. practically never)
 * has an expiry in the future; an ARI identifier is "b64url.b64url".
 * ASan/UBSan catch the rest (the chain is imported with GnuTLS and freed on
 * every path).
 */
#include "config.h"

#include <time.h>

#include "fuzz_common.h"
#include "acme_crypto.h"
#include "b64url.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct acme_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[ACME_ERR_LEN];

	key = acme_key_generate(err);
	if (!key) {
		fprintf(stderr, "fuzz_acme_chain: %s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ACME_ERR_LEN] = "", name[256];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t nlen = nl ? (size_t)(nl - data) : 0;
	const char *names[1] = { name };
	const char *pem;
	size_t len;
	int64_t not_after = 0;
	char *id, *dot;

	if (!nl || nlen >= sizeof(name))
		return 0;
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	pem = (const char *)nl + 1;
	len = size - nlen - 1;

	if (acme_chain_check(pem, len, key, names, nlen ? 1 : 0, &not_after, err) == 0)
		CHECK(not_after > (int64_t)time(NULL));
	else
		CHECK(err[0] != '\0');

	err[0] = '\0';
	id = acme_cert_ari_id(pem, len, err);
	if (id) {
		dot = strchr(id, '.');
		CHECK(dot && b64url_chars_ok(id, (size_t)(dot - id)) &&
		      b64url_chars_ok(dot + 1, strlen(dot + 1)));
		free(id);
	} else {
		CHECK(err[0] != '\0');
	}
	return 0;
}
