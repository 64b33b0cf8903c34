/* prompt.c: one-line editor, word splitting, : commands. */
#include "prompt.h"

#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "text.h"

static void prompt_reset(struct prompt *p)
{
	free(p->label);
	free(p->target);
	buf_release(&p->text);
	memset(p, 0, sizeof(*p));
}

void prompt_open(struct prompt *p, enum prompt_kind kind, const char *label,
		 const char *target, const char *initial)
{
	prompt_reset(p);
	p->kind = kind;
	p->label = xstrdup(label != NULL ? label : "");
	p->target = target != NULL ? xstrdup(target) : NULL;
	buf_adds(&p->text, initial != NULL ? initial : "");
	p->cursor = p->text.len;
}

void prompt_close(struct prompt *p)
{
	prompt_reset(p);
}

const char *prompt_text(const struct prompt *p)
{
	return p->text.data != NULL ? p->text.data : "";
}

static int prompt_is_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

static size_t prompt_prev(const struct prompt *p, size_t at)
{
	if (at == 0)
		return 0;
	at--;
	while (at > 0 && prompt_is_cont((unsigned char)p->text.data[at]))
		at--;
	return at;
}

static size_t prompt_next(const struct prompt *p, size_t at)
{
	if (at >= p->text.len)
		return p->text.len;
	at++;
	while (at < p->text.len &&
	       prompt_is_cont((unsigned char)p->text.data[at]))
		at++;
	return at;
}

/* Remove text[from..to) and put the cursor at from. */
static void prompt_cut(struct prompt *p, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(p->text.data + from, p->text.data + to, p->text.len - to + 1);
	p->text.len -= to - from;
	p->cursor = from;
}

static void prompt_insert(struct prompt *p, int key)
{
	char enc[4];
	size_t n, tail;

	/* Printable characters only: no C0, DEL, C1, surrogates. */
	if (key < 0x20 || key == 0x7F || (key >= 0x80 && key < 0xA0) ||
	    (key >= 0xD800 && key <= 0xDFFF) || key > 0x10FFFF)
		return;
	n = sanitize_utf8_encode((unsigned)key, enc);
	if (p->text.len + n > PROMPT_MAX_BYTES)
		return;
	tail = p->text.len - p->cursor;
	buf_add(&p->text, enc, n); /* grow, then shift the tail right */
	memmove(p->text.data + p->cursor + n, p->text.data + p->cursor, tail);
	memcpy(p->text.data + p->cursor, enc, n);
	p->cursor += n;
}

static void prompt_kill_word(struct prompt *p)
{
	size_t at = p->cursor;

	while (at > 0 && p->text.data[at - 1] == ' ')
		at--;
	while (at > 0 && p->text.data[at - 1] != ' ')
		at--;
	prompt_cut(p, at, p->cursor);
}

enum prompt_result prompt_key(struct prompt *p, int key)
{
	if (p->kind == PROMPT_CONFIRM)
		return key == 'y' || key == 'Y' ? PROMPT_SUBMIT : PROMPT_CANCEL;
	if (p->text.data == NULL)
		buf_adds(&p->text, "");
	switch (key) {
	case '\r':
	case '\n':
	case KEYS_FN(KEY_ENTER):
		return PROMPT_SUBMIT;
	case KEYS_ESC:
	case KEYS_CTRL('g'):
		return PROMPT_CANCEL;
	case KEYS_CTRL('h'):
	case 0x7F:
	case KEYS_FN(KEY_BACKSPACE):
		if (p->cursor == 0 && p->text.len == 0 &&
		    p->kind != PROMPT_FILTER && p->kind != PROMPT_SEARCH)
			return PROMPT_CANCEL;
		prompt_cut(p, prompt_prev(p, p->cursor), p->cursor);
		break;
	case KEYS_CTRL('d'):
	case KEYS_FN(KEY_DC):
		prompt_cut(p, p->cursor, prompt_next(p, p->cursor));
		break;
	case KEYS_CTRL('b'):
	case KEYS_FN(KEY_LEFT):
		p->cursor = prompt_prev(p, p->cursor);
		break;
	case KEYS_CTRL('f'):
	case KEYS_FN(KEY_RIGHT):
		p->cursor = prompt_next(p, p->cursor);
		break;
	case KEYS_CTRL('a'):
	case KEYS_FN(KEY_HOME):
		p->cursor = 0;
		break;
	case KEYS_CTRL('e'):
	case KEYS_FN(KEY_END):
		p->cursor = p->text.len;
		break;
	case KEYS_CTRL('u'):
		prompt_cut(p, 0, p->cursor);
		break;
	case KEYS_CTRL('k'):
		p->text.len = p->cursor;
		p->text.data[p->cursor] = '\0';
		break;
	case KEYS_CTRL('w'):
		prompt_kill_word(p);
		break;
	default:
		if (!KEYS_IS_FN(key))
			prompt_insert(p, key);
		break;
	}
	return PROMPT_EDITING;
}

