/*
 * import_report: stsd --import-report [FILE...], the mail intake of TLS
 * reports (RFC 8460 section 5.3).
 *
 * Each input (stdin when there is no FILE) is a whole RFC 5322 message as
 * an MTA delivers it, a bare .json or .json.gz report, or a Maildir folder
 * (every file of its new/ and cur/, in name order; nothing is moved). The
 * kind is sniffed from the bytes, never from the name: the gzip magic is a
 * bare .json.gz, a first non-blank '{' a bare .json, anything else a
 * message (mime.c finds the report part, gunzip.c inflates it when it is
 * gzip, tlsrpt.c parses it).
 *
 * Storing is not done here: each parsed report is handed to the store
 * function of the options (tlsrpt_cmd.c connects the state database
 * there); without one, nothing can be stored and the input counts as a
 * temporary failure, so that an MTA keeps the message.
 *
 * Exit status, for a Postfix pipe(8) transport or an alias "|stsd
 * --import-report" (sysexits.h values; the worst input decides):
 *   0  EX_OK        every report stored, or already stored (duplicate), or
 *                   about a domain this configuration does not serve
 *                   (counted and dropped: sending it again cannot help);
 *   75 EX_TEMPFAIL  the store is busy or failed (locked database, disk
 *                   full, out of memory): the MTA keeps the message and
 *                   retries later;
 *   66 EX_NOINPUT   a FILE cannot be read (command-line use only);
 *   65 EX_DATAERR   the input can never be a report: no report part, bad
 *                   or truncated gzip, a gzip bomb, invalid JSON, a report
 *                   that breaks the schema or its numbers, too large.
 *                   Permanent: Postfix bounces it ("5.6.0 data format
 *                   error"), which is the truth about the data; 69
 *                   (EX_UNAVAILABLE, "service unavailable") would blame
 *                   the service instead.
 */
#ifndef STSD_IMPORT_REPORT_H
#define STSD_IMPORT_REPORT_H

#include <stddef.h>

#include "tlsrpt.h"

#define IMPORT_EX_OK 0
#define IMPORT_EX_DATAERR 65
#define IMPORT_EX_NOINPUT 66
#define IMPORT_EX_TEMPFAIL 75

/* What the store answers for one report. */
enum import_store_status {
	IMPORT_STORE_STORED,
	IMPORT_STORE_DUPLICATE,         /* same report-id and organisation */
	IMPORT_STORE_NOT_OURS,          /* no policy-domain served: dropped */
	IMPORT_STORE_TEMPFAIL,          /* busy, locked, I/O error, ENOMEM */
};

/*
 * The store's entry point (tlsrpt_cmd.c's, around store_tlsrpt_add()).
 * `json` is the report's decompressed JSON, from which it was parsed (to
 * be kept: a summary re-parses it); `source` says where the report came
 * from ("mail:FILE" or "mail:stdin"). Everything is only borrowed.
 */
typedef enum import_store_status (*import_store_fn)(
	void *ctx, const struct tlsrpt_report *report, const char *json,
	size_t json_len, const char *source);

struct import_report_opts {
	import_store_fn store;          /* NULL: no store (temporary failure) */
	void *store_ctx;
};

/* The entry point: imports every FILE (stdin when n_files is 0) and
 * returns the exit status described above. One line per report or
 * failure goes to the log (stderr). */
int import_report_main(char *const *files, size_t n_files,
                       const struct import_report_opts *opts);

#endif
