#include "common/words.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"

#define WORD_MAX (1 << 20) /* one word, after substitution */

struct buf {
	char *s;
	size_t len, cap;
};

struct lex {
	const char *text, *p;
	const struct words_opts *o;
	struct buf cur;
	bool in_word; /* cur holds a word, maybe empty ("") */
	char **words;
	berr_t *err;
};

static int fail(struct lex *l, int errnum, const char *what)
{
	return err_set(l->err, errnum, "%s at column %zu of '%.80s'", what,
		       (size_t)(l->p - l->text) + 1, l->text);
}

static int put(struct lex *l, struct buf *b, char c)
{
	if (b->len + 2 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *s;

		if (cap > WORD_MAX)
			return fail(l, E2BIG, "a word longer than 1 MiB");
		s = realloc(b->s, cap);
		if (!s)
			return fail(l, ENOMEM, "out of memory");
		b->s = s;
		b->cap = cap;
	}
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
	return 0;
}

static int end_word(struct lex *l)
{
	if (!l->in_word)
		return 0;
	if (strv_push(&l->words, l->cur.s ? l->cur.s : "") < 0)
		return fail(l, ENOMEM, "out of memory");
	l->cur.len = 0;
	if (l->cur.s)
		l->cur.s[0] = '\0';
	l->in_word = false;
	return 0;
}

/* A substituted value stays within its word, as docker splits a line
 * into words before it expands them: ARG F="a b" then COPY $F copies
 * one source named "a b". */
static int put_value(struct lex *l, struct buf *b, const char *v)
{
	if (b == &l->cur && *v)
		l->in_word = true;
	for (; *v; v++)
		if (put(l, b, *v) < 0)
			return -1;
	return 0;
}

