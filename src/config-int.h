/* config-int.h: what config.c and config-check.c share: the parse
 * context and the message, JSON-path and value helpers. Private to the
 * configuration module. */
#ifndef BOTTLE_CONFIG_INT_H
#define BOTTLE_CONFIG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

struct cJSON;

struct config_ctx {
	const char *origin;    /* borrowed; NULL: messages name no origin */
	struct buf path;       /* owned; JSON path of the value in hand */
	char *cause;	       /* owned; the first error, full message */
	struct strv *warnings; /* borrowed; where warnings go */
	int unsafe_bind;       /* config_opts.unsafe_bind (test builds) */
	const struct config_opts *opts; /* borrowed, never NULL */
	int warn_unsafe; /* record a warning when that override bites */
};

/* config_fail: record the first error at ctx's path; returns -1. */
int config_fail(struct config_ctx *ctx, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* config_warn: record a warning at ctx's path. */
void config_warn(struct config_ctx *ctx, const char *fmt, ...)
    UTIL_PRINTF(2, 3);
/* config_path_key, config_path_index: extend path; return the mark that
 * config_path_pop restores. */
size_t config_path_key(struct buf *path, const char *key);
size_t config_path_index(struct buf *path, int i);
void config_path_pop(struct buf *path, size_t mark);
/* config_get: obj[key] (case-sensitive), or NULL. Borrowed. */
const struct cJSON *config_get(const struct cJSON *obj, const char *key);
/* config_quoted: s quoted and bounded for a message. Caller frees. */
char *config_quoted(const char *s);
/* config_cidr: "A.B.C.D/N" (N 8..28) into addr and prefix; 0 or -1. */
int config_cidr(const char *s, uint32_t *addr, int *prefix);
/* config_ipv4: an IPv4 literal into *addr (host order); 0 or -1. */
int config_ipv4(const char *s, uint32_t *addr);
/* config_mask: the netmask of prefix. */
uint32_t config_mask(int prefix);
/* config_close_enough: whether cand is a better did-you-mean for key than
 * *best so far (updated). */
int config_close_enough(const char *key, const char *cand, size_t *best);

/* config_check_required: the keys a layer must have (j merged, base the
 * layer below; bottle: a bottle, not the defaults). 0 or -1. */
int config_check_required(struct config_ctx *ctx, const struct cJSON *j,
			  const struct cJSON *base, int bottle);
/* config_check_bottle: every whole-bottle check of b. 0 or -1. */
int config_check_bottle(struct config_ctx *ctx, const struct config_bottle *b);

#endif
