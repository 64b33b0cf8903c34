/* docker.h: argv for every docker command bottle runs, and pure parsers
 * of their output. Nothing here spawns a process (see proc.h).
 *
 * A bottle NAME owns the network "bottle-NAME" and the container
 * "bottle-NAME-bundle", both labelled dev.bottle.managed=1 and
 * dev.bottle.name=NAME so that state can be rebuilt from docker alone.
 * Every argv is a NULL-terminated strv owned by the caller (strv_release)
 * whose first element is paths_docker(). */
#ifndef BOTTLE_DOCKER_H
#define BOTTLE_DOCKER_H

#include <stddef.h>

#include "config.h"
#include "util.h"

#define DOCKER_LABEL_MANAGED "dev.bottle.managed"
#define DOCKER_LABEL_NAME "dev.bottle.name"

/* What a failed docker command's stderr says went wrong. */
enum docker_error {
	DOCKER_ERR_OTHER = 0,
	DOCKER_ERR_UNREACHABLE, /* no engine (or no permission to its socket) */
	DOCKER_ERR_NOT_FOUND,	/* no such container / network */
	DOCKER_ERR_EXISTS,	/* name already taken */
	DOCKER_ERR_IMAGE,	/* image not present and not pullable */
	DOCKER_ERR_SUBNET, /* subnet overlaps, pinned IP taken or invalid */
	DOCKER_ERR_IN_USE, /* network still has containers attached */
};

/* One line of `docker ps --format {{json .}}`. */
struct docker_container {
	char *id;	      /* owned; full id */
	char *names;	      /* owned; "bottle-web-bundle" */
	char *image;	      /* owned or NULL */
	char *state;	      /* owned; "running", "exited", "created", ... */
	char *status;	      /* owned or NULL; "Up 3 minutes" */
	int exit_code;	      /* from "Exited (N) ...", else -1 */
	struct strv labels;   /* owned; "key=value" */
	struct strv networks; /* owned; network names */
	const char *bottle;   /* dev.bottle.name value or NULL; borrowed from
				 labels */
	int managed;	      /* dev.bottle.managed=1 */
};

/* One line of `docker network ls --format {{json .}}`. */
struct docker_network {
	char *id;	    /* owned; full id */
	char *name;	    /* owned */
	char *driver;	    /* owned or NULL */
	struct strv labels; /* owned; "key=value" */
	const char *bottle; /* dev.bottle.name value or NULL; borrowed */
	int managed;	    /* dev.bottle.managed=1 */
};

/* docker_network_name: "bottle-NAME". Caller frees. */
char *docker_network_name(const char *name);
/* docker_container_name: "bottle-NAME-bundle". Caller frees. */
char *docker_container_name(const char *name);

/* docker version --format {{json .}} */
struct strv docker_argv_version(void);
/* docker network create --driver bridge --subnet S --gateway G
 * --label ... bottle-NAME */
struct strv docker_argv_network_create(const char *name, const char *subnet,
				       const char *gateway);
/* docker network rm bottle-NAME */
struct strv docker_argv_network_rm(const char *name);
/* docker run -d --name bottle-NAME-bundle --network bottle-NAME --ip IP
 * --label ... --restart no [--env-file ENV_FILE] -e K=V... IMAGE
 * (env_file and env may be NULL). env goes on the argv, which every local
 * user can read in /proc/PID/cmdline: only what is not secret (the bind
 * knob, docker_bundle_env); bundle.env's values go through env_file
 * (docker_env_file_write). */
struct strv docker_argv_bundle_run(const char *name, const char *image,
				   const char *ip, const struct strv *env,
				   const char *env_file);
/* docker rm -f bottle-NAME-bundle */
struct strv docker_argv_bundle_rm(const char *name);
/* docker ps -a --no-trunc --filter label=dev.bottle.managed=1
 * --format {{json .}} */
struct strv docker_argv_ps(void);
/* docker network ls --no-trunc --filter label=dev.bottle.managed=1
 * --format {{json .}} */
struct strv docker_argv_network_ls_managed(void);
/* docker network ls -q --no-trunc (every network, for subnet checks) */
struct strv docker_argv_network_ids(void);
/* docker network inspect --format {{json .IPAM.Config}} ID... (ids must
 * hold at least one id: docker refuses an empty list) */
struct strv docker_argv_network_inspect_ipam(const struct strv *ids);
/* docker network inspect --format {{json .IPAM.Config}} bottle-NAME */
struct strv docker_argv_network_inspect(const char *name);
/* docker image inspect --format {{.Id}} IMAGE: the image's ID */
struct strv docker_argv_image_id(const char *image);
/* docker save -o OUT IMAGE */
struct strv docker_argv_save(const char *image, const char *out);
/* docker logs [-f] --timestamps [--since S] --tail N bottle-NAME-bundle
 * (tail_n < 0: --tail all; since NULL: no --since) */
