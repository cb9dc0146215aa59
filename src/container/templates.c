#include "container/templates.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/syscalls.h"
#include "common/words.h"

#define TEMPLATE_MAX (1 << 20)
#define SUFFIX ".tmpl"

static const char *env_lookup(void *ctx, const char *name)
{
	json_t *env = ctx, *item;
	size_t i, n = strlen(name);

	json_array_foreach(env, i, item) {
		const char *e = json_string_value(item);

		if (e && !strncmp(e, name, n) && e[n] == '=')
			return e + n + 1;
	}
	return NULL;
}

/* Line by line, so an error can name its line. */
static int render_text(char *text, json_t *env, const char *path, FILE *out, berr_t *err)
{
	struct words_opts o = { .lookup = env_lookup, .ctx = env, .template = true };
	int line = 1;

	for (char *p = text, *nl; *p; p = nl ? nl + 1 : p + strlen(p), line++) {
		cleanup_free char *done = NULL;

		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (words_expand_one(p, &o, &done, err) < 0)
			return err_prefix(err, "template %s:%d", path, line);
		fputs(done, out);
		if (nl)
			fputc('\n', out);
		if (!nl)
			break;
	}
	return 0;
}

static int render_one(int rootfd, const char *path, json_t *env, berr_t *err)
{
	cleanup_close int in = sys_openat_in_root(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
	cleanup_close int out = -1;
	cleanup_free char *text = NULL, *rendered = NULL;
	char target[4096];
	size_t len = 0;
	struct stat st;
	FILE *mem;
	int r;

	if (in < 0 || fstat(in, &st) < 0)
		return err_sys(err, "template %s", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "template %s: not a regular file", path);
	if (fs_read_fd(in, path, TEMPLATE_MAX, &text, NULL, err) < 0)
		return err_prefix(err, "template");
	mem = open_memstream(&rendered, &len);
	if (!mem)
		return err_sys(err, "template %s", path);
	r = render_text(text, env, path, mem, err);
	fclose(mem);
	if (r < 0)
		return -1;
	snprintf(target, sizeof(target), "%.*s", (int)(strlen(path) - strlen(SUFFIX)), path);
	out = sys_openat_in_root(rootfd, target, O_WRONLY | O_CREAT | O_TRUNC, st.st_mode & 07777);
	if (out < 0)
		return err_sys(err, "template %s: create %s", path, target);
	if (fchown(out, st.st_uid, st.st_gid) < 0 || fchmod(out, st.st_mode & 07777) < 0 ||
	    write(out, rendered, len) != (ssize_t)len)
		return err_sys(err, "template %s: write %s", path, target);
	return 0;
}

int templates_render(json_t *labels, json_t *env, const char *rootfs, berr_t *err)
{
	const char *list = json_string_value(json_object_get(labels, TEMPLATES_LABEL));
	cleanup_free char *copy = list ? strdup(list) : NULL;
	cleanup_close int rootfd = -1;
	char *save = NULL;

	if (!list)
		return 0;
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!copy || rootfd < 0)
		return err_sys(err, "templates");
	for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		size_t n;

		p += strspn(p, " \t");
		for (n = strlen(p); n && (p[n - 1] == ' ' || p[n - 1] == '\t');)
			p[--n] = '\0';
		if (p[0] != '/' || n <= strlen(SUFFIX) || strcmp(p + n - strlen(SUFFIX), SUFFIX) ||
		    n >= 4096)
			return err_set(err, EINVAL, "label %s: '%.80s' is not an absolute path ending in .tmpl",
				       TEMPLATES_LABEL, p);
		if (render_one(rootfd, p, env, err) < 0)
			return -1;
	}
	return 0;
}
