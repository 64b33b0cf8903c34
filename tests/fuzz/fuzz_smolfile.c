/* fuzz_smolfile.c: no config value can change a Smolfile's network policy.
 *
 * Input: byte 0 is flags (bit 0: helper_dir, bit 1: proxy port, bit 2:
 * bundle IP from a field instead of 10.213.B3.B4, bit 7: feed the rest to
 * smolfile_check as raw text instead), bytes 1-2 cpus and memory, bytes
 * 3-4 the bundle IP's last octets; the rest is split at NUL bytes into
 * fields whose first byte picks the slot (image, entrypoint, cmd, env,
 * workdir, volume, helper_dir, bundle_ip) and whose other bytes are the
 * value. When rendering succeeds the text must pass independent line
 * checks and smolfile_check, and decode back to exactly the input values
 * plus what bottle adds. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smolfile.h"
#include "util.h"

struct fuzz_in {
	struct config_vm vm; /* owned */
	char *helper;	     /* owned or NULL */
	char *ip;	     /* owned */
	int port;
};

static void fuzz_assert(int ok)
{
	if (!ok)
		abort();
}

/* Store one field (kind byte then value) into in: kinds 0 to 7 replace a
 * string (7: the IP, when ip_from_field) or append to a list. */
static void fuzz_field(struct fuzz_in *in, const char *f, size_t len,
		       int ip_from_field)
{
	char **str[8] = {&in->vm.image,	  NULL, NULL,	     NULL,
			 &in->vm.workdir, NULL, &in->helper, NULL};
	struct strv *list[8] = {
	    NULL, &in->vm.entrypoint, &in->vm.cmd, &in->vm.env,
	    NULL, &in->vm.volumes,    NULL,	   NULL};
	unsigned k = (unsigned char)f[0] % 8;
	char *v = xstrndup(f + 1, len - 1);

	if (ip_from_field)
		str[7] = &in->ip;
	if (str[k] != NULL) {
		free(*str[k]);
		*str[k] = v;
		return;
	}
	if (list[k] != NULL)
		strv_push(list[k], v);
	free(v);
}

static void fuzz_in_build(struct fuzz_in *in, const uint8_t *d, size_t n)
{
	const char *p = (const char *)d + 5, *end = (const char *)d + n, *z;

	memset(in, 0, sizeof *in);
	in->vm.image = xstrdup("img");
	in->vm.cpus = d[1];
	in->vm.memory_mib = d[2] * 64;
	in->ip = xasprintf("10.213.%u.%u", d[3], d[4]);
	in->port = (d[0] & 2) ? 8888 : 0;
	while (p < end) {
		z = memchr(p, '\0', (size_t)(end - p));
		if (z == NULL)
			z = end;
		if (z > p)
			fuzz_field(in, p, (size_t)(z - p), d[0] & 4);
		p = z + 1;
	}
	if (!(d[0] & 1)) {
		free(in->helper);
		in->helper = NULL;
	}
}

static size_t fuzz_count_lines(const char *text, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	const char *p = text;

	for (;;) {
		if (strncmp(p, prefix, plen) == 0)
			n++;
		p = strchr(p, '\n');
		if (p == NULL || *++p == '\0')
			return n;
	}
}

/* Checks that do not trust smolfile_check: bytes, tables, keys, tail. */
static void fuzz_check_lines(const char *out, const char *ip)
{
	char *tail =
	    xasprintf("\n\n[network]\nallow_cidrs = [\"%s/32\"]\n", ip);
	size_t len = strlen(out), tlen = strlen(tail), i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];
		fuzz_assert(c == '\n' || (c >= 0x20 && c != 0x7f));
	}
	fuzz_assert(len > tlen && strcmp(out + len - tlen, tail) == 0);
	fuzz_assert(fuzz_count_lines(out, "[") == 1);
	fuzz_assert(fuzz_count_lines(out, "allow_") == 1);
	fuzz_assert(fuzz_count_lines(out, "ports") == 0);
	fuzz_assert(fuzz_count_lines(out, "net") == 0);
	fuzz_assert(strncmp(out, "image = \"", 9) == 0);
	free(tail);
}

