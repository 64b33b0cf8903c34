/* canary.h: a listener on the host's 127.0.0.1 (libuv TCP) that the
 * localhost-reach probe aims at.
 *
 * The probe's own connection proves itself with a nonce: the helper in
 * the guest sends "bottle-canary NONCE\n" first, NONCE being a per-run
 * secret registered here with canary_expect (it reaches the guest on the
 * exec's stdin, never on an argv). The canary reads the first line of
 * each connection (at most CANARY_LINE_MAX bytes, CANARY_READ_MS) and
 * counts a hit for a nonce only when that line carries it, then answers
 * "bottle-canary ok\n". Any other connection (another local user's, or
 * one that says nothing) is counted as unrelated, reported through the
 * unrelated callback, and never counts as a hit. */
#ifndef BOTTLE_CANARY_H
#define BOTTLE_CANARY_H

#include <stdint.h>
#include <uv.h>

#define CANARY_LINE_MAX 128 /* bytes read from a connection */
#define CANARY_READ_MS 3000 /* how long a connection may stay silent */
#define CANARY_NONCE_MAX 64 /* longest nonce */
#define CANARY_MAGIC "bottle-canary "
#define CANARY_ACK "bottle-canary ok\n"

struct canary;

/* Called for each unrelated connection: why ("no nonce", "an unknown
 * nonce", "silent"), borrowed. */
typedef void (*canary_unrelated_cb)(struct canary *c, const char *why,
				    void *data);

/* canary_open: listen on 127.0.0.1:0; *out and *port set. 0, or a
 * negative UV_E* (then *out is NULL and nothing is left to close; run the
 * loop to release what was opened). */
int canary_open(uv_loop_t *loop, struct canary **out, int *port);
/* canary_port: the port it listens on. */
int canary_port(const struct canary *c);
/* canary_on_unrelated: set (or clear, cb NULL) the unrelated callback. */
void canary_on_unrelated(struct canary *c, canary_unrelated_cb cb, void *data);
/* canary_nonce_ok: 1 when s is a usable nonce (1..CANARY_NONCE_MAX of
 * [0-9A-Za-z]). */
int canary_nonce_ok(const char *s);
/* canary_expect: count connections that carry nonce (copied) from now
 * on. 0, or -1 when the nonce is not usable or already expected. */
int canary_expect(struct canary *c, const char *nonce);
/* canary_forget: stop expecting nonce. */
void canary_forget(struct canary *c, const char *nonce);
/* canary_nonce_hits: connections that carried nonce (0 if not
 * expected). */
uint64_t canary_nonce_hits(const struct canary *c, const char *nonce);
/* canary_hits: connections that carried an expected nonce, all told. */
uint64_t canary_hits(const struct canary *c);
/* canary_unrelated: connections that did not (other local users'). */
uint64_t canary_unrelated(const struct canary *c);
/* canary_drain: accept every connection already queued on the listener
 * without waiting for the loop, and judge those whose first line is
 * already there; returns canary_hits(). Called before reading a count, so
 * a connection that completed before now is never missed. */
uint64_t canary_drain(struct canary *c);
/* canary_close: close the listener and every connection; the struct is
 * freed in the last close callback (run the loop afterwards). */
void canary_close(struct canary *c);

#endif
