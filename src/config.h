/* config.h: the validated configuration (bottles.json) as C structs. */
#ifndef BOTTLE_CONFIG_H
#define BOTTLE_CONFIG_H

#include <stddef.h>

#include "util.h"

enum config_vmm {
	CONFIG_VMM_AUTO =
	    0, /* smolvm when found, else the simulator (warned) */
	CONFIG_VMM_SMOLVM,
	CONFIG_VMM_SIM,
};

enum config_on_unsafe {
	CONFIG_ON_UNSAFE_REPORT = 0,
	CONFIG_ON_UNSAFE_STOP,
};

/* One bundle service (bundle.services.NAME). */
struct config_service {
	char *name;	     /* owned; [a-z0-9][a-z0-9-]* e.g. "pipelock" */
	char *bind;	     /* owned; an IPv4 literal, e.g. "0.0.0.0" */
	int port;	     /* 1..65535 */
	int agent_reachable; /* 1: the VM may reach it on the bundle IP */
	char *health; /* owned; HTTP path ("/health") or NULL: TCP only */
};

struct config_vm {
	char *image;		/* owned; required */
	struct strv entrypoint; /* owned */
	struct strv cmd;	/* owned */
	struct strv env;	/* owned; "K=V" strings, sorted by K */
	char *workdir;		/* owned or NULL */
	int cpus;		/* >= 1, default 2 */
	int memory_mib;		/* >= 64, default 2048 (config key "memory") */
	struct strv volumes;	/* owned; "/abs/host:/abs/guest[:ro]" */
	int git_writable;	/* vm.git_writable: a read-write repository
				   mount keeps its .git writable too */
};

/* One volume as it is mounted, checked at up time
 * (config_check_volumes_now). */
struct config_mount {
	char *host;  /* owned; the host directory, symlinks resolved */
	char *guest; /* owned; the guest path, trailing '/' removed */
	int ro;	     /* mounted read-only (":ro") */
	int git_ro;  /* a read-write repository mount: HOST/.git is
			mounted read-only over GUEST/.git after it */
};

struct config_mounts {
	struct config_mount *v; /* owned array, in vm.volumes order */
	size_t n;
};

struct config_bundle {
	char *image;			 /* owned; required */
	struct strv env;		 /* owned; "K=V" sorted by K, passed
					    to the container (bundle.env) */
	struct config_service *services; /* owned array, sorted by name */
	size_t n_services;
	char *proxy; /* owned; the forward-proxy service
			name, default "pipelock" */
};

/* A fully resolved bottle: defaults merged with its overrides. */
struct config_bottle {
	char *name; /* owned; ^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$, no "--" */
	struct config_vm vm;
	struct config_bundle bundle;
	char *subnet_pool;	/* owned; CIDR, default "10.213.0.0/16" */
	int subnet_prefix;	/* default 28; 16..29 and >= pool prefix */
	int probe_interval_s;	/* default 60; >= 5 */
	int health_interval_s;	/* default 10; >= 1 */
	int probe_timeout_s;	/* default 5 (probes.timeout_s) */
	char *resolver;		/* owned; probes.resolver, NULL = dns-hole off
				   on TSI bands */
	char *dns_name;		/* owned; probes.dns_name, "example.com" */
	int smolvm_allow_newer; /* defaults only: try a newer smolvm */
	enum config_vmm vmm;	/* default auto */
	enum config_on_unsafe on_unsafe; /* default report */
	int log_lines; /* ring size per log source, default 10000 */
};

struct config {
	char *path;		       /* owned; file it came from */
	struct config_bottle *bottles; /* owned array, in file order */
	size_t n_bottles;
	struct strv warnings;	/* owned; non-fatal findings to print */
	int smolvm_allow_newer; /* defaults.smolvm_allow_newer */
	/* the host-path policy config_parse_opts was given, kept for
	 * config_check_volumes_now */
	struct strv protected_dirs; /* owned; config_opts.protected_dirs */
	char *home;		    /* owned or NULL; config_opts.home */
};

/* config_default_path: $XDG_CONFIG_HOME/bottle/bottles.json (or
 * ~/.config/...). Caller frees. */
char *config_default_path(void);

/* What config_parse_opts checks beyond the text itself (all borrowed). */
struct config_opts {
	int unsafe_bind; /* accept a wide bind for a hidden service (test
			    builds only; the caller decides) */
	const char *const *protected_dirs; /* NULL-terminated: bottle's
					      state, configuration, helper
					      and data directories; no
					      volume is, contains or lies in
					      one */
	const char *home;  /* the user's home: other homes are refused */
	int loopback_pool; /* accept a subnet_pool on 127/8 (unit tests of
			      the core, whose bundles answer on loopback) */
};

/* config_parse_opts: config_parse with o (NULL: none). Pure: it reads
 * nothing but its arguments. */
int config_parse_opts(const char *buf, size_t len, const char *origin,
		      const struct config_opts *o, struct config **out,
		      char **cause);

/* config_parse: validate JSON text (comments allowed) into *out.
 * origin names the source in messages. On error returns -1 and *cause is
 * "config: PATH.TO.KEY: what was expected" (caller frees). */
int config_parse(const char *buf, size_t len, const char *origin,
		 struct config **out, char **cause);

/* config_load: read and parse a file; a missing file is an error. */
int config_load(const char *path, struct config **out, char **cause);
/* config_load_opts: config_load with o (NULL: none). */
int config_load_opts(const char *path, const struct config_opts *o,
		     struct config **out, char **cause);

/* config_find: the bottle called name, or NULL (borrowed). */
const struct config_bottle *config_find(const struct config *c,
					const char *name);

/* config_service_find: a bottle's service by name, or NULL (borrowed). */
const struct config_service *config_service_find(const struct config_bottle *b,
						 const char *name);

/* config_name_valid: 1 when name is a valid bottle name. */
int config_name_valid(const char *name);

void config_free(struct config *c);

/* config_check_volumes_now: b's volumes as they stand now, into *out
 * (caller releases with config_mounts_release): each host path resolved
 * with realpath(3) (it must be a directory) and checked again against
 * the host-path policy c was parsed with (config_opts), so that a path
 * swapped for a symbolic link after the configuration was loaded is
 * refused. A read-write mount whose directory holds a .git directory
 * gets git_ro unless b->vm.git_writable; a .git that is not a directory
 * (a file, a symbolic link) is refused then, as smolvm mounts only
 * directories. Reads the file system. -1 with cause "config:
 * bottles.NAME.vm.volumes[I]: ..." (caller frees). */
int config_check_volumes_now(const struct config *c,
			     const struct config_bottle *b,
			     struct config_mounts *out, char **cause);

/* config_mounts_release: free what config_check_volumes_now stored; zeroes
 * m. */
void config_mounts_release(struct config_mounts *m);

#endif