void prompt_draw(const struct prompt *p, WINDOW *w, int y, int width,
		 attr_t label_attr, int ascii, int *cx)
{
	const char *text = prompt_text(p);
	int lw, avail;
	size_t start = 0;

	lw = text_draw(w, y, 0, width, p->label, label_attr, ascii);
	avail = width - lw - 1;
	*cx = lw;
	if (avail <= 0)
		return;
	/* Scroll so that the cursor stays visible. */
	while (start < p->cursor &&
	       sanitize_width(text + start, p->cursor - start) >= (size_t)avail)
		start = prompt_next(p, start);
	*cx = lw + (int)sanitize_width(text + start, p->cursor - start);
	text_draw(w, y, lw, avail, text + start, A_NORMAL, ascii);
}

/* ---- word splitting ------------------------------------------------- */

int prompt_split(const char *line, struct strv *out, char **cause)
{
	struct buf word = BUF_INIT;
	const char *s = line;
	int in_word = 0;

	while (*s != '\0') {
		char c = *s;
		if (c == ' ' || c == '\t' || c == '\n') {
			if (in_word)
				strv_push(out,
					  word.data != NULL ? word.data : "");
			buf_reset(&word);
			in_word = 0;
			s++;
			continue;
		}
		in_word = 1;
		if (c == '\'') {
			const char *end = strchr(s + 1, '\'');
			if (end == NULL)
				goto unterminated;
			buf_add(&word, s + 1, (size_t)(end - s - 1));
			s = end + 1;
		} else if (c == '"') {
			s++;
			while (*s != '"') {
				if (*s == '\0')
					goto unterminated;
				if (*s == '\\' && s[1] != '\0' &&
				    strchr("\"\\$`\n", s[1]) != NULL) {
					if (s[1] != '\n')
						buf_addc(&word, s[1]);
					s += 2;
					continue;
				}
				buf_addc(&word, *s++);
			}
			s++;
		} else if (c == '\\') {
			if (s[1] == '\0') {
				buf_release(&word);
				return util_fail(cause, "trailing backslash");
			}
			buf_addc(&word, s[1]);
			s += 2;
		} else {
			buf_addc(&word, c);
			s++;
		}
	}
	if (in_word)
		strv_push(out, word.data != NULL ? word.data : "");
	buf_release(&word);
	return 0;
unterminated:
	buf_release(&word);
	return util_fail(cause, "unterminated quote");
}

/* ---- : commands ----------------------------------------------------- */

static const struct {
	const char *verb;
	enum keys_action action;
} prompt_verbs[] = {
    {"up", KEYS_BUP},	   {"down", KEYS_BDOWN},  {"restart", KEYS_RESTART},
    {"rm", KEYS_REMOVE},   {"probe", KEYS_PROBE}, {"exec", KEYS_EXEC},
    {"shell", KEYS_SHELL}, {"logs", KEYS_LOGS},	  {"open", KEYS_OPEN},
    {"help", KEYS_HELP},   {"q", KEYS_QUIT},	  {"quit", KEYS_QUIT},
};

void prompt_command_release(struct prompt_command *c)
{
	free(c->name);
	strv_release(&c->args);
	memset(c, 0, sizeof(*c));
}

int prompt_command_parse(const char *line, struct prompt_command *out,
			 char **cause)
{
	struct strv w = STRV_INIT;
	size_t i;
	int takes_name, rc = -1;

	memset(out, 0, sizeof(*out));
	while (*line == ' ')
		line++;
	if (*line == ':')
		line++;
	if (prompt_split(line, &w, cause) < 0)
		return -1;
	if (w.n == 0) {
		util_fail(cause, "empty command");
		goto done;
	}
	for (i = 0; i < UTIL_NELEM(prompt_verbs); i++)
		if (strcmp(w.v[0], prompt_verbs[i].verb) == 0)
			break;
	if (i == UTIL_NELEM(prompt_verbs)) {
		util_fail(cause,
			  "unknown command: %s (try up, down, restart, "
			  "rm, probe, exec, shell, logs, open, q)",
			  w.v[0]);
		goto done;
	}
	out->action = prompt_verbs[i].action;
	takes_name = out->action != KEYS_QUIT && out->action != KEYS_HELP;
	if (!takes_name && w.n > 1) {
		util_fail(cause, "%s: takes no argument", w.v[0]);
		goto done;
	}
	if (takes_name && w.n > 1)
		out->name = xstrdup(w.v[1]);
	if (out->action == KEYS_EXEC && w.n > 2)
		strv_pushv(&out->args, (const char *const *)w.v + 2, w.n - 2);
	else if (w.n > 2) {
		util_fail(cause, "%s: one bottle name at most", w.v[0]);
		goto done;
	}
	rc = 0;
done:
	if (rc < 0)
		prompt_command_release(out);
	strv_release(&w);
	return rc;
}
