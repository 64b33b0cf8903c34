/* state.h: what bottle persists under the state directory.
 *
 *   DIR/state.json       subnet allocations, last step of each bottle
 *   DIR/state.lock       flock'd around every read-modify-write
 *   DIR/NAME/Smolfile    the rendered Smolfile
 *   DIR/NAME/events.log  the bottle's own log, one line per event
 *   DIR/NAME/lock        the per-bottle busy lock
 *   DIR/packs/           prepare-time smolvm packs
 *
 * Every file is replaced atomically (temp, fsync, rename, fsync dir):
 * readers never see half a file, so they take no lock. Every file is
 * opened without following a symbolic link (a link is refused, its target
 * untouched); DIR and DIR/NAME must be directories this user (euid) owns
 * that group and others cannot write (created 0700). What is read back is
 * bounded (STATE_JSON_MAX) and validated. Messages start with "state: ". */
#ifndef BOTTLE_STATE_H
#define BOTTLE_STATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STATE_VERSION 1
#define STATE_EVENTS_MAX (1024 * 1024)	  /* events.log rotates past this */
#define STATE_JSON_MAX (16 * 1024 * 1024) /* a larger state.json is refused */

/* One bottle's persisted record. Every string is owned or NULL. */
struct state_bottle {
	char *name;	     /* owned, never NULL */
	char *subnet;	     /* "10.213.0.0/28" */
	char *bundle_ip;     /* "10.213.0.2" */
	char *step;	     /* last known lifecycle step */
	char *error;	     /* last error, NULL when none */
	uint64_t updated_ms; /* wall-clock ms of the last change, 0: unknown */
};

/* The whole of state.json. */
struct state {
	struct state_bottle *bottles; /* owned array, sorted by name */
	size_t n;
};

/* A held per-bottle lock (opaque). */
struct state_lock;

/* Mutates s under the state lock; return -1 (cause set) to abort without
 * writing anything. */
typedef int (*state_update_fn)(struct state *s, void *data, char **cause);

/* state_write_atomic: replace path with data (temp file in the same
 * directory, fsync, rename, fsync the directory). On failure the old file
 * is intact, the temp is gone and *cause is "state: PATH: reason". */
int state_write_atomic(const char *path, const void *data, size_t len,
		       char **cause);

/* state_sync_file: fsync path (never through a link) and its directory;
 * for a file written with state_write_bottle_file_nosync. 0 or -1. Safe
 * on any thread. */
int state_sync_file(const char *path);

/* state_dir_check: DIR (created 0700 with its parents when create) must
 * be a directory owned by the euid and not writable by group or others.
 * 0; 1 when it does not exist and !create; -1 with a cause saying what to
 * fix. */
int state_dir_check(const char *dir, int create, char **cause);

/* state_parse: state.json text into a new *out (free with state_free).
 * origin names the file in messages. Unknown keys are ignored. A bottle
 * whose bundle_ip is not a host address of its subnet is corrupt: an
 * error naming origin and the bottle. */
int state_parse(const char *buf, size_t len, const char *origin,
		struct state **out, char **cause);

/* state_format: s as state.json text ending in a newline. Caller frees. */
char *state_format(const struct state *s);

/* state_read: load DIR/state.json without locking (it is only replaced
 * by rename); a missing file or directory is an empty state, a corrupt,
 * oversized or symlinked file or an untrusted DIR an error naming it. */
int state_read(const char *dir, struct state **out, char **cause);

/* state_update: under an exclusive lock on DIR/state.lock (waiting at
 * most the lock timeout), load, call fn, save atomically if it returned
 * 0. Creates DIR (0700) as needed. */
int state_update(const char *dir, state_update_fn fn, void *data, char **cause);

/* state_update_wait: state_update waiting at most timeout_ms for the lock
 * (0: as long as it takes), and giving up once *cancel (when not NULL)
 * is nonzero. Touches nothing but the files and fn: safe on a worker
 * thread when fn is. */
int state_update_wait(const char *dir, state_update_fn fn, void *data,
		      unsigned timeout_ms, const atomic_int *cancel,
		      char **cause);

/* state_lock_holder: who holds DIR/state.lock, "pid N (COMM)" from
 * /proc/locks (caller frees); NULL when nobody else or unknown. Never
 * blocks. */
char *state_lock_holder(const char *dir);

/* state_set_lock_timeout_ms: how long state_update waits for
 * state.lock (default 5000). For tests. */
void state_set_lock_timeout_ms(unsigned ms);

/* state_new: an empty state. Free with state_free. */
struct state *state_new(void);

/* state_free: free s and everything in it; NULL is fine. */
void state_free(struct state *s);

/* state_find: the record for name, or NULL. Borrowed from s. */
struct state_bottle *state_find(const struct state *s, const char *name);

/* state_upsert: the record for name, added (all fields NULL/0) when
 * missing. Borrowed from s; adding invalidates earlier pointers. */
struct state_bottle *state_upsert(struct state *s, const char *name);

/* state_set: replace (or add) the record src->name with a deep copy of
 * src. Returns the stored record, borrowed as state_upsert's. */
struct state_bottle *state_set(struct state *s, const struct state_bottle *src);

/* state_set_str: replace an owned string field with a copy of value
 * (NULL clears it). */
void state_set_str(char **field, const char *value);

/* state_remove: drop name's record; 1 when there was one, else 0. */
int state_remove(struct state *s, const char *name);

/* state_bottle_dir: DIR/NAME. Caller frees. */
char *state_bottle_dir(const char *dir, const char *name);

/* state_write_bottle_file: atomically write DIR/NAME/FILENAME (the
 * Smolfile), creating DIR/NAME (0700) as needed. */
int state_write_bottle_file(const char *dir, const char *name,
			    const char *filename, const void *data, size_t len,
			    char **cause);

/* state_write_bottle_file_nosync: the same without fsync (the caller
 * syncs later with state_sync_file, off the event loop). */
int state_write_bottle_file_nosync(const char *dir, const char *name,
				   const char *filename, const void *data,
				   size_t len, char **cause);

/* state_bottle_lock: take the non-blocking per-bottle lock DIR/NAME/lock
 * and record "PID WHAT" in it. When another process holds it, fails with
 * `bottle NAME is busy: another bottle process (pid N) is running "WHAT"`.
 * The lock dies with the process. *out is owned by the caller: release it
 * with state_bottle_unlock. */
int state_bottle_lock(const char *dir, const char *name, const char *what,
		      struct state_lock **out, char **cause);

/* state_bottle_holder: when another open file description (another
 * process, or another lock in this one) holds NAME's lock, its record
 * "PID WHAT" (caller frees); NULL when nobody holds it. Never blocks and
 * never takes the lock. */
char *state_bottle_holder(const char *dir, const char *name);

/* state_bottle_unlock: release and free the lock; NULL is fine. */
void state_bottle_unlock(struct state_lock *l);

/* state_event: append "ISO8601 MESSAGE\n" to DIR/NAME/events.log with one
 * O_APPEND write, MESSAGE flattened to one line (control characters become
 * spaces); the log moves to events.log.1 past STATE_EVENTS_MAX. Returns 0,
 * or -1 when it could not log (callers may ignore it). */
int state_event(const char *dir, const char *name, const char *fmt, ...)
    UTIL_PRINTF(3, 4);

#endif
