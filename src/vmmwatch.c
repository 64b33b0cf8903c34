/* vmmwatch.c: the VMM's sockets seen from the host (see vmmwatch.h). */
#include "vmmwatch.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define VMMWATCH_TCP_LISTEN 0x0a

/* vmmwatch_hex_addr: the kernel's hex address (one %08X per 32-bit word,
 * each the word in host order) into network-order bytes; 0 or -1. */
static int vmmwatch_hex_addr(const char *s, size_t n, unsigned char *out,
			     size_t words)
{
	size_t w, i;

	if (n != words * 8)
		return -1;
	for (w = 0; w < words; w++) {
		uint32_t v = 0;
		for (i = 0; i < 8; i++) {
			char c = s[w * 8 + i];
			int d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else
				return -1;
			v = v << 4 | (uint32_t)d;
		}
		memcpy(out + w * 4, &v, 4);
	}
	return 0;
}

/* vmmwatch_field: the next blank-separated field of [*p, e). */
static int vmmwatch_field(const char **p, const char *e, const char **f,
			  size_t *n)
{
	const char *s = *p;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	*f = s;
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	*n = (size_t)(s - *f);
	*p = s;
	return *n > 0 ? 0 : -1;
}

static int vmmwatch_hex_num(const char *s, size_t n, unsigned long *v)
{
	char tmp[16], *end;

	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*v = strtoul(tmp, &end, 16);
	return *end == '\0' ? 0 : -1;
}

/* vmmwatch_addr_port: "HEX:PORT" into text and port; *zero when the
 * address is all zero. */
static int vmmwatch_addr_port(const char *f, size_t n, int v6, char *text,
			      size_t textsz, int *port, int *zero)
{
	unsigned char a[16];
	const char *colon = memchr(f, ':', n);
	unsigned long pt;
	size_t i;

	if (colon == NULL ||
	    vmmwatch_hex_addr(f, (size_t)(colon - f), a, v6 ? 4 : 1) != 0 ||
	    vmmwatch_hex_num(colon + 1, n - (size_t)(colon - f) - 1, &pt) !=
		0 ||
	    pt > 65535)
		return -1;
	*port = (int)pt;
	*zero = 1;
	for (i = 0; i < (v6 ? 16u : 4u); i++)
		if (a[i] != 0)
			*zero = 0;
	if (v6) {
		static const unsigned char mapped[12] = {
		    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(a, mapped, 12) == 0)
			return inet_ntop(AF_INET, a + 12, text,
					 (socklen_t)textsz)
				   ? 0
				   : -1;
		return inet_ntop(AF_INET6, a, text, (socklen_t)textsz) ? 0 : -1;
	}
	return inet_ntop(AF_INET, a, text, (socklen_t)textsz) ? 0 : -1;
}

size_t vmmwatch_parse(const char *buf, size_t len, int v6,
		      enum vmmwatch_proto proto, struct vmmwatch_table *t)
{
	const char *p = buf, *end = buf + len;
	size_t added = 0;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		const char *q = p, *f;
		size_t n, k;
		struct vmmwatch_sock s;
		char local[64];
		int lport, zero, rzero;
		unsigned long st, uid;

		if (e == NULL)
			e = end;
		memset(&s, 0, sizeof s);
		/* sl local rem st tx:rx tr:when retrnsmt uid ... */
		if (vmmwatch_field(&q, e, &f, &n) != 0 || f[n - 1] != ':')
			goto next; /* the header, or not a socket line */
		if (vmmwatch_field(&q, e, &f, &n) != 0 ||
		    vmmwatch_addr_port(f, n, v6, local, sizeof local, &lport,
				       &zero) != 0)
			goto next;
		if (vmmwatch_field(&q, e, &f, &n) != 0 ||
		    vmmwatch_addr_port(f, n, v6, s.peer, sizeof s.peer,
				       &s.peer_port, &rzero) != 0)
			goto next;
		if (vmmwatch_field(&q, e, &f, &n) != 0 ||
		    vmmwatch_hex_num(f, n, &st) != 0)
			goto next;
		for (k = 0; k < 3; k++)
			if (vmmwatch_field(&q, e, &f, &n) != 0)
				goto next;
		if (vmmwatch_field(&q, e, &f, &n) != 0 || n > 10)
			goto next;
		{
			char tmp[12], *te;
			memcpy(tmp, f, n);
			tmp[n] = '\0';
			uid = strtoul(tmp, &te, 10);
			if (*te != '\0')
				goto next;
		}
		if (rzero ||
		    (proto == VMMWATCH_TCP && st == VMMWATCH_TCP_LISTEN))
			goto next;
		s.uid = (unsigned)uid;
		s.proto = proto;
		s.state = (int)st;
		t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
		t->v[t->n++] = s;
		added++;
	next:
		p = e < end ? e + 1 : end;
	}
	return added;
}

