/*
 * acme_http: the http-01 token table (see acme_http.h).
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "acme_http.h"

#define TOKEN_MAX 128                   /* base64url of 16..64 bytes */

struct slot {
	char token[TOKEN_MAX + 1];
	struct http_answer answer;      /* resp NULL: never used */
	bool live;
	time_t down_since;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[ACME_HTTP_SLOTS];
static atomic_uint n_live;

static bool token_ok(const char *t)
{
	size_t n = strlen(t);

	return n > 0 && n <= TOKEN_MAX &&
	       strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789-_") == n;
}

int acme_http_put(const char *token, const char *key_authorization)
{
	time_t now = time(NULL);
	struct MHD_Response *resp;
	struct slot *free_slot = NULL;
	size_t len = strlen(key_authorization);

	if (!token_ok(token))
		return -1;
	resp = MHD_create_response_from_buffer(len, (void *)key_authorization,
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL ||
	    MHD_add_response_header(resp, "Content-Type",
	                            "text/plain") != MHD_YES ||
	    MHD_add_response_header(resp, "Cache-Control",
	                            "no-store") != MHD_YES) {
		if (resp)
			MHD_destroy_response(resp);
		return -1;
	}
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ACME_HTTP_SLOTS && free_slot == NULL; i++) {
		struct slot *s = &slots[i];

		if (!s->live && (s->answer.resp == NULL ||
		                 now - s->down_since >= ACME_HTTP_REUSE_AFTER))
			free_slot = s;
	}
	if (free_slot == NULL) {
		pthread_mutex_unlock(&lock);
		MHD_destroy_response(resp);
		return -1;
	}
	if (free_slot->answer.resp != NULL)
		MHD_destroy_response(free_slot->answer.resp);
	strcpy(free_slot->token, token);
	free_slot->answer = (struct http_answer){ resp, MHD_HTTP_OK, len };
	/* Readers see `live` only after the rest (release / acquire). */
	atomic_thread_fence(memory_order_release);
	free_slot->live = true;
	atomic_fetch_add(&n_live, 1);
	pthread_mutex_unlock(&lock);
	return 0;
}

void acme_http_remove(const char *token)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ACME_HTTP_SLOTS; i++) {
		struct slot *s = &slots[i];

		if (s->live && !strcmp(s->token, token)) {
			s->live = false;
			s->down_since = time(NULL);
			atomic_fetch_sub(&n_live, 1);
		}
	}
	pthread_mutex_unlock(&lock);
}

void acme_http_clear_all(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ACME_HTTP_SLOTS; i++) {
		if (slots[i].answer.resp != NULL)
			MHD_destroy_response(slots[i].answer.resp);
		memset(&slots[i], 0, sizeof(slots[i]));
	}
	atomic_store(&n_live, 0);
	pthread_mutex_unlock(&lock);
}

const struct http_answer *acme_http_route(const char *url)
{
	const struct http_answer *a = NULL;
	const char *token;

	if (atomic_load_explicit(&n_live, memory_order_relaxed) == 0 ||
	    strncmp(url, ACME_HTTP_PREFIX, sizeof(ACME_HTTP_PREFIX) - 1) != 0)
		return NULL;
	token = url + sizeof(ACME_HTTP_PREFIX) - 1;
	/* Under the lock: a challenge request is rare, and the slot must not
	 * change while it is compared. */
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ACME_HTTP_SLOTS; i++)
		if (slots[i].live && !strcmp(slots[i].token, token)) {
			a = &slots[i].answer;
			break;
		}
	pthread_mutex_unlock(&lock);
	return a;
}
