/* Unpacking an image layer: the tar stream of hostile origin meets the
 * filesystem here, so every rule below is about not trusting it.
 *
 * Streaming and the diff id.  The diff id is the sha256 of the
 * *uncompressed* tar, and a layer can be gigabytes, so nothing is held in
 * memory.  Two libarchive handles are chained in one thread:
 *
 *   fd -> [raw: gzip/zstd/none filters, format "raw"] -> tee_read()
 *      -> [tar: format tar, no filter] -> entries
 *
 * "raw" only decompresses: its single entry's data is the tar stream.  The
 * tar handle is opened with tee_read() as its read callback, which pulls
 * the next chunk of decompressed bytes from "raw", hashes it and hands it
 * on.  Every byte the tar parser sees is hashed exactly once, in order;
 * after the end-of-archive marker whatever follows (record padding, junk)
 * is drained and hashed too, so the digest covers the whole uncompressed
 * stream as docker and containerd compute it.  The tar handle has no
 * filter of its own, so a doubly compressed layer is not silently
 * accepted under a different digest.
 *
 * Confinement.  Entry names are cleaned lexically ("./", "/" and "."
 * dropped, ".." popped, a ".." above the root refused).  The parent
 * directory of each entry is then opened with sys_openat_in_root() from
 * the layer root, so symlinks the layer planted earlier are followed but
 * can never lead out of it, and the entry itself is created with an *at()
 * call on its last component, which never follows a symlink.  Hard link
 * targets are resolved the same way.
 *
 * On failure the destination is left half-written: it is a fresh
 * directory under the store's tmp/ and the caller removes it. */
#include "image/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/overlayfs.h"
#include "common/fs.h"
#include "common/syscalls.h"

#define CHUNK (64 * 1024)
#define SHOWN_MAX 200 /* characters of a hostile name put in a message */
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

/* Slack of the uncompressed-stream cap (see hash_chunk). */
#define STREAM_SLACK (64ULL * 1024 * 1024)
#define STREAM_PER_ENTRY 4096ULL

struct unpack {
	int destfd;
	const char *name;
	const struct layer_limits *lim;
	berr_t *err;
	struct archive *raw; /* decompressor, format "raw" */
	struct archive *tar; /* tar parser fed by tee_read() */
	EVP_MD_CTX *md;
	uint64_t stream_bytes;
	bool stream_over;  /* tee_read() stopped at the stream cap */
	bool hash_failed;  /* tee_read() stopped on an OpenSSL error */
	uint64_t bytes, entries;
	char link[PATH_MAX]; /* the current hard link's clean target */
	char shown[SHOWN_MAX + 8]; /* the current entry's name, printable */
	unsigned char buf[CHUNK];
};

/* ---- errors ----------------------------------------------------------- */

/* Names come from the archive: control characters could forge log lines
 * or drive a terminal, and a PATH_MAX name would drown the message. */