void vmmwatch_table_release(struct vmmwatch_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
	t->read_ok = 0;
}

void vmmwatch_read(const char *root, struct vmmwatch_table *t)
{
	static const struct {
		const char *file;
		int v6;
		enum vmmwatch_proto proto;
	} tables[] = {
	    {"net/tcp", 0, VMMWATCH_TCP},
	    {"net/tcp6", 1, VMMWATCH_TCP},
	    {"net/udp", 0, VMMWATCH_UDP},
	    {"net/udp6", 1, VMMWATCH_UDP},
	};
	size_t i;

	vmmwatch_table_release(t);
	for (i = 0; i < UTIL_NELEM(tables); i++) {
		char *path = xasprintf("%s/%s", root, tables[i].file);
		char *text = NULL;
		size_t len = 0;
		if (util_read_file(path, &text, &len, NULL) == 0) {
			vmmwatch_parse(text, len, tables[i].v6, tables[i].proto,
				       t);
			if (i == 0)
				t->read_ok = 1;
		}
		free(text);
		free(path);
	}
}

static int vmmwatch_allowed(const char *peer, const char *a, const char *b)
{
	return (a != NULL && strcmp(peer, a) == 0) ||
	       (b != NULL && strcmp(peer, b) == 0);
}

char *vmmwatch_stray(const struct vmmwatch_table *t, unsigned uid,
		     const char *allowed, const char *allowed2)
{
	struct buf d = BUF_INIT;
	size_t i, named = 0, more = 0;

	for (i = 0; i < t->n; i++) {
		const struct vmmwatch_sock *s = &t->v[i];
		if (s->uid != uid ||
		    vmmwatch_allowed(s->peer, allowed, allowed2))
			continue;
		if (named == 4) {
			more++;
			continue;
		}
		buf_addf(&d, "%sVMM socket to %s%s%s:%d (%s)",
			 d.len ? "; " : "", strchr(s->peer, ':') ? "[" : "",
			 s->peer, strchr(s->peer, ':') ? "]" : "", s->peer_port,
			 s->proto == VMMWATCH_TCP ? "tcp" : "udp");
		named++;
	}
	if (more > 0)
		buf_addf(&d, " and %zu more", more);
	return d.len ? buf_detach(&d) : (buf_release(&d), NULL);
}

size_t vmmwatch_count(const struct vmmwatch_table *t, unsigned uid,
		      const char *ip)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (t->v[i].uid == uid && ip != NULL &&
		    strcmp(t->v[i].peer, ip) == 0)
			n++;
	return n;
}

int vmmwatch_parse_status_uid(const char *buf, size_t len, unsigned *uid,
			      int *uniform)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (e == NULL)
			e = end;
		if ((size_t)(e - p) > 4 && memcmp(p, "Uid:", 4) == 0) {
			unsigned long v[4];
			const char *q = p + 4, *f;
			size_t n, k;
			for (k = 0; k < 4; k++) {
				char tmp[16], *te;
				if (vmmwatch_field(&q, e, &f, &n) != 0 ||
				    n >= sizeof tmp)
					return -1;
				memcpy(tmp, f, n);
				tmp[n] = '\0';
				v[k] = strtoul(tmp, &te, 10);
				if (*te != '\0')
					return -1;
			}
			*uid = (unsigned)v[0];
			*uniform = v[0] == v[1] && v[1] == v[2] && v[2] == v[3];
			return 0;
		}
		p = e < end ? e + 1 : end;
	}
	return -1;
}