static int fuzz_strv_eq(const struct strv *a, const struct strv *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

/* back.env is in->vm.env plus 4 proxy entries (when a port is set), and
 * sorted by key. */
static void fuzz_check_env(const struct fuzz_in *in, const struct strv *env)
{
	size_t i, j, found;

	fuzz_assert(env->n == in->vm.env.n + (in->port ? 4 : 0));
	for (i = 0; i < in->vm.env.n; i++) {
		for (j = 0, found = 0; j < env->n; j++)
			found += strcmp(in->vm.env.v[i], env->v[j]) == 0;
		fuzz_assert(found == 1);
	}
	for (i = 1; i < env->n; i++) {
		size_t a = strcspn(env->v[i - 1], "="),
		       b = strcspn(env->v[i], "=");
		int c = memcmp(env->v[i - 1], env->v[i], a < b ? a : b);
		fuzz_assert(c < 0 || (c == 0 && a < b));
	}
}

static void fuzz_check_round_trip(const struct fuzz_in *in, const char *out)
{
	struct config_vm back;
	char *cause = NULL, *helper_vol;
	const char *wd = in->vm.workdir;

	if (smolfile_check(out, strlen(out), in->ip, &back, &cause) != 0)
		abort();
	fuzz_assert(strcmp(back.image, in->vm.image) == 0);
	fuzz_assert(fuzz_strv_eq(&back.entrypoint, &in->vm.entrypoint));
	fuzz_assert(fuzz_strv_eq(&back.cmd, &in->vm.cmd));
	if (wd == NULL || wd[0] == '\0')
		fuzz_assert(back.workdir == NULL);
	else
		fuzz_assert(back.workdir != NULL &&
			    strcmp(back.workdir, wd) == 0);
	fuzz_assert(back.cpus == in->vm.cpus);
	fuzz_assert(back.memory_mib == in->vm.memory_mib);
	fuzz_check_env(in, &back.env);
	if (in->helper != NULL) {
		helper_vol = xasprintf("%s:/opt/bottle:ro", in->helper);
		fuzz_assert(back.volumes.n == in->vm.volumes.n + 1);
		fuzz_assert(
		    strcmp(back.volumes.v[in->vm.volumes.n], helper_vol) == 0);
		free(helper_vol);
		back.volumes.n--; /* compare the rest; restored below */
		fuzz_assert(fuzz_strv_eq(&back.volumes, &in->vm.volumes));
		back.volumes.n++;
	} else {
		fuzz_assert(fuzz_strv_eq(&back.volumes, &in->vm.volumes));
	}
	smolfile_vm_release(&back);
}

static void fuzz_render(const uint8_t *data, size_t size)
{
	struct fuzz_in in;
	struct smolfile_in si;
	char *out = NULL, *cause = NULL;

	fuzz_in_build(&in, data, size);
	si.vm = &in.vm;
	si.bundle_ip = in.ip;
	si.proxy_port = in.port;
	si.helper_dir = in.helper;
	if (smolfile_render(&si, &out, &cause) == 0) {
		fuzz_assert(cause == NULL);
		fuzz_check_lines(out, in.ip);
		fuzz_check_round_trip(&in, out);
		free(out);
	} else {
		fuzz_assert(out == NULL && cause != NULL &&
			    strncmp(cause, "smolfile: ", 10) == 0);
		free(cause);
	}
	smolfile_vm_release(&in.vm);
	free(in.helper);
	free(in.ip);
}

/* Raw text through the checker: it must not crash, and whatever it
 * accepts must render back to text it accepts again. */
static void fuzz_check_raw(const uint8_t *data, size_t size)
{
	struct config_vm vm;
	struct smolfile_in si = {&vm, "10.213.0.2", 0, NULL};
	char *cause = NULL, *out = NULL;

	if (smolfile_check((const char *)data, size, "10.213.0.2", &vm,
			   &cause) != 0) {
		free(cause);
		return;
	}
	if (smolfile_render(&si, &out, &cause) == 0) {
		if (smolfile_check(out, strlen(out), "10.213.0.2", NULL,
				   NULL) != 0)
			abort();
		free(out);
	} else {
		free(cause); /* e.g. an env entry the checker allows */
	}
	smolfile_vm_release(&vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	if (data[0] & 0x80)
		fuzz_check_raw(data + 1, size - 1);
	else
		fuzz_render(data, size);
	return 0;
}
