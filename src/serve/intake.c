/*
 * intake: the HTTPS intake of TLS reports (see intake.h): the request
 * side (bounded body copy, suspend), and one worker thread that parses and
 * stores each report and resumes its connection.
 *
 * libmicrohttpd facts this file relies on (0.9.75):
 *  - A handler call that returns MHD_YES without queueing a response makes
 *    MHD read the body (answering "Expect: 100-continue" itself) and call
 *    again with each piece, then once more with *upload_data_size == 0.
 *  - MHD_suspend_connection() in a handler call stops the connection's
 *    processing; MHD_resume_connection() (from any thread, with MHD_USE_ITC)
 *    makes MHD call the handler again, where the answer is queued.
 *  - A suspended connection is not timed out or closed by MHD; the daemon
 *    must not be stopped with one suspended: intake_stop() resumes all.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include "gunzip.h"
#include "intake.h"
#include "ratelimit.h"
#include "log.h"
#include "store.h"
#include "store_tlsrpt.h"
#include "tlsrpt.h"
#include "tlsrpt_stats.h"

enum answer_kind {
	A_STORED, A_DUPLICATE, A_NOT_REPORT, A_NOT_OURS, A_METHOD, A_TOO_LARGE,
	A_BUSY, A_RATE, A_N
};

static const struct {
	unsigned status;
	const char *body;
} answer_text[A_N] = {
	[A_STORED] = { 200, "report stored\n" },
	[A_DUPLICATE] = { 200, "report already stored\n" },
	[A_NOT_REPORT] = { 400, "not a TLS report\n" },
	[A_NOT_OURS] = { 400, "no policy domain of the report is served here\n" },
	[A_METHOD] = { 405, "POST a TLS report here\n" },
	[A_TOO_LARGE] = { 413, "report too large\n" },
	[A_BUSY] = { 503, "busy; try again later\n" },
	[A_RATE] = { 429, "too many reports from this address; try again "
	             "later\n" },
};

/* Built once, kept for the life of the process: a response queued on a
 * connection must outlive every daemon. */
static struct http_answer answers[A_N];
static bool answers_ok;

enum req_state { READING, QUEUED, DONE };

struct intake_req {
	struct MHD_Connection *mc;
	const struct conf *c;
	char peer[INET6_ADDRSTRLEN];
	unsigned char *body;
	size_t len, cap;
	bool too_large;
	_Atomic enum req_state state;
	const struct http_answer *answer;       /* set before state = DONE */
	struct intake_req *next;                /* in the queue */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct intake_req *head, *tail;
	bool running, stop;
	pthread_t thread;
	struct store *store;                    /* the worker's */
	char *store_dir;
	bool store_failing;                     /* logged once per streak */
} W = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static atomic_uint uploads;                     /* intake requests alive */

static const struct http_answer *answer(enum answer_kind k)
{
	return &answers[k];
}

static int build_answers(void)
{
	for (int k = 0; k < A_N; k++) {
		const char *b = answer_text[k].body;
		struct MHD_Response *r = MHD_create_response_from_buffer(
			strlen(b), (void *)(uintptr_t)b, MHD_RESPMEM_PERSISTENT);

		if (r == NULL)
			return -1;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        "text/plain; charset=utf-8");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		if (k == A_METHOD)
			MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
		if (k == A_BUSY || k == A_RATE)
			MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "60");
		answers[k] = (struct http_answer){ r, answer_text[k].status, strlen(b) };
	}
	return 0;
}

/* ---- the worker ------------------------------------------------------------ */

static struct store *worker_store(const struct conf *c)
{
	char err[STORE_ERR_LEN];

	if (W.store != NULL && strcmp(W.store_dir, c->state_dir) == 0)
		return W.store;
	/* A reload moved state_dir: follow it. */
	store_close(W.store);
	free(W.store_dir);
	W.store = NULL;
	W.store_dir = NULL;
	if ((W.store_dir = strdup(c->state_dir)) == NULL)
		return NULL;
	W.store = store_open(c->state_dir, 0, NULL, err, sizeof(err));
	if (W.store == NULL && !W.store_failing) {
		log_warnx("tlsrpt: %s; reports are refused (503) until it works",
		          err);
		W.store_failing = true;
	}
	return W.store;
}

