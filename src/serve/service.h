/*
 * service: talking to the service manager (systemd), through libsystemd
 * when stsd was built with it; every function is a harmless no-op without.
 *
 * Notification order over a life: ready → (reloading → ready)* → stopping,
 * with STATUS= updates (new ACME certificates) between them.
 */
#ifndef STSD_SERVICE_H
#define STSD_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

/* READY=1 with a STATUS= line. */
void service_ready(const char *status);
/* STATUS= alone: what `systemctl status` shows, when something changed
 * without a reload (new ACME certificates). */
void service_status(const char *status);
/* RELOADING=1 with MONOTONIC_USEC= (systemd 253 Type=notify-reload wants it). */
void service_reloading(void);
void service_stopping(void);

/* The watchdog interval in microseconds, 0 when none is asked for. */
uint64_t service_watchdog_usec(void);
void service_watchdog_ping(void);

/* File descriptors passed by socket activation: sets *first to the first
 * (3) and returns how many (0 when none, or without libsystemd). */
int service_listen_fds(int *first);

#endif
