/*
 * smtp_probe: what a sender's MTA does on port 25 before sending mail:
 * connect, read the banner, EHLO, STARTTLS when offered, TLS handshake with
 * SNI = the MX host, then QUIT. Replies are parsed with smtp_reply
 * (bounded); everything happens within one deadline.
 */
#ifndef STSD_SMTP_PROBE_H
#define STSD_SMTP_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "tlsclient.h"

#define SMTP_BANNER_MAX 220

enum smtp_stage {
	SMTP_STAGE_CONNECT,          /* failed to connect (see net) */
	SMTP_STAGE_BANNER,           /* no or bad banner, or not 220 */
	SMTP_STAGE_EHLO,             /* EHLO refused or malformed reply */
	SMTP_STAGE_NO_STARTTLS,      /* EHLO did not offer STARTTLS */
	SMTP_STAGE_STARTTLS,         /* STARTTLS refused */
	SMTP_STAGE_TLS,              /* handshake failed (see tls.error) */
	SMTP_STAGE_DONE,             /* handshake done (see tls) */
};

struct smtp_probe_result {
	enum smtp_stage stage;
	enum net_result net;
	char error[256];
	char banner[SMTP_BANNER_MAX];
	struct tls_facts tls;
};

void smtp_probe(const char *host, const char *addr, uint16_t port,
                gnutls_certificate_credentials_t creds, int timeout_ms,
                const char *ehlo_name, struct smtp_probe_result *r);

#endif
