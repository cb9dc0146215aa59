#include "build/dockerfile.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"

#define INSTRUCTIONS_MAX 10000

static const char *const keywords[] = {
	"FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD",
	"COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD",
	"STOPSIGNAL", "HEALTHCHECK", "SHELL",
};

/* Instructions whose leading --name=value words are flags. */
static const char *const flagged[] = { "FROM", "RUN", "COPY", "ADD", "HEALTHCHECK" };
/* Instructions with an exec (JSON array) form. */
static const char *const exec_form[] = {
	"RUN", "CMD", "ENTRYPOINT", "SHELL", "VOLUME", "COPY", "ADD",
};

#define IN(list, s) in_list(list, sizeof(list) / sizeof(*list), s)

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

struct parse {
	struct dockerfile *df;
	const char *p, *end;
	int line;         /* of the line just read */
	bool escape_seen;
	berr_t *err;
};

static int fail(struct parse *ps, int line, int errnum, const char *what, const char *arg)
{
	return err_set(ps->err, errnum, "%s:%d: %s%s%.60s%s", ps->df->name, line, what,
		       arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
}

/* The next line without its newline (and a DOS carriage return). */
static bool next_line(struct parse *ps, const char **s, size_t *len)
{
	const char *nl;

	if (ps->p >= ps->end)
		return false;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	*s = ps->p;
	*len = (size_t)((nl ? nl : ps->end) - ps->p);
	ps->p = nl ? nl + 1 : ps->end;
	if (*len && (*s)[*len - 1] == '\r')
		(*len)--;
	ps->line++;
	return true;
}

/* "# name=value" at the very top; anything else ends the directives.
 * 1: a directive, 0: not one, -1: a bad escape directive. */
static int directive(struct parse *ps, const char *s, size_t len)
{
	const char *e = s + len, *name, *val;
	size_t nlen;

	if (len == 0 || *s != '#')
		return 0;
	for (s++; s < e && isblank((unsigned char)*s); s++)
		;
	for (name = s; s < e && isalnum((unsigned char)*s); s++)
		;
	nlen = (size_t)(s - name);
	for (; s < e && isblank((unsigned char)*s); s++)
		;
	if (!nlen || s == e || *s != '=')
		return 0;
	for (s++; s < e && isblank((unsigned char)*s); s++)
		;
	for (val = s; e > val && isblank((unsigned char)e[-1]); e--)
		;
	if (nlen == 6 && !strncasecmp(name, "escape", 6)) {
		if (ps->escape_seen)
			return fail(ps, ps->line, EINVAL, "a second escape directive", NULL);
		if (e - val != 1 || (*val != '\\' && *val != '`')) {
			char got[64];

			snprintf(got, sizeof(got), "%.*s", (int)(e - val), val);
			return fail(ps, ps->line, EINVAL, "escape must be \\ or `, not", got);
		}
		ps->df->escape = *val;
		ps->escape_seen = true;
	}
	return 1; /* syntax= and others: recognised, nothing to do */
}

static int set_keyword(struct parse *ps, struct df_instruction *in, const char **rest)
{
	const char *s = *rest;
	size_t n = 0;

	while (*s && !isspace((unsigned char)*s)) {
		if (n < sizeof(in->keyword) - 1)
			in->keyword[n] = (char)toupper((unsigned char)*s);
		n++;
		s++;
	}
	in->keyword[n < sizeof(in->keyword) ? n : sizeof(in->keyword) - 1] = '\0';
	if (n >= sizeof(in->keyword) || !IN(keywords, in->keyword)) {
		char word[64];

		snprintf(word, sizeof(word), "%.*s", (int)(s - *rest), *rest);
		return fail(ps, in->line, EINVAL, "unknown instruction", word);
	}
	while (isspace((unsigned char)*s))
		s++;
	*rest = s;
	return 0;
}

static int set_flags(struct parse *ps, struct df_instruction *in, const char **rest)
{
	const char *s = *rest;

	while (IN(flagged, in->keyword) && s[0] == '-' && s[1] == '-') {
		cleanup_free char *flag = NULL;
		size_t n = strcspn(s, " \t");

		flag = strndup(s, n);
		if (!flag || strv_push(&in->flags, flag) < 0)
			return fail(ps, in->line, ENOMEM, "out of memory", NULL);
		for (s += n; isspace((unsigned char)*s); s++)
			;
	}
	if (!in->flags && !(in->flags = calloc(1, sizeof(char *))))
		return fail(ps, in->line, ENOMEM, "out of memory", NULL);
	*rest = s;
	return 0;
}

char **df_exec_form(const char *text)
{
	json_t *doc, *v;
	char **argv = NULL;
	size_t i, n;

	if (text[0] != '[')
		return NULL;
	doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	n = json_array_size(doc); /* 0 when not an array */
	if (json_is_array(doc))
		argv = calloc(n + 1, sizeof(char *));
	json_array_foreach(doc, i, v) {
		if (!argv || !json_is_string(v) || !(argv[i] = strdup(json_string_value(v))))
			break;
	}
	json_decref(doc);
	if (argv && i == n)
		return argv;
	strv_free(argv);
	return NULL;
}

/* Anything that is not a JSON array of strings is the shell form, as
 * docker reads it; SHELL alone needs JSON. */
static int set_exec_form(struct parse *ps, struct df_instruction *in)
{
	if (IN(exec_form, in->keyword))
		in->argv = df_exec_form(in->args);
	if (!in->argv && !strcmp(in->keyword, "SHELL"))
		return fail(ps, in->line, EINVAL, "SHELL needs a JSON array of strings, like [\"/bin/sh\", \"-c\"]", NULL);
	return 0;
}

static int add_instruction(struct parse *ps, int line, const char *text)
{
	struct dockerfile *df = ps->df;
	struct df_instruction *in, *grown;
	const char *rest = text;

	if (df->n == INSTRUCTIONS_MAX)
		return fail(ps, line, E2BIG, "more than 10000 instructions", NULL);
	grown = realloc(df->ins, (df->n + 1) * sizeof(*df->ins));
	if (!grown)
		return fail(ps, line, ENOMEM, "out of memory", NULL);
	df->ins = grown;
	in = &df->ins[df->n++];
	memset(in, 0, sizeof(*in));
	in->line = line;
	while (isspace((unsigned char)*rest))
		rest++;
	if (!(in->text = strdup(rest)))
		return fail(ps, line, ENOMEM, "out of memory", NULL);
	if (set_keyword(ps, in, &rest) < 0 || set_flags(ps, in, &rest) < 0)
		return -1;
	if (!(in->args = strdup(rest)))
		return fail(ps, line, ENOMEM, "out of memory", NULL);
	for (char *e = in->args + strlen(in->args); e > in->args && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	if (!in->args[0])
		return err_set(ps->err, EINVAL, "%s:%d: %s needs arguments", df->name, line,
			       in->keyword);
	return set_exec_form(ps, in);
}

/* A line ending in the escape character continues on the next one. */
static bool continues(const char *s, size_t *len, char escape)
{
	size_t n = *len;

	while (n && isblank((unsigned char)s[n - 1]))
		n--;
	if (!n || s[n - 1] != escape)
		return false;
	*len = n - 1;
	return true;
}

static int append(struct parse *ps, char **cur, size_t *cur_len, const char *s, size_t len)
{
	char *grown = realloc(*cur, *cur_len + len + 1);

	if (!grown)
		return fail(ps, ps->line, ENOMEM, "out of memory", NULL);
	memcpy(grown + *cur_len, s, len);
	*cur_len += len;
	grown[*cur_len] = '\0';
	*cur = grown;
	return 0;
}

static int instructions(struct parse *ps, const char *s, size_t len)
{
	cleanup_free char *cur = NULL;
	size_t cur_len = 0;
	int start = 0;

	do {
		size_t lead = 0;

		while (lead < len && isblank((unsigned char)s[lead]))
			lead++;
		/* Comments and blank lines, also inside a continuation. */
		if (lead == len || s[lead] == '#')
			continue;
		if (!start)
			start = ps->line;
		bool more = continues(s, &len, ps->df->escape);
		if (append(ps, &cur, &cur_len, s, len) < 0)
			return -1;
		if (more)
			continue;
		if (add_instruction(ps, start, cur) < 0)
			return -1;
		cur_len = 0;
		start = 0;
	} while (next_line(ps, &s, &len));
	/* A continuation at the end of the file ends the instruction. */
	return start ? add_instruction(ps, start, cur) : 0;
}

static int check_first(struct parse *ps)
{
	struct dockerfile *df = ps->df;
	size_t i = 0;

	while (i < df->n && !strcmp(df->ins[i].keyword, "ARG"))
		i++;
	if (i == df->n)
		return err_set(ps->err, EINVAL, "%s: no FROM instruction", df->name);
	if (strcmp(df->ins[i].keyword, "FROM") != 0)
		return fail(ps, df->ins[i].line, EINVAL,
			    "the first instruction must be FROM (ARG may come before it), not",
			    df->ins[i].keyword);
	return 0;
}

int dockerfile_parse(const char *text, size_t len, const char *name,
		     struct dockerfile *out, berr_t *err)
{
	struct parse ps = { .df = out, .p = text, .end = text + len, .err = err };
	const char *s;
	size_t n;
	bool more;
	int d = 0;

	memset(out, 0, sizeof(*out));
	out->name = name;
	out->escape = '\\';
	if (len > DOCKERFILE_MAX)
		return err_set(err, EFBIG, "%s: larger than %d bytes", name, DOCKERFILE_MAX);
	if (memchr(text, '\0', len))
		return err_set(err, EINVAL, "%s: contains a NUL byte; not a text file", name);
	while ((more = next_line(&ps, &s, &n)) && (d = directive(&ps, s, n)) > 0)
		;
	if (d < 0 || (more && instructions(&ps, s, n) < 0) || check_first(&ps) < 0) {
		dockerfile_clear(out);
		return -1;
	}
	return 0;
}

int dockerfile_parse_line(const char *text, const char *name, struct dockerfile *out,
			  berr_t *err)
{
	struct parse ps = { .df = out, .line = 1, .err = err };

	memset(out, 0, sizeof(*out));
	out->name = name;
	out->escape = '\\';
	if (strchr(text, '\n'))
		return err_set(err, EINVAL, "%s: one instruction on one line is expected", name);
	if (add_instruction(&ps, 1, text) < 0) {
		dockerfile_clear(out);
		return -1;
	}
	return 0;
}

void dockerfile_clear(struct dockerfile *df)
{
	for (size_t i = 0; i < df->n; i++) {
		strv_free(df->ins[i].flags);
		strv_free(df->ins[i].argv);
		free(df->ins[i].args);
		free(df->ins[i].text);
	}
	free(df->ins);
	df->ins = NULL;
	df->n = 0;
}

const char *df_flag(const struct df_instruction *in, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; in->flags && in->flags[i]; i++)
		if (!strncmp(in->flags[i], "--", 2) && !strncmp(in->flags[i] + 2, name, n) &&
		    in->flags[i][2 + n] == '=')
			return in->flags[i] + 3 + n;
	return NULL;
}
