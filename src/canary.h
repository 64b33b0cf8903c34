/* canary.h: a listener on the host's 127.0.0.1 (libuv TCP) that counts
 * every connection it is offered. The localhost-reach probe aims at it:
 * any hit means something inside a VM reached the host's loopback. */
#ifndef BOTTLE_CANARY_H
#define BOTTLE_CANARY_H

#include <stdint.h>
#include <uv.h>

struct canary;

/* canary_open: listen on 127.0.0.1:0; *out and *port set. 0, or a
 * negative UV_E* (then *out is NULL and nothing is left to close; run the
 * loop to release what was opened). */
int canary_open(uv_loop_t *loop, struct canary **out, int *port);
/* canary_port: the port it listens on. */
int canary_port(const struct canary *c);
/* canary_hits: connections counted so far. */
uint64_t canary_hits(const struct canary *c);
/* canary_drain: accept (count and close) every connection already queued
 * on the listener, without waiting for the loop; returns canary_hits().
 * Called before reading the count, so a connect that completed before now
 * is never missed. */
uint64_t canary_drain(struct canary *c);
/* canary_close: close the listener; the struct is freed in the last close
 * callback (run the loop afterwards). */
void canary_close(struct canary *c);

#endif
