/*
 * tlsrpt_txt: the `_smtp._tls.<domain>` TXT answer of RFC 8460 (pure, no
 * I/O). Adds checks tlsrpt.present, tlsrpt.single, tlsrpt.syntax and
 * tlsrpt.rua to a report. The lookup itself is the caller's to report.
 */
#ifndef STSD_TLSRPT_TXT_H
#define STSD_TLSRPT_TXT_H

#include <stddef.h>

#include "checks.h"
#include "txtrec.h"

#define TLSRPT_MAX_URIS 16

/* `our_rua` (may be NULL): the URI this configuration wants reports at;
 * when given and not the first of rua, a warning (one large sender uses
 * only the first). */
void tlsrpt_txt_check(const struct txtrec *recs, size_t n,
                      const char *our_rua, struct check_report *r);

#endif
