#include "build/ignore.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"

#define PARTS_MAX 1024

/* Path components, "." dropped and ".." folded into its parent where it
 * has one, as docker cleans a pattern.  NULL when out of memory. */
static char **split(const char *path)
{
	cleanup_free char *copy = strdup(path);
	char **parts = calloc(1, sizeof(char *)), *save = NULL;
	size_t n = 0;

	if (!copy || !parts) {
		free(parts);
		return NULL;
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..") && n && strcmp(parts[n - 1], "..")) {
			free(parts[--n]);
			parts[n] = NULL;
			continue;
		}
		if (n == PARTS_MAX || strv_push(&parts, c) < 0) {
			strv_free(parts);
			return NULL;
		}
		n++;
	}
	return parts;
}

/* fnmatch() takes an unclosed '[' literally; docker refuses it. */
static bool well_formed(char *const *parts)
{
	for (; *parts; parts++) {
		const char *open = strchr(*parts, '[');

		if (open && !strchr(open, ']'))
			return false;
	}
	return true;
}

static int add_pattern(struct ignore *ig, char *line, const char *name, int lineno,
		       berr_t *err)
{
	struct ignore_pattern *grown, *p;
	bool exception = line[0] == '!';

	if (exception)
		for (line++; isspace((unsigned char)*line); line++)
			;
	if (exception && !*line)
		return err_set(err, EINVAL, "%s:%d: '!' without a pattern", name, lineno);
	grown = realloc(ig->pats, (ig->n + 1) * sizeof(*ig->pats));
	if (!grown)
		return err_set(err, ENOMEM, "%s: out of memory", name);
	ig->pats = grown;
	p = &ig->pats[ig->n];
	p->exception = exception;
	if (!(p->parts = split(line)))
		return err_set(err, ENOMEM, "%s:%d: out of memory or too deep", name, lineno);
	ig->n++;
	if (!well_formed(p->parts))
		return err_set(err, EINVAL, "%s:%d: '%.80s': a '[' without its ']'", name, lineno, line);
	ig->has_exceptions |= exception;
	return 0;
}

int ignore_parse(const char *text, size_t len, const char *name,
		 struct ignore *out, berr_t *err)
{
	cleanup_free char *copy = strndup(text, len);
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return err_set(err, ENOMEM, "%s: out of memory", name);
	/* strtok_r would skip empty lines and so miscount; split by hand. */
	for (char *line = copy, *next; line; line = next) {
		char *end;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		for (end = line + strlen(line); end > line && isspace((unsigned char)end[-1]);)
			*--end = '\0';
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		if (add_pattern(out, line, name, lineno, err) < 0) {
			ignore_clear(out);
			return -1;
		}
	}
	return 0;
}

void ignore_clear(struct ignore *ig)
{
	for (size_t i = 0; i < ig->n; i++)
		strv_free(ig->pats[i].parts);
	free(ig->pats);
	memset(ig, 0, sizeof(*ig));
}

/* Does the pattern match path[j..] or one of its parents: the pattern
 * running out with components left means a parent matched. */
static bool match(char *const *pat, char *const *path, bool matched_one)
{
	if (!*pat)
		return matched_one;
	if (!strcmp(*pat, "**")) {
		for (char *const *rest = path;; rest++) {
			if (match(pat + 1, rest, matched_one || rest != path))
				return true;
			if (!*rest)
				return false;
		}
	}
	if (!*path || fnmatch(*pat, *path, 0) != 0)
		return false;
	return match(pat + 1, path + 1, true);
}

bool ignore_excludes(const struct ignore *ig, const char *path)
{
	cleanup_strv char **parts = split(path);
	bool excluded = false;

	if (!parts)
		return true; /* too deep to judge: leave it out */
	for (size_t i = 0; i < ig->n; i++)
		if (match(ig->pats[i].parts, parts, false))
			excluded = !ig->pats[i].exception;
	return excluded;
}

bool ignore_may_include_below(const struct ignore *ig, const char *dir)
{
	cleanup_strv char **parts = split(dir);

	if (!parts)
		return false;
	for (size_t i = 0; i < ig->n; i++) {
		char *const *p = ig->pats[i].parts, *const *d = parts;

		if (!ig->pats[i].exception)
			continue;
		for (; *p && *d && strcmp(*p, "**") && fnmatch(*p, *d, 0) == 0; p++, d++)
			;
		if (*p && (!*d || !strcmp(*p, "**")))
			return true;
	}
	return false;
}