static enum answer_kind reject(enum tlsrpt_stats_result why, enum answer_kind k)
{
	tlsrpt_stats_count(why);
	return k;
}

/* Parses and stores one upload; the answer for it. */
static enum answer_kind process(struct intake_req *ir)
{
	struct gunzip_limits lim;
	struct tlsrpt_report r;
	unsigned char *json = NULL;
	size_t json_len = 0, skip, n = 0;
	const char **ours = NULL;
	char err[TLSRPT_ERR_MAX], source[INET6_ADDRSTRLEN + 8];
	enum store_tlsrpt_result res;
	struct store *st;

	gunzip_limits_default(&lim);
	lim.max_out = TLSRPT_JSON_MAX;
	switch (gunzip_bounded(ir->body, ir->len, &lim, &json, &json_len, NULL)) {
	case GUNZIP_OK: break;
	case GUNZIP_ENOMEM: return reject(TLSRPT_STATS_BUSY, A_BUSY);
	case GUNZIP_TOO_LARGE:
	case GUNZIP_RATIO: return reject(TLSRPT_STATS_TOO_LARGE, A_TOO_LARGE);
	case GUNZIP_TRUNCATED:
	case GUNZIP_CORRUPT: return reject(TLSRPT_STATS_NOT_GZIP, A_NOT_REPORT);
	}
	skip = json_len >= 3 && json[0] == 0xef && json[1] == 0xbb &&
	       json[2] == 0xbf ? 3 : 0;
	switch (tlsrpt_parse((const char *)json + skip, json_len - skip, &r, err)) {
	case TLSRPT_OK: break;
	case TLSRPT_ENOMEM:
		free(json);
		return reject(TLSRPT_STATS_BUSY, A_BUSY);
	case TLSRPT_REJECT_TOO_LARGE:
		free(json);
		return reject(TLSRPT_STATS_TOO_LARGE, A_TOO_LARGE);
	case TLSRPT_REJECT_JSON:
		free(json);
		return reject(TLSRPT_STATS_JSON, A_NOT_REPORT);
	default:
		free(json);
		return reject(TLSRPT_STATS_SCHEMA, A_NOT_REPORT);
	}
	/* Only the domains served here, each once: anyone can POST. */
	if ((ours = calloc(r.n_policies + 1, sizeof(*ours))) == NULL) {
		res = STORE_TLSRPT_ERROR;
		goto stored;
	}
	for (size_t i = 0; i < r.n_policies; i++) {
		const char *d = r.policies[i].domain;
		bool seen = false;

		if (d == NULL || conf_find_domain(ir->c, d) == NULL)
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(ours[j], d) == 0;
		if (!seen)
			ours[n++] = d;
	}
	if (n == 0) {
		free(ours);
		free(json);
		tlsrpt_report_free(&r);
		return reject(TLSRPT_STATS_NOT_OURS, A_NOT_OURS);
	}
	snprintf(source, sizeof(source), "https:%s", ir->peer);
	res = STORE_TLSRPT_ERROR;
	if ((st = worker_store(ir->c)) != NULL) {
		res = store_tlsrpt_add(st, &r, ours, n, (const char *)json + skip,
		                       json_len - skip, source,
		                       (int64_t)time(NULL));
		if (res == STORE_TLSRPT_ERROR || res == STORE_TLSRPT_BUSY) {
			if (!W.store_failing)
				log_warnx("tlsrpt: %s", store_errmsg(st));
			W.store_failing = true;
		} else {
			W.store_failing = false;
		}
	}
stored:
	if (res == STORE_TLSRPT_STORED) {
		tlsrpt_stats_report(&r, ours, n, (int64_t)time(NULL));
		log_info("tlsrpt: stored report %s from %s (%s)", r.report_id,
		         r.organization, source);
	}
	free(ours);
	free(json);
	tlsrpt_report_free(&r);
	switch (res) {
	case STORE_TLSRPT_STORED:
		tlsrpt_stats_count(TLSRPT_STATS_STORED);
		return A_STORED;
	case STORE_TLSRPT_DUPLICATE:
		tlsrpt_stats_count(TLSRPT_STATS_DUPLICATE);
		return A_DUPLICATE;
	case STORE_TLSRPT_BUSY:
	case STORE_TLSRPT_ERROR:
		break;
	}
	return reject(TLSRPT_STATS_BUSY, A_BUSY);
}

