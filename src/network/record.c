/* Attachment records live under the run root: they describe kernel state
 * (namespaces, veths, rules) that a reboot removes, so they must vanish
 * with it. */
#include "network/record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"

#define REC_MAX (1 << 20)

int net_path(char out[PATH_MAX], berr_t *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "path too long: %.64s...", out);
	return 0;
}

int rec_check_id(const char *id, berr_t *err)
{
	size_t n = strlen(id);

	if (!n || n > 64 || strspn(id, "0123456789abcdef") != n)
		return err_set(err, EINVAL, "container id '%s': expected 1-64 lower-case hex digits",
			       id);
	return 0;
}

int rec_dir(const struct net_roots *r, const char *id, bool make, char out[PATH_MAX],
	    berr_t *err)
{
	if (rec_check_id(id, err) < 0 ||
	    net_path(out, err, "%s/networks/containers/%s", r->run, id) < 0)
		return -1;
	return make ? fs_mkdir_p(out, 0700, err) : 0;
}

int rec_write(const struct net_roots *r, const char *id, json_t *doc, berr_t *err)
{
	char dir[PATH_MAX];
	cleanup_free char *text = json_dumps(doc, JSON_INDENT(2));
	cleanup_close int fd = -1;

	if (!text)
		return err_set(err, ENOMEM, "encode the network attachment of %s", id);
	if (rec_dir(r, id, true, dir, err) < 0)
		return -1;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", dir);
	return fs_write_atomic_at(fd, "attachment.json", text, strlen(text), 0600, FS_VOLATILE,
				  err);
}

int rec_read(const struct net_roots *r, const char *id, json_t **doc, berr_t *err)
{
	char path[PATH_MAX];
	cleanup_free char *text = NULL;
	json_error_t jerr;

	if (rec_dir(r, id, false, path, err) < 0 ||
	    net_path(path, err, "%s/networks/containers/%s/attachment.json", r->run, id) < 0 ||
	    fs_read_regular_at(AT_FDCWD, path, REC_MAX, &text, err) < 0)
		return -1;
	*doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!*doc || !json_is_object(*doc)) {
		json_decref(*doc);
		return err_set(err, EINVAL, "%s: line %d: %s", path, jerr.line,
			       *doc ? "not an object" : jerr.text);
	}
	return 0;
}

int rec_remove(const struct net_roots *r, const char *id, berr_t *err)
{
	char dir[PATH_MAX];
	cleanup_close int fd = -1;

	if (rec_check_id(id, err) < 0 ||
	    net_path(dir, err, "%s/networks/containers", r->run) < 0)
		return -1;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", dir);
	return fs_remove_tree_at(fd, id, err);
}

int rec_ids(const struct net_roots *r, char ***ids, berr_t *err)
{
	char dir[PATH_MAX];
	cleanup_closedir DIR *d = NULL;
	struct dirent *e;

	*ids = calloc(1, sizeof(char *));
	if (!*ids)
		return err_sys(err, "list network attachments");
	if (net_path(dir, err, "%s/networks/containers", r->run) < 0)
		return -1;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", dir);
	while ((errno = 0, e = readdir(d)))
		if (rec_check_id(e->d_name, NULL) == 0 && strv_push(ids, e->d_name) < 0)
			return err_sys(err, "list network attachments");
	return errno ? err_sys(err, "read %s", dir) : 0;
}
