/* fuzz_docker.c: docker's output parsers and stderr classifier on
 * arbitrary bytes. The same input goes to every parser; on success the
 * results must be well formed (every container has an id, names and a
 * state; a bottle name points into its own labels). Any breach aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when p is one of the label strings (past its '='). */
static int fuzz_in_labels(const struct strv *labels, const char *p)
{
	size_t i;

	for (i = 0; i < labels->n; i++) {
		const char *l = labels->v[i];
		if (p > l && p <= l + strlen(l))
			return 1;
	}
	return 0;
}

static void fuzz_ps(const char *buf, size_t len)
{
	struct docker_container *c = NULL;
	size_t n = 0, i;
	char *cause = NULL;
	int rc;

	rc = docker_parse_ps(buf, len, &c, &n, &cause);
	if (fuzz_failed(rc, cause, c == NULL && n == 0))
		return;
	for (i = 0; i < n; i++) {
		if (c[i].id == NULL || c[i].id[0] == '\0' ||
		    c[i].names == NULL || c[i].state == NULL ||
		    c[i].exit_code < -1)
			abort();
		if (c[i].bottle != NULL &&
		    !fuzz_in_labels(&c[i].labels, c[i].bottle))
			abort();
	}
	docker_containers_free(c, n);
}

static void fuzz_networks(const char *buf, size_t len)
{
	struct docker_network *nw = NULL;
	size_t n = 0, i;
	char *cause = NULL;
	int rc;

	rc = docker_parse_networks(buf, len, &nw, &n, &cause);
	if (fuzz_failed(rc, cause, nw == NULL && n == 0))
		return;
	for (i = 0; i < n; i++) {
		if (nw[i].id == NULL || nw[i].name == NULL)
			abort();
		if (nw[i].bottle != NULL &&
		    !fuzz_in_labels(&nw[i].labels, nw[i].bottle))
			abort();
	}
	docker_networks_free(nw, n);
}

static void fuzz_version(const char *buf, size_t len)
{
	char *v = NULL, *cause = NULL;

	if (docker_parse_version(buf, len, &v, &cause) == 0) {
		if (v == NULL || v[0] == '\0')
			abort();
		free(v);
	} else {
		if (cause == NULL || v != NULL)
			abort();
		free(cause);
	}
}

/* Text views of the input: labels and classification take C strings. */
static void fuzz_text(const char *text)
{
	struct strv labels = STRV_INIT;
	enum docker_error e = docker_classify(text);
	size_t i;

	if (docker_error_name(e) == NULL)
		abort();
	docker_parse_labels(text, &labels);
	for (i = 0; i < labels.n; i++) {
		if (labels.v[i][0] == '\0')
			abort();
	}
	docker_label(&labels, DOCKER_LABEL_NAME);
	strv_release(&labels);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char *text = xstrndup(buf, size);

	fuzz_ps(buf, size);
	fuzz_networks(buf, size);
	fuzz_version(buf, size);
	fuzz_text(text);
	free(text);
	return 0;
}
