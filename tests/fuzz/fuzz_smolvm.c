/* fuzz_smolvm.c: smolvm's JSON parsers, version parser and stderr
 * classifier on arbitrary bytes. Successful parses must be well formed
 * (name and state set, numbers in range) and the version check must agree
 * with the version parser. Any breach aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smolvm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_machine(const struct smolvm_machine *m)
{
	if (m->name == NULL || m->name[0] == '\0' || m->state == NULL ||
	    m->pid < 0 || m->cpus < 0 || m->memory_mib < 0 ||
	    m->created_at < 0 || (m->network != 0 && m->network != 1))
		abort();
}

static void fuzz_ls(const char *buf, size_t len)
{
	struct smolvm_machine *m = NULL;
	size_t n = 0, i;
	char *cause = NULL;
	int rc;

	rc = smolvm_parse_ls(buf, len, &m, &n, &cause);
	if (fuzz_failed(rc, cause, m == NULL && n == 0))
		return;
	for (i = 0; i < n; i++)
		fuzz_check_machine(&m[i]);
	smolvm_machines_free(m, n);
}

static void fuzz_status(const char *buf, size_t len)
{
	struct smolvm_machine m;
	char *cause = NULL;
	int rc;

	rc = smolvm_parse_status(buf, len, &m, &cause);
	if (fuzz_failed(rc, cause, m.name == NULL))
		return;
	fuzz_check_machine(&m);
	smolvm_machine_release(&m);
}

static void fuzz_egress(const char *buf, size_t len)
{
	struct smolvm_egress_event *e = NULL;
	char *cause = NULL;
	size_t n = 0, i;

	if (smolvm_parse_egress_events(buf, len, &e, &n, &cause) != 0) {
		free(cause);
		return;
	}
	for (i = 0; i < n; i++)
		if (e[i].timestamp == NULL || e[i].operation == NULL ||
		    e[i].dest == NULL)
			abort();
	smolvm_egress_events_free(e, n);
}

static void fuzz_text(const char *text)
{
	int a = -1, b = -1, c = -1, parsed, ok;
	char *cause = NULL;

	parsed = smolvm_parse_version(text, &a, &b, &c) == 0;
	if (parsed && (a < 0 || b < 0 || c < 0))
		abort();
	ok = smolvm_version_check(text, &cause) == 0;
	if (parsed) {
		struct smolvm_version v = {a, b, c};
		enum smolvm_band band = smolvm_band_of(&v);
		if (ok !=
		    (band != SMOLVM_BAND_UNKNOWN && band != SMOLVM_BAND_NEWER))
			abort();
	} else if (ok) {
		abort();
	}
	if (!ok && (cause == NULL || strchr(cause, '\n') != NULL))
		abort();
	free(cause);
	if (smolvm_error_name(smolvm_classify(text)) == NULL)
		abort();
	smolvm_is_own_error(text);
	smolvm_bottle_name(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char *text = xstrndup(buf, size);

	fuzz_ls(buf, size);
	fuzz_status(buf, size);
	fuzz_egress(buf, size);
	fuzz_text(text);
	free(text);
	return 0;
}