int vmmwatch_sim_uid(const char *boot_json, size_t len, unsigned *uid,
		     enum vmmwatch_kind *kind, char **cause)
{
	cJSON *root = cJSON_ParseWithLength(boot_json, len);
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "uid");
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(root, "policy");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(pol, "mode");
	int rc = -1;

	if (!cJSON_IsNumber(u) || u->valuedouble < VMMWATCH_SIM_UID_MIN ||
	    u->valuedouble > VMMWATCH_SIM_UID_MAX || !cJSON_IsString(mode)) {
		util_fail(cause, "simulator: boot record without a guest uid "
				 "and network mode");
	} else if (strcmp(mode->valuestring, "virtio") == 0) {
		*uid = VMMWATCH_VM_UID_MIN + (unsigned)u->valueint -
		       VMMWATCH_SIM_UID_MIN;
		*kind = VMMWATCH_VMM;
		rc = 0;
	} else if (strcmp(mode->valuestring, "isolated") == 0) {
		util_fail(cause, "the VM has no network");
	} else {
		/* TSI emulation: the guest's sockets are host sockets */
		*uid = (unsigned)u->valueint;
		*kind = VMMWATCH_GUEST;
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

/* vmmwatch_sim_boot: the simulator VMM's boot.json path from its
 * cmdline (".../smolvm _sim-vmm DATADIR"), or NULL. Caller frees. */
static char *vmmwatch_sim_boot(int pid)
{
	char *path = xasprintf("/proc/%d/cmdline", pid), *text = NULL, *res;
	size_t len = 0, i;
	const char *prev = NULL, *cur;

	if (util_read_file(path, &text, &len, NULL) != 0) {
		free(path);
		return NULL;
	}
	free(path);
	res = NULL;
	for (i = 0, cur = text; i < len; i++) {
		if (text[i] != '\0')
			continue;
		if (prev != NULL && strcmp(prev, "_sim-vmm") == 0 &&
		    cur[0] == '/') {
			res = xasprintf("%s/boot.json", cur);
			break;
		}
		prev = cur;
		cur = text + i + 1;
	}
	free(text);
	return res;
}

int vmmwatch_vmm_uid(int pid, int simulated, unsigned *uid,
		     enum vmmwatch_kind *kind, char **cause)
{
	char *path, *text = NULL;
	size_t len = 0;
	unsigned u = 0;
	int uniform = 0, rc;

	*kind = VMMWATCH_NONE;
	*uid = 0;
	if (pid <= 0)
		return util_fail(cause, "smolvm reports no VMM pid");
	path = xasprintf("/proc/%d/status", pid);
	rc = util_read_file(path, &text, &len, NULL);
	free(path);
	if (rc != 0)
		return util_fail(cause, "VMM pid %d: no such process", pid);
	rc = vmmwatch_parse_status_uid(text, len, &u, &uniform);
	free(text);
	if (rc != 0)
		return util_fail(cause, "VMM pid %d: no Uid line", pid);
	if (uniform && u >= VMMWATCH_VM_UID_MIN) {
		*uid = u;
		*kind = VMMWATCH_VMM;
		return 0;
	}
	if (simulated) {
		char *boot = vmmwatch_sim_boot(pid);
		if (boot != NULL &&
		    util_read_file(boot, &text, &len, NULL) == 0) {
			rc = vmmwatch_sim_uid(text, len, uid, kind, cause);
			free(text);
			free(boot);
			return rc;
		}
		free(boot);
	}
	if (u == 0)
		return util_fail(cause,
				 "the VMM (pid %d) runs as root: no uid of its "
				 "own (SMOLVM_VM_UID_DROP=off, or smolvm older "
				 "than 1.2.5)",
				 pid);
	return util_fail(cause,
			 "the VMM (pid %d) runs as uid %u, not a per-VM uid "
			 "(smolvm is not run as root)",
			 pid, u);
}
