/* fuzz_health.c: pipelock's /health JSON reader on arbitrary bytes.
 *
 * The input is parsed twice into results that already hold strings (they
 * must be replaced, not leaked) and the two parses must agree. Every
 * field must be in range: the booleans -1/0/1, the strings bounded and
 * NUL-terminated, and a rejected input leaves everything unknown. Any
 * violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "util.h"

static void fuzz_prefill(struct health_service_result *r)
{
	memset(r, 0, sizeof *r);
	r->pipelock_version = xstrdup("old");
	r->pipelock_mode = xstrdup("old");
	r->kill_switch_active = 1;
	r->forward_proxy_enabled = 1;
}

static void fuzz_check(int rc, const struct health_service_result *r)
{
	if (r->kill_switch_active < -1 || r->kill_switch_active > 1 ||
	    r->forward_proxy_enabled < -1 || r->forward_proxy_enabled > 1)
		abort();
	if (r->pipelock_version && strlen(r->pipelock_version) > 120)
		abort();
	if (r->pipelock_mode && strlen(r->pipelock_mode) > 120)
		abort();
	if (rc != 0 &&
	    (r->kill_switch_active != -1 || r->forward_proxy_enabled != -1 ||
	     r->pipelock_version || r->pipelock_mode || r->error))
		abort();
	if (rc != 0 && rc != -1)
		abort();
}

static int fuzz_same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct health_service_result a, b;
	int ra, rb;

	fuzz_prefill(&a);
	fuzz_prefill(&b);
	ra = health_parse_pipelock((const char *)data, size, &a);
	rb = health_parse_pipelock((const char *)data, size, &b);
	fuzz_check(ra, &a);
	if (ra != rb || a.kill_switch_active != b.kill_switch_active ||
	    a.forward_proxy_enabled != b.forward_proxy_enabled ||
	    !fuzz_same_str(a.pipelock_version, b.pipelock_version) ||
	    !fuzz_same_str(a.pipelock_mode, b.pipelock_mode) ||
	    !fuzz_same_str(a.error, b.error))
		abort();
	health_service_result_release(&a);
	health_service_result_release(&b);
	return 0;
}