static void finish(struct intake_req *ir, enum answer_kind k)
{
	ir->answer = answer(k);
	atomic_store(&ir->state, DONE);
	MHD_resume_connection(ir->mc);
}

static void *worker(void *arg)
{
	pthread_mutex_lock(&W.lock);
	for (;;) {
		struct intake_req *ir;

		while (W.head == NULL && !W.stop)
			pthread_cond_wait(&W.wake, &W.lock);
		if (W.head == NULL)
			break;          /* stop, and nothing queued */
		ir = W.head;
		W.head = ir->next;
		if (W.head == NULL)
			W.tail = NULL;
		if (W.stop) {
			/* Stopping: no new work, but every connection is
			 * resumed. */
			finish(ir, A_BUSY);
			continue;
		}
		pthread_mutex_unlock(&W.lock);
		finish(ir, process(ir));
		pthread_mutex_lock(&W.lock);
	}
	pthread_mutex_unlock(&W.lock);
	store_close(W.store);
	free(W.store_dir);
	W.store = NULL;
	W.store_dir = NULL;
	return NULL;
}

int intake_start(void)
{
	if (!answers_ok) {
		if (build_answers() != 0) {
			log_warnx("tlsrpt: cannot build the intake's answers");
			return -1;
		}
		answers_ok = true;
	}
	pthread_mutex_lock(&W.lock);
	if (!W.running) {
		W.stop = false;
		if (pthread_create(&W.thread, NULL, worker, NULL) == 0)
			W.running = true;
		else
			log_warnx("tlsrpt: cannot start the intake thread; "
			          "reports over HTTPS get 503");
	}
	pthread_mutex_unlock(&W.lock);
	return W.running ? 0 : -1;
}

void intake_stop(void)
{
	pthread_mutex_lock(&W.lock);
	if (!W.running) {
		pthread_mutex_unlock(&W.lock);
		return;
	}
	W.stop = true;
	pthread_cond_signal(&W.wake);
	pthread_mutex_unlock(&W.lock);
	pthread_join(W.thread, NULL);
	W.running = false;
}

/* ---- the request side ------------------------------------------------------ */

bool intake_wanted(const struct conf *c, enum listen_kind kind,
                   const char *path)
{
	return answers_ok && c->tlsrpt_path != NULL && kind != LISTEN_ADMIN &&
	       path != NULL && strcmp(path, c->tlsrpt_path) == 0;
}

/* The per-address rate (tlsrpt.per_address_per_minute): one table for
 * every listener, taken for a few instructions per upload; a reload that
 * changes the limit starts the counts afresh. */
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ratelimit rate;
static bool rate_ready;

static bool address_allowed(const struct conf *c, const char *peer)
{
	bool ok;

	pthread_mutex_lock(&rate_lock);
	if (!rate_ready || rate.limit != c->tlsrpt_per_address) {
		ratelimit_init(&rate, c->tlsrpt_per_address,
		               INTAKE_PER_ADDRESS_WINDOW);
		rate_ready = true;
	}
	ok = ratelimit_allow(&rate, peer, (int64_t)time(NULL));
	pthread_mutex_unlock(&rate_lock);
	return ok;
}