static void printable(char *out, size_t size, const char *in)
{
	size_t i = 0;

	for (; *in && i + 4 < size; in++) {
		unsigned char c = (unsigned char)*in;

		out[i++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
	if (*in)
		strcpy(out + i, "...");
}

__attribute__((format(printf, 4, 0)))
static int entry_vfail(struct unpack *u, int errnum, bool sys, const char *fmt,
		       va_list ap)
{
	char detail[512];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	if (sys)
		return err_set(u->err, errnum, "layer %s: entry '%s': %s: %s",
			       u->name, u->shown, detail, strerror(errnum));
	return err_set(u->err, errnum, "layer %s: entry '%s' %s", u->name,
		       u->shown, detail);
}

/* "layer L: entry 'E': <what>: <strerror(errno)>" for a failed syscall. */
__attribute__((format(printf, 2, 3)))
static int entry_sys(struct unpack *u, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	entry_vfail(u, saved, true, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

/* "layer L: entry 'E' <what>" for an entry the policy refuses. */
__attribute__((format(printf, 3, 4)))
static int entry_bad(struct unpack *u, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	entry_vfail(u, errnum, false, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- the decompressed stream ------------------------------------------ */

/* Hash a chunk of the uncompressed stream and enforce its cap.  With a
 * byte cap, the stream may exceed it only by headers and padding: a
 * generous allowance per entry plus a fixed slack.  Anything beyond is a
 * decompression bomb aimed at the CPU (data of skipped entries or junk
 * after the end marker, which is still hashed). */
static int hash_chunk(struct unpack *u, const void *p, size_t n)
{
	uint64_t max = u->lim->max_bytes, cap = UINT64_MAX;

	if (max && max < UINT64_MAX / 4)
		cap = max + STREAM_SLACK + u->entries * STREAM_PER_ENTRY;
	u->stream_bytes += n;
	if (u->stream_bytes > cap) {
		u->stream_over = true;
		return -1;
	}
	if (EVP_DigestUpdate(u->md, p, n) != 1) {
		u->hash_failed = true;
		return -1;
	}
	return 0;
}

/* Read callback of the tar handle: the next decompressed chunk, hashed. */
static la_ssize_t tee_read(struct archive *tar, void *data, const void **out)
{
	struct unpack *u = data;
	la_ssize_t n = archive_read_data(u->raw, u->buf, sizeof(u->buf));
	const char *why = archive_error_string(u->raw);

	if (n < 0) {
		archive_set_error(tar, archive_errno(u->raw),
				  "decompressing: %s", why ? why : "?");
		return -1;
	}
	if (hash_chunk(u, u->buf, (size_t)n) < 0) {
		archive_set_error(tar, EFBIG, "stream over its cap");
		return -1;
	}
	*out = u->buf;
	return n;
}

static int stream_failed(struct unpack *u, struct archive *a, const char *what)
{
	const char *why = archive_error_string(a);

	if (u->stream_over)
		return err_set(u->err, EFBIG,
			       "layer %s: uncompressed stream larger than %llu "
			       "bytes", u->name,
			       (unsigned long long)u->stream_bytes);
	if (u->hash_failed)
		return err_set(u->err, 0, "layer %s: sha256 failed", u->name);
	if (u->shown[0])
		return err_set(u->err, archive_errno(a),
			       "layer %s: %s (after entry '%s'): %s", u->name,
			       what, u->shown, why ? why : "unknown error");
	return err_set(u->err, archive_errno(a), "layer %s: %s: %s", u->name,
		       what, why ? why : "unknown error");
}

/* Hash what follows the tar end marker, so the digest covers it all. */
static int drain(struct unpack *u)
{
	la_ssize_t n;

	while ((n = archive_read_data(u->raw, u->buf, sizeof(u->buf))) > 0)
		if (hash_chunk(u, u->buf, (size_t)n) < 0)
			return stream_failed(u, u->raw, "hashing");
	if (n < 0)
		return stream_failed(u, u->raw, "decompressing");
	return 0;
}

static int open_raw(struct unpack *u, int fd)
{
	struct archive_entry *e;

	u->raw = archive_read_new();
	if (!u->raw)
		return err_set(u->err, ENOMEM, "layer %s: archive_read_new",
			       u->name);
	/* ARCHIVE_WARN would mean an external gzip/zstd program: hostile
	 * input is decompressed in-process by the linked libraries or not
	 * at all. */
	if (archive_read_support_filter_gzip(u->raw) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(u->raw) != ARCHIVE_OK ||
	    archive_read_support_format_raw(u->raw) != ARCHIVE_OK)
		return stream_failed(u, u->raw, "setting up");
	if (archive_read_open_fd(u->raw, fd, CHUNK) != ARCHIVE_OK)
		return stream_failed(u, u->raw, "opening");
	if (archive_read_next_header(u->raw, &e) != ARCHIVE_OK)
		return stream_failed(u, u->raw, "reading (empty?)");
	return 0;
}

static int open_tar(struct unpack *u)
{
	u->tar = archive_read_new();
	if (!u->tar)
		return err_set(u->err, ENOMEM, "layer %s: archive_read_new",
			       u->name);
	if (archive_read_support_format_tar(u->tar) != ARCHIVE_OK)
		return stream_failed(u, u->tar, "setting up");
	if (archive_read_open(u->tar, u, NULL, tee_read, NULL) != ARCHIVE_OK)
		return stream_failed(u, u->tar, "not a tar archive");
	return 0;
}

/* ---- names ------------------------------------------------------------ */

/* Clean an archive path into out ("" is the layer root): leading "/" and
 * "./" go (an absolute name is relative to the layer, as docker does),
 * "." and empty components go, ".." pops one, and a ".." with nothing to
 * pop escapes the layer. */
static int clean_path(struct unpack *u, const char *in, char out[PATH_MAX])
{
	size_t len = 0;

	if (strlen(in) >= PATH_MAX)
		return entry_bad(u, ENAMETOOLONG, "has a name over PATH_MAX");
	out[0] = '\0';
	while (*in) {
		size_t n = strcspn(in, "/");

		if (n > NAME_MAX)
			return entry_bad(u, ENAMETOOLONG,
					 "has a component over NAME_MAX");
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			if (!len)
				return entry_bad(u, EPERM,
						 "escapes the layer");
			while (len && out[len - 1] != '/')
				len--;
			len -= len ? 1 : 0;
		} else if (n && !(n == 1 && in[0] == '.')) {
			if (len)
				out[len++] = '/';
			memcpy(out + len, in, n);
			len += n;
		}
		out[len] = '\0';
		in += n + (in[n] == '/');
	}
	return 0;
}

/* Split a clean path into its parent (in dir) and its last component. */
static const char *split_leaf(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		dir[0] = '\0';
		return path;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return slash + 1;
}

/* ---- directories ------------------------------------------------------ */

static int open_dir_in_root(struct unpack *u, const char *dir)
{
	if (!*dir)
		return openat(u->destfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return sys_openat_in_root(u->destfd, dir, O_PATH | O_DIRECTORY, 0);
}

/* Create the missing directories of dir one by one (tar archives need
 * not list parents), each resolved from the layer root.  A component
 * that exists but is no directory (a file, or a symlink to nowhere inside
 * the layer) is an error rather than something to write through. */
static int make_parents(struct unpack *u, const char *dir)
{
	cleanup_close int fd = open_dir_in_root(u, "");
	char prefix[PATH_MAX];
	size_t at = 0;

	while (fd >= 0 && dir[at]) {
		size_t n = strcspn(dir + at, "/");
		int next;

		memcpy(prefix, dir, at + n);
		prefix[at + n] = '\0';
		next = open_dir_in_root(u, prefix);
		if (next < 0 && errno == ENOENT) {
			/* EEXIST: a symlink is there, resolving to nothing */
			if (mkdirat(fd, prefix + at, 0755) < 0)
				return errno == EEXIST
				       ? entry_bad(u, ENOTDIR, "lies below a "
						   "dangling symlink")
				       : entry_sys(u, "creating a parent");
			next = openat(fd, prefix + at, O_PATH | O_DIRECTORY |
				      O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0)
			return entry_sys(u, "opening a parent");
		close(fd);
		fd = next;
		at += n + (dir[at + n] == '/');
	}
	if (fd < 0)
		return entry_sys(u, "opening the layer root");
	return take_fd(fd);
}

/* The parent directory of an entry, as an O_PATH fd inside the layer. */
static int open_parent(struct unpack *u, const char *dir)
{
	int fd = open_dir_in_root(u, dir);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return make_parents(u, dir);
	return entry_sys(u, "opening its parent");
}

/* Remove what is at pfd/leaf so the entry can take its place (later
 * entries replace earlier ones, as tar does).  Returns 1 when leaf is a
 * directory that a directory entry should simply reuse. */
static int clear_leaf(struct unpack *u, int pfd, const char *leaf, bool dir)
{
	struct stat st;

	if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return entry_sys(u, "inspecting what is in the way");
	}
	if (S_ISDIR(st.st_mode)) {
		if (dir)
			return 1;
		if (fs_remove_tree_at(pfd, leaf, u->err) < 0)
			return err_prefix(u->err, "layer %s: entry '%s'",
					  u->name, u->shown);
		return 0;
	}
	if (unlinkat(pfd, leaf, 0) < 0)
		return entry_sys(u, "removing what is in the way");
	return 0;
}

/* ---- metadata --------------------------------------------------------- */

/* xattrs go through /proc/self/fd/<parent>/<leaf> and lsetxattr: there is
 * no lsetxattrat() before Linux 6.13, a device node must not be opened to
 * get an fd, and the l- variant never follows the last component.  A
 * security.* attribute the kernel or an LSM will not take (an SELinux
 * label on a host without it) is skipped; any other failure is an error. */
static int set_xattrs(struct unpack *u, int pfd, const char *leaf,
		      struct archive_entry *e)
{
	char path[PATH_MAX + 32], key_shown[64];
	const char *key;
	const void *val;
	size_t size;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", pfd, leaf);
	while (archive_entry_xattr_next(e, &key, &val, &size) == ARCHIVE_OK) {
		/* overlayfs reads these from its layers: a layer that sets
		 * them itself could redirect lookups or hide files.  Only
		 * whiteout entries produce them, through make_opaque(). */
		if (overlay_own_xattr(key))
			continue;
		if (lsetxattr(path, key, val, size, 0) == 0)
			continue;
		if (strncmp(key, "security.", 9) == 0 &&
		    (errno == EPERM || errno == EOPNOTSUPP))
			continue;
		printable(key_shown, sizeof(key_shown), key);
		return entry_sys(u, "setting xattr '%s'", key_shown);
	}
	return 0;
}

static int owner_of(struct unpack *u, struct archive_entry *e, uid_t *uid,
		    gid_t *gid)
{
	la_int64_t ou = archive_entry_uid(e), og = archive_entry_gid(e);

	/* (uid_t)-1 would mean "leave unchanged" to fchownat. */
	if (ou < 0 || og < 0 || ou >= UINT32_MAX || og >= UINT32_MAX)
		return entry_bad(u, ERANGE, "has an owner out of range "
				 "(%lld:%lld)", (long long)ou, (long long)og);
	*uid = (uid_t)ou;
	*gid = (gid_t)og;
	return 0;
}

/* Owner, then mode (chown clears set-id bits), then xattrs (chown clears
 * security.capability), then mtime last, as nothing after may touch it.
 * Everything is relative to the parent fd and never follows leaf. */
static int set_meta(struct unpack *u, int pfd, const char *leaf,
		    struct archive_entry *e)
{
	bool link = archive_entry_filetype(e) == AE_IFLNK;
	struct timespec ts[2];
	uid_t uid = 0;
	gid_t gid = 0;

	if (owner_of(u, e, &uid, &gid) < 0)
		return -1;
	if (fchownat(pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_sys(u, "setting owner %u:%u", uid, gid);
	/* leaf was just created as a non-symlink in a directory we hold. */
	if (!link &&
	    fchmodat(pfd, leaf, archive_entry_perm(e) & 07777, 0) < 0)
		return entry_sys(u, "setting mode");
	if (set_xattrs(u, pfd, leaf, e) < 0)
		return -1;
	if (!archive_entry_mtime_is_set(e))
		return 0;
	/* A directory's mtime moves again as entries are added to it;
	 * restoring it would need a deferred list, which overlay does not
	 * need. */
	ts[0].tv_sec = ts[1].tv_sec = archive_entry_mtime(e);
	ts[0].tv_nsec = ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_sys(u, "setting mtime");
	return 0;
}

/* ---- entries ---------------------------------------------------------- */

static int too_large(struct unpack *u)
{
	return err_set(u->err, EFBIG,
		       "layer %s: larger than %llu bytes uncompressed "
		       "(at entry '%s')", u->name,
		       (unsigned long long)u->lim->max_bytes, u->shown);
}

static int pwrite_all(int fd, const char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Copy the entry's data into fd block by block; sparse holes stay holes.
 * libarchive keeps blocks within the declared size, checked again here
 * because that size is what the byte cap was charged. */
static int copy_data(struct unpack *u, int fd, la_int64_t size)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(u->tar, &buf, &len, &off)) !=
	       ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return stream_failed(u, u->tar, "reading file data");
		if (off < 0 || off > size || (uint64_t)(size - off) < len)
			return entry_bad(u, EFBIG, "has data past its size");
		if (pwrite_all(fd, buf, len, off) < 0)
			return entry_sys(u, "writing");
	}
	if (ftruncate(fd, size) < 0)
		return entry_sys(u, "setting size");
	return 0;
}

static int make_file(struct unpack *u, int pfd, const char *leaf,
		     struct archive_entry *e)
{
	la_int64_t size = archive_entry_size(e); /* 0 when unset */
	uint64_t max = u->lim->max_bytes;
	cleanup_close int fd = -1;

	/* Charged before a byte is written: a bomb leaves nothing behind. */
	if (size < 0 || (max && ((uint64_t)size > max ||
				 u->bytes > max - (uint64_t)size)))
		return too_large(u);
	if (clear_leaf(u, pfd, leaf, false) < 0)
		return -1;
	fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd < 0)
		return entry_sys(u, "creating file");
	u->bytes += (uint64_t)size;
	if (copy_data(u, fd, size) < 0)
		return -1;
	return set_meta(u, pfd, leaf, e);
}

static int make_dir(struct unpack *u, int pfd, const char *leaf,
		    struct archive_entry *e)
{
	int r = clear_leaf(u, pfd, leaf, true);

	if (r < 0)
		return -1;
	if (r == 0 && mkdirat(pfd, leaf, 0700) < 0)
		return entry_sys(u, "creating directory");
	return set_meta(u, pfd, leaf, e);
}

static int make_symlink(struct unpack *u, int pfd, const char *leaf,
			struct archive_entry *e)
{
	const char *target = archive_entry_symlink(e);

	/* The target is stored as it is: it is only ever resolved inside
	 * the rootfs, and this code never writes through it. */
	if (!target || !*target)
		return entry_bad(u, EINVAL, "is a symlink without a target");
	if (clear_leaf(u, pfd, leaf, false) < 0)
		return -1;
	if (symlinkat(target, pfd, leaf) < 0)
		return entry_sys(u, "creating symlink");
	return set_meta(u, pfd, leaf, e);
}

static int make_node(struct unpack *u, int pfd, const char *leaf,
		     struct archive_entry *e)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev = 0;

	/* classify() already refused devices unless they are allowed. */
	if (type == AE_IFCHR || type == AE_IFBLK)
		dev = makedev(archive_entry_rdevmajor(e),
			      archive_entry_rdevminor(e));
	if (clear_leaf(u, pfd, leaf, false) < 0)
		return -1;
	if (mknodat(pfd, leaf, type | 0600, dev) < 0)
		return entry_sys(u, "creating node");
	return set_meta(u, pfd, leaf, e);
}

/* A hard link may name anything already in the layer but a directory;
 * the target is resolved from the layer root like any other path, so it
 * cannot reach out of it. */
static int make_hardlink(struct unpack *u, int pfd, const char *leaf)
{
	cleanup_close int fd = -1;
	struct stat st, cur;
	char proc[64];

	fd = sys_openat_in_root(u->destfd, u->link, O_PATH | O_NOFOLLOW, 0);
	if (fd < 0 || fstat(fd, &st) < 0)
		return entry_sys(u, "resolving its hard link target");
	if (S_ISDIR(st.st_mode))
		return entry_bad(u, EPERM, "is a hard link to a directory");
	if (fstatat(pfd, leaf, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
	    cur.st_dev == st.st_dev && cur.st_ino == st.st_ino)
		return 0; /* already that very file */
	if (clear_leaf(u, pfd, leaf, false) < 0)
		return -1;
	if (linkat(fd, "", pfd, leaf, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOENT)
		return entry_sys(u, "creating hard link");
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH before Linux 6.10 and
	 * says ENOENT without it; the fd's magic link needs nothing. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, pfd, leaf, AT_SYMLINK_FOLLOW) < 0)
		return entry_sys(u, "creating hard link");
	return 0;
}

/* ".wh.NAME": NAME is deleted in this layer, which overlayfs spells as a
 * 0:0 character device (allowed whatever allow_devices says). */
static int make_whiteout(struct unpack *u, int pfd, const char *name)
{
	if (clear_leaf(u, pfd, name, false) < 0)
		return -1;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return entry_sys(u, "creating whiteout");
	return 0;
}

/* ".wh..wh..opq": the directory hides what lower layers have in it. */
static int make_opaque(struct unpack *u, int pfd)
{
	cleanup_close int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY |
				      O_CLOEXEC);

	if (fd < 0)
		return entry_sys(u, "opening its directory");
	if (fsetxattr(fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
		return entry_sys(u, "setting " OVERLAY_OPAQUE_XATTR);
	return 0;
}

enum kind { K_SKIP, K_OPAQUE, K_WHITEOUT, K_LINK, K_FILE, K_DIR, K_SYMLINK,
	    K_NODE };

/* What to do with an entry, and every refusal that needs no filesystem
 * access, made before its parents are created. */
static int classify(struct unpack *u, struct archive_entry *e,
		    const char *leaf)
{
	const char *hardlink = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);

	if (strncmp(leaf, WHITEOUT, 4) == 0) {
		if (strcmp(leaf, OPAQUE) == 0)
			return K_OPAQUE;
		if (strncmp(leaf, WHITEOUT WHITEOUT, 8) == 0)
			return K_SKIP; /* other AUFS metadata, meaningless */
		if (!leaf[4] || !strcmp(leaf + 4, ".") ||
		    !strcmp(leaf + 4, ".."))
			return entry_bad(u, EINVAL, "is a whiteout of nothing");
		return K_WHITEOUT;
	}
	if (hardlink && clean_path(u, hardlink, u->link) < 0)
		return -1;
	if (hardlink && !u->link[0]) /* the layer root */
		return entry_bad(u, EPERM, "is a hard link to a directory");
	if (hardlink)
		return K_LINK;
	switch (type) {
	case AE_IFREG: return K_FILE;
	case AE_IFDIR: return K_DIR;
	case AE_IFLNK: return K_SYMLINK;
	case AE_IFIFO: return K_NODE;
	case AE_IFCHR:
	case AE_IFBLK:
		if (!u->lim->allow_devices)
			return entry_bad(u, EPERM, "is a device node, refused");
		return K_NODE;
	default:
		return entry_bad(u, EINVAL, "has an unsupported type 0%o",
				 (unsigned)type);
	}
}

static int make(struct unpack *u, enum kind kind, int pfd, const char *leaf,
		struct archive_entry *e)
{
	switch (kind) {
	case K_OPAQUE: return make_opaque(u, pfd);
	case K_WHITEOUT: return make_whiteout(u, pfd, leaf + 4);
	case K_LINK: return make_hardlink(u, pfd, leaf);
	case K_FILE: return make_file(u, pfd, leaf, e);
	case K_DIR: return make_dir(u, pfd, leaf, e);
	case K_SYMLINK: return make_symlink(u, pfd, leaf, e);
	case K_NODE: return make_node(u, pfd, leaf, e);
	case K_SKIP: break;
	}
	return 0;
}

/* The "./" entry most layers start with: the layer root's own metadata. */
static int root_entry(struct unpack *u, struct archive_entry *e)
{
	if (archive_entry_hardlink(e) || archive_entry_filetype(e) != AE_IFDIR)
		return entry_bad(u, EINVAL,
				 "names the layer root but is no directory");
	return set_meta(u, u->destfd, ".", e);
}

static int extract(struct unpack *u, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e), *leaf;
	char path[PATH_MAX], dir[PATH_MAX];
	cleanup_close int pfd = -1;
	int kind;

	/* A C string: a name with a NUL in it reaches us cut at the NUL,
	 * and the shorter name is vetted like any other. */
	if (!raw) {
		snprintf(u->shown, sizeof(u->shown), "#%llu",
			 (unsigned long long)u->entries);
		return entry_bad(u, EILSEQ, "has no name in this locale");
	}
	printable(u->shown, sizeof(u->shown), raw);
	if (clean_path(u, raw, path) < 0)
		return -1;
	if (!*path)
		return root_entry(u, e);
	leaf = split_leaf(path, dir);
	kind = classify(u, e, leaf);
	if (kind <= K_SKIP) /* refused (-1), or nothing to create (0) */
		return kind;
	pfd = open_parent(u, dir);
	if (pfd < 0)
		return -1;
	return make(u, kind, pfd, leaf, e);
}

static int extract_all(struct unpack *u)
{
	uint64_t max = u->lim->max_entries;
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(u->tar, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return stream_failed(u, u->tar, "reading a header");
		if (max && u->entries >= max)
			return err_set(u->err, EFBIG,
				       "layer %s: more than %llu entries",
				       u->name, (unsigned long long)max);
		u->entries++;
		if (extract(u, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- the whole layer --------------------------------------------------- */

static int unpack_run(struct unpack *u, int fd, struct layer_result *res)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	int at;

	if (EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1)
		return err_set(u->err, 0, "layer %s: sha256 init failed",
			       u->name);
	if (open_raw(u, fd) < 0 || open_tar(u) < 0 || extract_all(u) < 0 ||
	    drain(u) < 0)
		return -1;
	if (EVP_DigestFinal_ex(u->md, md, &len) != 1 || len != 32)
		return err_set(u->err, 0, "layer %s: sha256 failed", u->name);
	at = snprintf(res->diff_id, sizeof(res->diff_id), "sha256:");
	for (unsigned i = 0; i < len; i++, at += 2)
		snprintf(res->diff_id + at, 3, "%02x", md[i]);
	res->bytes = u->bytes;
	res->entries = u->entries;
	return 0;
}

int layer_unpack(int fd, int destfd, const char *name,
		 const struct layer_limits *lim, struct layer_result *res,
		 berr_t *err)
{
	static const struct layer_limits none;
	struct unpack *u;
	int ret;

	memset(res, 0, sizeof(*res));
	/* Heap, not stack: the struct holds the 64 KiB stream buffer. */
	u = calloc(1, sizeof(*u));
	if (!u)
		return err_sys(err, "layer %s: allocating", name);
	u->destfd = destfd;
	u->name = name;
	u->lim = lim ? lim : &none;
	u->err = err;
	u->md = EVP_MD_CTX_new();
	ret = u->md ? unpack_run(u, fd, res)
		    : err_set(err, ENOMEM, "layer %s: EVP_MD_CTX_new", name);
	archive_read_free(u->tar);
	archive_read_free(u->raw);
	EVP_MD_CTX_free(u->md);
	free(u);
	return ret;
}
