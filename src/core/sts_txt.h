/*
 * sts_txt: the `_mta-sts.<domain>` TXT answer, read as every known sender
 * reads it (pure, no I/O).
 *
 * Given the TXT records of the answer, adds one check per finding to a
 * report (ids txt.present, txt.only, txt.single, txt.prefix, txt.syntax,
 * txt.id, txt.extensions, txt.strings) and returns the id that senders use,
 * when there is a usable record. The lookup itself (NXDOMAIN, SERVFAIL,
 * timeout) is the caller's to report.
 */
#ifndef STSD_STS_TXT_H
#define STSD_STS_TXT_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"
#include "txtrec.h"

#define STS_ID_MAX 32

struct sts_txt_result {
	bool usable;                 /* exactly one record that mox parses */
	bool lax_usable;             /* exactly one that lax senders take */
	char id[STS_ID_MAX + 1];     /* when usable: the record's id */
};

/*
 * `suggest_id` (may be NULL) is the id a fix should publish, e.g. the one
 * this configuration serves; without one the fix uses a cleaned-up form of
 * the record's id, or "1".
 */
void sts_txt_check(const struct txtrec *recs, size_t n,
                   const char *suggest_id, struct check_report *r,
                   struct sts_txt_result *out);

/* The strict (RFC 8461 ABNF, as mox and postfix-tlspol) reading of one
 * record: NULL and the id in `id` when valid, else what is wrong
 * (static). Unknown extensions are counted in *n_ext (may be NULL). */
const char *sts_txt_parse(const char *data, size_t len,
                          char id[STS_ID_MAX + 1], size_t *n_ext);

#endif