struct strv docker_argv_logs(const char *name, int follow, const char *since,
			     int tail_n);
/* docker inspect --format "{{.State.Status}} (exit {{.State.ExitCode}})"
 * bottle-NAME-bundle: "running (exit 0)", "exited (exit 1)" */
struct strv docker_argv_bundle_state(const char *name);

/* docker_bundle_env: append the bind-address knob to env, one
 * BOTTLE_<SERVICE>_LISTEN=BIND:PORT per service (service name upper-cased,
 * '-' → '_'). */
void docker_bundle_env(const struct config_bottle *b, struct strv *env);

/* ---- the bundle's environment file (docker run --env-file) ----
 *
 * docker's CLI reads the file (opts/envfile.go, pkg/kvfile): line by line
 * with a 64 KiB line limit, a trailing CR dropped, leading white space
 * trimmed, "#" lines skipped, invalid UTF-8 refused, and the value is
 * everything after the first '=', literally. So a value cannot hold a
 * newline, a NUL or a trailing CR, and must be valid UTF-8. */

/* The file's name inside the bottle's state directory (STATE/NAME). */
#define DOCKER_ENV_FILE_NAME "bundle.env"
/* The longest KEY=VALUE line docker reads (64 KiB with its newline, less
 * one byte of margin). */
#define DOCKER_ENV_FILE_LINE_MAX (64 * 1024 - 2)

/* docker_env_entry_check: 0 when entry[0..len) is KEY=VALUE that a docker
 * env file carries exactly: KEY a valid environment variable name
 * ([A-Za-z_][A-Za-z0-9_]*), VALUE valid UTF-8 with no newline, no NUL,
 * no trailing CR, the line at most DOCKER_ENV_FILE_LINE_MAX bytes. Else
 * -1 and *cause names the key (never the value). */
int docker_env_entry_check(const char *entry, size_t len, char **cause);

/* docker_env_file_text: env's "KEY=VALUE" entries as the text of a docker
 * env file appended to out, one per line after a comment line. Fails
 * (nothing appended) when an entry fails docker_env_entry_check. */
int docker_env_file_text(const struct strv *env, struct buf *out, char **cause);

/* docker_env_file_write: write env into DIR/bundle.env for docker run
 * --env-file, where DIR is the bottle's state directory (created 0700
 * when missing; it must be a directory, not a symlink, owned by us and
 * writable by no one else). A file left there (a crash) is removed first;
 * the new one is created O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600. *path is
 * the file's path (caller frees), or NULL when env is empty (no file).
 * Nothing is written when an entry is refused (docker_env_entry_check). */
int docker_env_file_write(const char *dir, const struct strv *env, char **path,
			  char **cause);

/* docker_env_file_remove: remove DIR/bundle.env; 0 when it is gone (or
 * was never there), else -1 with cause. */
int docker_env_file_remove(const char *dir, char **cause);

/* docker_argv_redact: a copy of argv (a docker or smolvm command) for
 * display: the value of every -e/--env KEY=VALUE option (also
 * --env=KEY=VALUE and -eKEY=VALUE) up to a "--" word becomes "***"
 * (KEY=***), except bottle's own BOTTLE_<SERVICE>_LISTEN bind knob, which
 * is not secret. Words after "--" (a command run in the VM) are kept.
 * Caller releases (strv_release). */
struct strv docker_argv_redact(const char *const *argv);

/* docker_parse_ps: docker ps JSON lines into a new array *out of *n
 * containers (free with docker_containers_free). Blank lines are skipped;
 * a line that is not a JSON object with an ID is an error. */
int docker_parse_ps(const char *buf, size_t len, struct docker_container **out,
		    size_t *n, char **cause);
void docker_containers_free(struct docker_container *c, size_t n);

/* docker_parse_networks: docker network ls JSON lines, as docker_parse_ps
 * (free with docker_networks_free). */
int docker_parse_networks(const char *buf, size_t len,
			  struct docker_network **out, size_t *n, char **cause);
void docker_networks_free(struct docker_network *nw, size_t n);

/* docker_parse_version: the engine's version (Server.Version) from
 * `docker version --format {{json .}}` into *version (caller frees).
 * "Server":null (engine unreachable) is an error. */
int docker_parse_version(const char *buf, size_t len, char **version,
			 char **cause);

/* docker_parse_labels: docker's "k=v,k=v" Labels text appended to labels
 * as "k=v" strings (a comma inside a value stays in that value). */
void docker_parse_labels(const char *text, struct strv *labels);

/* docker_label: the value of key in "k=v" labels, or NULL. Borrowed. */
const char *docker_label(const struct strv *labels, const char *key);

/* docker_classify: what stderr of a failed docker command means. */
enum docker_error docker_classify(const char *stderr_text);

/* docker_error_name: "unreachable", "not found", ... Static string. */
const char *docker_error_name(enum docker_error e);

#endif
