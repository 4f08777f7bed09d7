/*
 * accesslog: one line per answered request.
 *
 *   TIME PEER host=HOST sni=SNI "METHOD TARGET" STATUS BYTES DURATIONms "UA"
 *
 * e.g.
 *   2026-11-29T15:04:05Z 192.0.2.1 host=mta-sts.example.com sni=- "GET
 *   /.well-known/mta-sts.txt" 200 93 0.042ms "curl/8.0"
 * (one line). TIME is UTC. Fields the client chose (HOST, SNI, METHOD,
 * TARGET, UA) are cut to a length of their own, with "..." after a cut, and
 * every byte of them outside 0x20..0x7e, '"' and '\\' is written \xNN
 * (lowercase hex), so that a line is always one line of printable ASCII and
 * a quoted field always ends at its closing quote. A missing field is "-".
 * The whole line is at most ACCESSLOG_LINE_MAX bytes, '\n' included.
 *
 * accesslog_format() is pure; accesslog_io.h adds the one write(2).
 */
#ifndef STSD_ACCESSLOG_H
#define STSD_ACCESSLOG_H

#include <stddef.h>
#include <time.h>

#define ACCESSLOG_LINE_MAX 1024

/* Longest client fields, in bytes as sent (before \xNN escaping). */
#define ACCESSLOG_HOST_MAX 128
#define ACCESSLOG_SNI_MAX 128
#define ACCESSLOG_METHOD_MAX 16
#define ACCESSLOG_TARGET_MAX 256
#define ACCESSLOG_UA_MAX 256

/* One request, as the log shows it. Pointers are borrowed. */
struct accesslog_entry {
	time_t when;                /* wall clock at completion */
	const char *peer;           /* forward_peer_format(): trusted text */
	const char *host;           /* host the request was routed by, or NULL */
	size_t host_len;
	const char *sni;            /* TLS server name, or NULL */
	size_t sni_len;
	const char *method;         /* NUL-terminated */
	const char *target;         /* NUL-terminated */
	unsigned status;
	size_t body_len;            /* body bytes sent (0 for HEAD) */
	long long duration_us;      /* >= 0 */
	const char *ua;             /* User-Agent, or NULL */
	size_t ua_len;
};

/*
 * Writes the line for `e` to `out`: at most `size` bytes, always ending in
 * '\n' (a line that does not fit is cut before it), not NUL-terminated.
 * Returns its length; 0 only when size is 0.
 */
size_t accesslog_format(const struct accesslog_entry *e, char *out,
                        size_t size);

#endif
