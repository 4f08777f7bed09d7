/*
 * intake: the HTTPS intake of TLS reports (RFC 8460 section 5.2): a POST
 * of the report, raw gzip (application/tlsrpt+gzip) or raw JSON
 * (application/tlsrpt+json), to tlsrpt.path on every public listener.
 *
 * http.c hands a request for that path here (intake_route, first handler
 * call) and then every later call of the request (intake_on_request); it
 * queues the answer these give, and ends the request with intake_end.
 *
 * The request thread only copies the body (at most INTAKE_BODY_MAX bytes;
 * a larger Content-Length is refused before reading). The body then goes
 * to the intake's one worker thread, which sniffs the gzip magic (the
 * Content-Type is not trusted), inflates it within bounds (size and
 * ratio: no gzip bomb), parses it (tlsrpt.c), keeps only the policy
 * domains served here, and stores it in the state database; the
 * connection is suspended meanwhile (MHD_suspend_connection), so the
 * server thread never waits. Answers, each a short fixed text/plain body:
 *   200 "stored" or "already stored": the report is safely in the database;
 *   400 not a report (bad gzip, not JSON, schema, dates, counts), or about
 *       no domain served here: sending it again cannot help;
 *   405 not a POST (Allow: POST);
 *   413 too large (body, decompressed size or expansion ratio);
 *   429 (Retry-After) more than tlsrpt.per_address_per_minute uploads
 *       from one address in a minute;
 *   503 (Retry-After) too many uploads at once (INTAKE_MAX_UPLOADS), or
 *       the database is busy or failing: the sender may retry. Never for a
 *       bad report.
 * The policy path is untouched: it stays GET/HEAD only.
 *
 * Owns: the worker thread and its queue (intake_start/intake_stop), and
 * each request's state (freed by intake_end).
 */
#ifndef STSD_INTAKE_H
#define STSD_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "conf.h"
#include "site.h"

#define INTAKE_BODY_MAX (1u << 20)      /* bytes of a POST body */
#define INTAKE_MAX_UPLOADS 8            /* requests being read or worked on */
#define INTAKE_PER_ADDRESS_WINDOW 60    /* tlsrpt.per_address_per_minute */

struct intake_req;

/* Starts the worker thread (once; the server calls it at start). 0, or -1
 * when it cannot start (then every upload gets 503). */
int intake_start(void);

/* Finishes the job in progress, answers the queued ones with 503 and
 * resumes their connections, then stops the thread. Call before the MHD
 * daemons stop (a suspended connection must be resumed first). */
void intake_stop(void);

/* True when a request for `path` on a listener of `kind` is the intake's. */
bool intake_wanted(const struct conf *c, enum listen_kind kind,
                   const char *path);

/*
 * First handler call of such a request. Returns the answer to send at
 * once (and the connection then closes when *close_now), or NULL while
 * the body is being read; *out is then the request's state (freed by
 * intake_end). `peer` is the client's address (for the record), `c` the
 * configuration of the connection's snapshot (valid until the request
 * ends).
 */
const struct http_answer *intake_route(struct MHD_Connection *mc,
                                       const struct conf *c,
                                       const char *method, const char *peer,
                                       struct intake_req **out,
                                       bool *close_now);

/* Every later handler call: takes the body, and returns the answer once
 * there is one (NULL: return MHD_YES and wait). */
const struct http_answer *intake_on_request(struct intake_req *ir,
                                            struct MHD_Connection *mc,
                                            const char *upload_data,
                                            size_t *upload_data_size);

/* The request ended (answered or not). NULL is fine. */
void intake_end(struct intake_req *ir);

#endif