static bool name_char(char c, bool first)
{
	return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

static const char *lookup(struct lex *l, const char *name)
{
	return l->o->lookup ? l->o->lookup(l->o->ctx, name) : NULL;
}

static int expand(struct lex *l, struct buf *b);

/* The word of ${NAME<op>word}: quotes, escapes and nested substitutions
 * processed, up to the closing brace. */
static int brace_word(struct lex *l, struct buf *w)
{
	char quote = 0;

	for (;;) {
		char c = *l->p;

		if (!c)
			return fail(l, EINVAL, "unterminated ${");
		if (!quote && c == '}')
			break;
		l->p++;
		if (c == l->o->escape && *l->p && quote != '\'') {
			if (put(l, w, *l->p++) < 0)
				return -1;
		} else if ((c == '"' || c == '\'') && (!quote || quote == c)) {
			quote = quote ? 0 : c;
		} else if (c == '$' && quote != '\'') {
			if (expand(l, w) < 0)
				return -1;
		} else if (put(l, w, c) < 0) {
			return -1;
		}
	}
	l->p++;
	return 0;
}

/* ${NAME...}: l->p is past "${". */
static int braced(struct lex *l, struct buf *b)
{
	char name[256];
	size_t n = 0;
	struct buf w = { 0 };
	cleanup_free char *word = NULL;
	bool colon = false;
	const char *v;
	char op;

	while (name_char(*l->p, n == 0) && n < sizeof(name) - 1)
		name[n++] = *l->p++;
	name[n] = '\0';
	if (!n)
		return fail(l, EINVAL, "bad substitution: expected a variable name after ${");
	v = lookup(l, name);
	if (*l->p == '}') {
		l->p++;
		if (!v && l->o->template)
			return err_set(l->err, ENOENT, "${%s}: %s is not set (give it a value or a default: ${%s:-default})",
				       name, name, name);
		return v ? put_value(l, b, v) : 0;
	}
	if (*l->p == ':') {
		colon = true;
		l->p++;
	}
	op = *l->p;
	if (op != '-' && op != '+' && op != '?')
		return fail(l, EINVAL, "bad substitution: expected }, :-, :+ or :? after the name");
	l->p++;
	if (brace_word(l, &w) < 0) {
		free(w.s);
		return -1;
	}
	word = w.s ? w.s : strdup("");
	if (!word)
		return fail(l, ENOMEM, "out of memory");
	/* With a colon, empty counts as unset. */
	bool set = v && (!colon || *v);
	if (op == '-')
		return put_value(l, b, set ? v : word);
	if (op == '+')
		return set ? put_value(l, b, word) : 0;
	if (!set)
		return err_set(l->err, EINVAL, "variable %s is %s: %s", name,
			       v ? "empty" : "not set", *word ? word : "a value is required");
	return put_value(l, b, v);
}

/* At '$' (l->p past it): $NAME, ${...}, or a literal dollar. */
static int expand(struct lex *l, struct buf *b)
{
	char name[256];
	size_t n = 0;
	const char *v;

	if (*l->p == '{') {
		l->p++;
		return braced(l, b);
	}
	if (!name_char(*l->p, true)) {
		if (b == &l->cur)
			l->in_word = true;
		return put(l, b, '$');
	}
	while (name_char(*l->p, false)) {
		if (n == sizeof(name) - 1)
			return fail(l, ENAMETOOLONG, "a variable name longer than 255 characters");
		name[n++] = *l->p++;
	}
	name[n] = '\0';
	v = lookup(l, name);
	return v ? put_value(l, b, v) : 0;
}

static int single_quoted(struct lex *l)
{
	l->in_word = true;
	for (; *l->p != '\''; l->p++) {
		if (!*l->p)
			return fail(l, EINVAL, "unterminated single quote");
		if (put(l, &l->cur, *l->p) < 0)
			return -1;
	}
	l->p++;
	return 0;
}

/* Inside double quotes the escape only escapes ", $ and itself. */
static int double_quoted(struct lex *l)
{
	l->in_word = true;
	while (*l->p != '"') {
		char c = *l->p++;

		if (!c) {
			l->p--;
			return fail(l, EINVAL, "unterminated double quote");
		}
		if (c == l->o->escape && (*l->p == '"' || *l->p == '$' || *l->p == c))
			c = *l->p++;
		else if (c == '$') {
			if (expand(l, &l->cur) < 0)
				return -1;
			continue;
		}
		if (put(l, &l->cur, c) < 0)
			return -1;
	}
	l->p++;
	return 0;
}

/* Templates: text stays text but for ${...} and "$$". */
static int template_step(struct lex *l)
{
	char c = *l->p++;

	l->in_word = true;
	if (c == '$' && *l->p == '{') {
		l->p++;
		return braced(l, &l->cur);
	}
	if (c == '$' && *l->p == '$')
		l->p++;
	return put(l, &l->cur, c);
}

static int step(struct lex *l)
{
	char c;

	if (l->o->template)
		return template_step(l);
	c = *l->p++;
	if (l->o->split && isspace((unsigned char)c))
		return end_word(l);
	if (c == '\'')
		return single_quoted(l);
	if (c == '"')
		return double_quoted(l);
	if (c == '$')
		return expand(l, &l->cur);
	if (c == l->o->escape && *l->p)
		c = *l->p++;
	l->in_word = true;
	return put(l, &l->cur, c);
}

int words_expand(const char *text, const struct words_opts *o, char ***out,
		 berr_t *err)
{
	struct lex l = { .text = text, .p = text, .o = o, .err = err };
	int r = 0;

	while (*l.p && r == 0)
		r = step(&l);
	if (r == 0 && !o->split)
		l.in_word = true;
	if (r == 0)
		r = end_word(&l);
	free(l.cur.s);
	if (r < 0) {
		strv_free(l.words);
		return -1;
	}
	if (!l.words && !(l.words = calloc(1, sizeof(char *))))
		return err_set(err, ENOMEM, "out of memory");
	*out = l.words;
	return 0;
}

int words_expand_one(const char *text, const struct words_opts *o, char **out,
		     berr_t *err)
{
	struct words_opts one = *o;
	char **w = NULL;

	one.split = false;
	if (words_expand(text, &one, &w, err) < 0)
		return -1;
	*out = w[0];
	w[0] = NULL;
	strv_free(w);
	return 0;
}