const struct http_answer *intake_route(struct MHD_Connection *mc,
                                       const struct conf *c,
                                       const char *method, const char *peer,
                                       struct intake_req **out,
                                       bool *close_now)
{
	const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct intake_req *ir;

	*out = NULL;
	*close_now = true;      /* a body we do not read is not left behind */
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		tlsrpt_stats_count(TLSRPT_STATS_METHOD);
		return answer(A_METHOD);
	}
	if (cl != NULL && (strlen(cl) > 10 ||
	                   strtoull(cl, NULL, 10) > INTAKE_BODY_MAX)) {
		tlsrpt_stats_count(TLSRPT_STATS_TOO_LARGE);
		return answer(A_TOO_LARGE);
	}
	if (!address_allowed(c, peer)) {
		tlsrpt_stats_count(TLSRPT_STATS_RATE);
		return answer(A_RATE);
	}
	if (atomic_fetch_add(&uploads, 1) >= INTAKE_MAX_UPLOADS) {
		atomic_fetch_sub(&uploads, 1);
		tlsrpt_stats_count(TLSRPT_STATS_BUSY);
		return answer(A_BUSY);
	}
	if ((ir = calloc(1, sizeof(*ir))) == NULL) {
		atomic_fetch_sub(&uploads, 1);
		tlsrpt_stats_count(TLSRPT_STATS_BUSY);
		return answer(A_BUSY);
	}
	ir->mc = mc;
	ir->c = c;
	snprintf(ir->peer, sizeof(ir->peer), "%s", peer);
	atomic_init(&ir->state, READING);
	*out = ir;
	*close_now = false;
	return NULL;
}

static void append(struct intake_req *ir, const char *data, size_t n)
{
	if (ir->too_large)
		return;
	if (n > INTAKE_BODY_MAX - ir->len) {
		/* Read on (and drop) to the end: the answer is 413. */
		ir->too_large = true;
		free(ir->body);
		ir->body = NULL;
		ir->len = ir->cap = 0;
		return;
	}
	if (ir->len + n > ir->cap) {
		size_t cap = ir->cap ? ir->cap : 16384;
		unsigned char *b;

		while (cap < ir->len + n)
			cap *= 2;
		if (cap > INTAKE_BODY_MAX)
			cap = INTAKE_BODY_MAX;
		if ((b = realloc(ir->body, cap)) == NULL) {
			/* Counted as busy at the end (empty, too_large
			 * unset: see intake_on_request). */
			ir->too_large = true;
			ir->cap = SIZE_MAX;
			return;
		}
		ir->body = b;
		ir->cap = cap;
	}
	memcpy(ir->body + ir->len, data, n);
	ir->len += n;
}

const struct http_answer *intake_on_request(struct intake_req *ir,
                                            struct MHD_Connection *mc,
                                            const char *upload_data,
                                            size_t *upload_data_size)
{
	enum req_state st = atomic_load(&ir->state);
	bool queued = false;

	if (st == DONE)
		return ir->answer;
	if (st == QUEUED)
		return NULL;    /* not called while suspended; be safe */
	if (*upload_data_size > 0) {
		append(ir, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return NULL;
	}
	/* The whole body is in. */
	if (ir->too_large) {
		bool oom = ir->cap == SIZE_MAX;

		tlsrpt_stats_count(oom ? TLSRPT_STATS_BUSY : TLSRPT_STATS_TOO_LARGE);
		return answer(oom ? A_BUSY : A_TOO_LARGE);
	}
	if (ir->len == 0) {
		tlsrpt_stats_count(TLSRPT_STATS_JSON);
		return answer(A_NOT_REPORT);
	}
	/* Suspended before the worker can see it (under the lock): the
	 * worker resumes it. */
	pthread_mutex_lock(&W.lock);
	if (W.running && !W.stop) {
		atomic_store(&ir->state, QUEUED);
		MHD_suspend_connection(mc);
		if (W.tail)
			W.tail->next = ir;
		else
			W.head = ir;
		W.tail = ir;
		pthread_cond_signal(&W.wake);
		queued = true;
	}
	pthread_mutex_unlock(&W.lock);
	if (!queued) {
		tlsrpt_stats_count(TLSRPT_STATS_BUSY);
		return answer(A_BUSY);
	}
	return NULL;
}

void intake_end(struct intake_req *ir)
{
	if (ir == NULL)
		return;
	free(ir->body);
	free(ir);
	atomic_fetch_sub(&uploads, 1);
}
