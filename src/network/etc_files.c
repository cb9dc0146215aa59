/* /etc/hosts, /etc/hostname and /etc/resolv.conf of networked containers.
 *
 * The hosts file of a network is bound into every member, so it is
 * rewritten in place, never replaced by rename: a bind mount holds the
 * inode it was made with, and a renamed-over file would leave every
 * running member with the old list.  Rewrites happen under the network
 * lock (netdef_lock).  While members are attached the file never shrinks:
 * a shorter list is padded with a blank comment line to the old length.
 * A reader that splices the file (busybox cat uses sendfile into a pipe)
 * holds references to its pages, not a copy: a later rewrite shows
 * through, and a truncation would turn the cut bytes into zeros (seen
 * with four containers reading while others left).  Padding keeps such a
 * reader, and one racing a rewrite, to text: at worst a mix of the old
 * and the new list. */
#include "network/etc_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "network/record.h"

#define RESOLV_MAX (64 << 10)

static bool loopback_ns(const char *line)
{
	const char *a = line + strlen("nameserver");

	a += strspn(a, " \t");
	return !strncmp(a, "127.", 4) || !strncmp(a, "::1", 3) ||
	       !strncmp(a, "0:0:0:0:0:0:0:1", 15);
}

char *etc_resolv_filter(const char *host_resolv)
{
	size_t len = strlen(host_resolv);
	char *out = malloc(len + 2), *o = out;
	const char *p = host_resolv;

	if (!out)
		return NULL;
	while (*p) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		bool ns = !strncmp(p, "nameserver", 10) && (p[10] == ' ' || p[10] == '\t');

		/* search and options lines apply inside too; comments go. */
		if ((ns && !loopback_ns(p)) || !strncmp(p, "search", 6) ||
		    !strncmp(p, "domain", 6) || !strncmp(p, "options", 7)) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			*o++ = '\n';
		}
		p = nl ? nl + 1 : end;
	}
	*o = '\0';
	return out;
}

/* Without a usable nameserver the file stays empty: inventing public
 * resolvers would send the container's queries somewhere unasked. */
static int write_resolv(int dirfd, berr_t *err)
{
	cleanup_free char *host = NULL, *text = NULL;
	size_t len;

	if (fs_read_file_at(AT_FDCWD, "/etc/resolv.conf", RESOLV_MAX, &host, &len, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return -1;
		err_free(err);
	}
	text = etc_resolv_filter(host ? host : "");
	if (!text)
		return err_sys(err, "resolv.conf");
	return fs_write_atomic_at(dirfd, "resolv.conf", text, strlen(text), 0644, FS_VOLATILE,
				  err);
}

int etc_write_own(const char *dir, const char *hostname, berr_t *err)
{
	cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *line = NULL;

	if (fd < 0)
		return err_sys(err, "open %s", dir);
	if (asprintf(&line, "%s\n", hostname) < 0) {
		line = NULL;
		return err_sys(err, "hostname");
	}
	if (fs_write_atomic_at(fd, "hostname", line, strlen(line), 0644, FS_VOLATILE, err) < 0)
		return -1;
	return write_resolv(fd, err);
}

/* "IP\tNAME ID12 HOSTNAME" for one member of network (NAME and HOSTNAME
 * when set, HOSTNAME when it is not ID12); whether it is one. */
static bool member_line(const struct net_roots *r, const char *id, const char *network,
			FILE *out)
{
	berr_t ignored = NULL;
	json_t *doc;
	const char *ip, *name, *host, *net;
	bool member;

	if (rec_read(r, id, &doc, &ignored) < 0) {
		err_free(&ignored); /* a directory without a record yet */
		return false;
	}
	ip = json_string_value(json_object_get(doc, "ip"));
	name = json_string_value(json_object_get(doc, "name"));
	host = json_string_value(json_object_get(doc, "hostname"));
	net = json_string_value(json_object_get(doc, "network"));
	member = ip && net && !strcmp(net, network);
	if (member) {
		fprintf(out, "%s\t", ip);
		if (name)
			fprintf(out, "%s ", name);
		fprintf(out, "%.12s", id);
		if (host && *host && strncmp(host, id, 12))
			fprintf(out, " %s", host);
		fputc('\n', out);
	}
	json_decref(doc);
	return member;
}

static int hosts_text(const struct net_roots *r, const char *network, char **text,
		      size_t *len, size_t *members, berr_t *err)
{
	cleanup_strv char **ids = NULL;
	FILE *out = open_memstream(text, len);

	if (!out)
		return err_sys(err, "hosts file");
	fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", out);
	if (rec_ids(r, &ids, err) < 0) {
		fclose(out);
		return -1;
	}
	for (size_t i = 0; ids[i]; i++)
		*members += member_line(r, ids[i], network, out);
	if (fclose(out) != 0)
		return err_sys(err, "hosts file");
	return 0;
}

/* The new list over the old one: padded to the old size while members
 * may be reading it, cut to size once none are left. */
static int rewrite(int fd, const char *path, const char *text, size_t len, size_t members,
		   berr_t *err)
{
	cleanup_free char *padded = NULL;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_sys(err, "stat %s", path);
	if (members && (off_t)len < st.st_size) {
		size_t size = (size_t)st.st_size;

		padded = malloc(size);
		if (!padded)
			return err_sys(err, "write %s", path);
		memcpy(padded, text, len);
		memset(padded + len, ' ', size - len);
		padded[len] = '#';
		padded[size - 1] = '\n';
		text = padded;
		len = size;
	}
	if (pwrite(fd, text, len, 0) != (ssize_t)len || ftruncate(fd, (off_t)len) < 0)
		return err_sys(err, "write %s", path);
	return 0;
}

int etc_hosts_update(const struct net_roots *r, const char *network, char out[PATH_MAX],
		     berr_t *err)
{
	char dir[PATH_MAX], path[PATH_MAX];
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	size_t len, members = 0;

	if (net_path(dir, err, "%s/networks/hosts", r->run) < 0 ||
	    net_path(path, err, "%s/%s", dir, network) < 0 || fs_mkdir_p(dir, 0755, err) < 0 ||
	    hosts_text(r, network, &text, &len, &members, err) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_sys(err, "open %s", path);
	if (rewrite(fd, path, text, len, members, err) < 0)
		return -1;
	if (out)
		snprintf(out, PATH_MAX, "%s", path);
	return 0;
}
