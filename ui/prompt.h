/* prompt.h: the message line's one-line editor (exec command line, the
 * : command line, the list filter, the log search, the y confirmation),
 * and the pure parsers behind it: shell-like word splitting (no shell
 * ever sees the line) and : command parsing. */
#ifndef BOTTLE_PROMPT_H
#define BOTTLE_PROMPT_H

#include <curses.h>
#include <stddef.h>

#include "keys.h"
#include "util.h"

enum prompt_kind {
	PROMPT_NONE = 0,
	PROMPT_EXEC,	/* a command line to run in target's VM */
	PROMPT_COMMAND, /* ":up NAME" */
	PROMPT_FILTER,	/* the list filter, applied as it is typed */
	PROMPT_SEARCH,	/* the log pane search */
	PROMPT_CONFIRM, /* y confirms, any other key cancels */
};

enum prompt_result {
	PROMPT_EDITING = 0, /* the key was taken; still editing */
	PROMPT_SUBMIT,	    /* Enter (or y for a confirmation) */
	PROMPT_CANCEL,	    /* Esc (or anything but y for a confirmation) */
};

#define PROMPT_MAX_BYTES 4096

struct prompt {
	enum prompt_kind kind; /* PROMPT_NONE: closed */
	char *label;	       /* owned: "exec in web: " */
	char *target;	       /* owned: the bottle it is about, or NULL */
	struct buf text;       /* the line; always NUL-terminated */
	size_t cursor;	       /* byte offset into text, at a character */
};

/* prompt_open: start editing (releases what p held); initial may be NULL. */
void prompt_open(struct prompt *p, enum prompt_kind kind, const char *label,
		 const char *target, const char *initial);
/* prompt_key: feed one key (keys.h encoding). */
enum prompt_result prompt_key(struct prompt *p, int key);
/* prompt_text: the line being edited ("" when empty); borrowed. */
const char *prompt_text(const struct prompt *p);
/* prompt_close: release and mark closed (kind PROMPT_NONE). */
void prompt_close(struct prompt *p);
/* prompt_draw: the prompt on row y of w, width columns, scrolled so the
 * cursor shows; the cursor column goes to *cx. */
void prompt_draw(const struct prompt *p, WINDOW *w, int y, int width,
		 attr_t label_attr, int ascii, int *cx);

/* prompt_split: split line into words like a POSIX shell would without
 * expanding anything: blanks separate; '...' keeps everything; "..."
 * keeps everything but \" \\ \$ \` (backslash-newline dropped); a
 * backslash outside quotes keeps the next character. Words go to out.
 * -1 with cause on an unterminated quote or a trailing backslash. */
int prompt_split(const char *line, struct strv *out, char **cause);

/* A parsed : command. */
struct prompt_command {
	enum keys_action action; /* KEYS_BUP, KEYS_QUIT, ... */
	char *name;		 /* owned: the bottle named, or NULL */
	struct strv args;	 /* owned: exec's command words */
};

/* prompt_command_parse: ":up web", "down web", "q", "exec web ls -l"
 * (leading ':' optional) into out. -1 with cause ("unknown command:
 * foo", "usage: exec NAME CMD...") otherwise. */
int prompt_command_parse(const char *line, struct prompt_command *out,
			 char **cause);
void prompt_command_release(struct prompt_command *c);

#endif
