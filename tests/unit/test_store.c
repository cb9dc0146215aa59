/* The image store: digests, blobs (written, verified, refused on a
 * mismatch, written by many processes at once), ref names, and the image
 * config and manifest parsers on valid and wrongly typed documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/json.h"
#include "image/image.h"
#include "image/layer_pack.h"
#include "image/sha256.h"
#include "image/store.h"
#include "image/store_internal.h"

#define ABC_SHA256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

struct fixture {
	char dir[64];
	struct store s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	berr_t err = NULL;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/berth-unit-store.XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, &f->s, &err) < 0) {
		fprintf(stderr, "setup: %s\n", err ? err_msg(err) : strerror(errno));
		err_free(&err);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	store_close(&f->s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	free(f);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_entries(struct fixture *f, const char *sub)
{
	char path[256];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", f->dir, sub);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_digest_valid(void **state)
{
	(void)state;
	assert_true(digest_valid(ABC_SHA256));
	assert_false(digest_valid(NULL));
	assert_false(digest_valid("sha256:"));
	assert_false(digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	assert_false(digest_valid("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
	assert_false(digest_valid(ABC_SHA256 "0"));
	assert_false(digest_valid("sha256:../../../../etc/passwd0000000000000000000000000000000000000"));
}

static void test_blob_put_read(void **state)
{
	struct fixture *f = *state;
	char digest[DIGEST_MAX];
	berr_t err = NULL;
	char *data = NULL;
	size_t len = 0;

	assert_int_equal(store_blob_put_mem(&f->s, "abc", 3, digest, &err), 0);
	assert_string_equal(digest, ABC_SHA256);
	assert_true(store_blob_exists(&f->s, ABC_SHA256));
	assert_int_equal(store_blob_read(&f->s, ABC_SHA256, 16, &data, &len, &err), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "abc", 3);
	free(data);
	/* Over the cap: refused, naming the cap. */
	assert_int_equal(store_blob_read(&f->s, ABC_SHA256, 2, &data, &len, &err), -1);
	assert_non_null(strstr(err_msg(err), "larger than 2 bytes"));
	err_free(&err);
	assert_int_equal(count_entries(f, "tmp"), 0);
	/* The same content again is not rewritten: the file stays. */
	char path[256];
	struct stat before, after;
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", f->dir, ABC_SHA256 + 7);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(store_blob_put_mem(&f->s, "abc", 3, digest, &err), 0);
	assert_string_equal(digest, ABC_SHA256);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
}

static void test_blob_mismatch_stores_nothing(void **state)
{
	struct fixture *f = *state;
	const char *want = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	char digest[DIGEST_MAX];
	berr_t err = NULL;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "hello", 5), 5);
	close(fds[1]);
	assert_int_equal(store_blob_put_fd(&f->s, fds[0], want, digest, NULL, &err), -1);
	close(fds[0]);
	assert_string_equal(err_msg(err),
			    "blob sha256:0000000000000000000000000000000000000000000000000000000000000000: content has digest sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
	err_free(&err);
	assert_false(store_blob_exists(&f->s, want));
	assert_int_equal(count_entries(f, "blobs/sha256"), 0);
	assert_int_equal(count_entries(f, "tmp"), 0);
}

static void test_blob_read_verifies(void **state)
{
	struct fixture *f = *state;
	char digest[DIGEST_MAX], path[256];
	berr_t err = NULL;
	char *data = NULL;
	FILE *fp;

	assert_int_equal(store_blob_put_mem(&f->s, "abc", 3, digest, &err), 0);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", f->dir, digest + 7);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("abd", fp);
	fclose(fp);
	assert_int_equal(store_blob_read(&f->s, digest, 16, &data, NULL, &err), -1);
	assert_non_null(strstr(err_msg(err), "store damaged"));
	err_free(&err);
	assert_int_equal(store_blob_read(&f->s, "sha256:nothex", 16, &data, NULL, &err), -1);
	err_free(&err);
}

/* Eight processes store the same megabyte at once: all succeed, one
 * copy remains, nothing is left in tmp/. */
static void test_concurrent_puts(void **state)
{
	struct fixture *f = *state;
	size_t len = 1 << 20;
	char *big = malloc(len);
	pid_t pids[8];

	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)(i * 7 + i / 4096);
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char digest[DIGEST_MAX];
			berr_t err = NULL;
			struct store s;

			if (store_open(f->dir, &s, &err) < 0 ||
			    store_blob_put_mem(&s, big, len, digest, &err) < 0)
				_exit(1);
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	free(big);
	assert_int_equal(count_entries(f, "blobs/sha256"), 1);
	assert_int_equal(count_entries(f, "tmp"), 0);
}

static void expect_name(const char *in, const char *out)
{
	char norm[REF_NAME_MAX + 1];
	berr_t err = NULL;

	if (ref_normalize(in, norm, &err) < 0)
		fail_msg("'%s': %s", in, err_msg(err));
	assert_string_equal(norm, out);
}

static void expect_bad_name(const char *in)
{
	char norm[REF_NAME_MAX + 1];
	berr_t err = NULL;

	if (ref_normalize(in, norm, &err) == 0)
		fail_msg("'%s' was accepted as '%s'", in, norm);
	assert_non_null(strstr(err_msg(err), "image name"));
	err_free(&err);
}

static void test_ref_names(void **state)
{
	char longname[300];

	(void)state;
	expect_name("busybox", "busybox:latest");
	expect_name("busybox:1.36", "busybox:1.36");
	expect_name("docker.io/library/busybox:1", "busybox:1");
	expect_name("registry:5000/team/app", "registry:5000/team/app:latest");
	expect_name("app:V1.0-RC", "app:V1.0-RC");
	expect_name("app@" ABC_SHA256, "app@" ABC_SHA256);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	expect_bad_name(longname);
	longname[250] = '\0'; /* fits, but not with ":latest" */
	expect_bad_name(longname);
	expect_bad_name("");
	expect_bad_name("Busybox");
	expect_bad_name("../etc/passwd");
	expect_bad_name("a/../b");
	expect_bad_name("/abs");
	expect_bad_name("a//b");
	expect_bad_name("a/");
	expect_bad_name("a b");
	expect_bad_name("a\nb");
	expect_bad_name("x:");
	expect_bad_name("x:a:b");
	expect_bad_name("app@sha256:1234");
	expect_bad_name("-rf");
}

static void test_refs(void **state)
{
	struct fixture *f = *state;
	char digest[DIGEST_MAX], got[DIGEST_MAX], path[256];
	berr_t err = NULL;
	json_t *list = NULL;

	assert_int_equal(store_blob_put_mem(&f->s, "abc", 3, digest, &err), 0);
	assert_int_equal(store_ref_set(&f->s, "busybox", digest, &err), 0);
	assert_int_equal(store_ref_set(&f->s, "reg:5000/a/b:v1", digest, &err), 0);
	snprintf(path, sizeof(path), "%s/refs/reg=5000+a+b=v1", f->dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(store_ref_get(&f->s, "busybox:latest", got, &err), 0);
	assert_string_equal(got, digest);
	assert_int_equal(store_refs_list(&f->s, &list, &err), 0);
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "name")),
			    "reg:5000/a/b:v1");
	json_decref(list);
	/* A ref to a blob that is not there, or to no digest, is refused. */
	assert_int_equal(store_ref_set(&f->s, "x", "sha256:0000000000000000000000000000000000000000000000000000000000000000", &err), -1);
	err_free(&err);
	assert_int_equal(store_ref_set(&f->s, "../../x", digest, &err), -1);
	err_free(&err);
	assert_int_equal(store_ref_delete(&f->s, "busybox", &err), 0);
	assert_int_equal(store_ref_get(&f->s, "busybox", got, &err), -1);
	assert_string_equal(err_msg(err), "no image named 'busybox:latest'");
	err_free(&err);
}

#define CONFIG(cfg) \
	"{\"architecture\":\"amd64\",\"os\":\"linux\"," \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":" cfg "}"

static void test_config_valid(void **state)
{
	const char *text = CONFIG(
		"{\"Env\":[\"PATH=/bin\",\"A=b\"],\"Entrypoint\":[\"/init\"],"
		"\"Cmd\":[],\"WorkingDir\":\"/srv\",\"User\":\"\",\"StopSignal\":\"SIGQUIT\","
		"\"Labels\":{\"a\":\"b\"},\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}}}");
	struct image_config c;
	berr_t err = NULL;
	json_t *doc = NULL;

	(void)state;
	assert_int_equal(image_config_parse(text, strlen(text), "cfg", &c, &doc, &err), 0);
	assert_int_equal(strv_len(c.env), 2);
	assert_string_equal(c.entrypoint[0], "/init");
	assert_non_null(c.cmd); /* [] is set, not unset */
	assert_null(c.cmd[0]);
	assert_string_equal(c.working_dir, "/srv");
	assert_null(c.user); /* "" is unset */
	assert_string_equal(c.stop_signal, "SIGQUIT");
	assert_string_equal(json_string_value(json_object_get(c.labels, "a")), "b");
	assert_int_equal(json_object_size(c.exposed_ports), 2);
	assert_string_equal(json_string_value(json_object_get(doc, "os")), "linux");
	image_config_clear(&c);
	json_decref(doc);

	text = CONFIG("null");
	assert_int_equal(image_config_parse(text, strlen(text), "cfg", &c, NULL, &err), 0);
	assert_non_null(c.env);
	assert_null(c.env[0]);
	assert_null(c.cmd);
	assert_null(c.entrypoint);
	assert_int_equal(json_object_size(c.labels), 0);
	image_config_clear(&c);
}

static void expect_config_error(const char *text, const char *msg)
{
	struct image_config c;
	berr_t err = NULL;
	json_t *doc = NULL;

	if (image_config_parse(text, strlen(text), "sha256:abc", &c, &doc, &err) == 0)
		fail_msg("accepted: %s", text);
	if (!strstr(err_msg(err), msg))
		fail_msg("expected '%s' in '%s'", msg, err_msg(err));
	assert_null(doc);
	err_free(&err);
}

static void test_config_wrong_types(void **state)
{
	(void)state;
	expect_config_error(CONFIG("{\"Env\":[\"A=1\",\"B=2\",3]}"),
			    "sha256:abc: config.Env[2]: expected a string, got an integer");
	expect_config_error(CONFIG("{\"Env\":\"A=1\"}"), "config.Env: expected an array");
	expect_config_error(CONFIG("{\"Cmd\":\"sh\"}"), "config.Cmd: expected an array");
	expect_config_error(CONFIG("{\"Entrypoint\":[null]}"), "config.Entrypoint[0]: expected a string");
	expect_config_error(CONFIG("{\"WorkingDir\":1}"), "config.WorkingDir: expected a string");
	expect_config_error(CONFIG("{\"User\":{}}"), "config.User: expected a string");
	expect_config_error(CONFIG("{\"StopSignal\":9}"), "config.StopSignal: expected a string");
	expect_config_error(CONFIG("{\"Labels\":[]}"), "config.Labels: expected an object");
	expect_config_error(CONFIG("{\"Labels\":{\"a\":1}}"), "config.Labels.a: expected a string");
	expect_config_error(CONFIG("{\"ExposedPorts\":{\"http\":{}}}"), "config.ExposedPorts: 'http'");
	expect_config_error(CONFIG("{\"ExposedPorts\":{\"99999/tcp\":{}}}"), "config.ExposedPorts");
	expect_config_error(CONFIG("{\"ExposedPorts\":{\"80/tcp\":1}}"), "config.ExposedPorts.80/tcp: expected an object");
	expect_config_error(CONFIG("[]"), "config: expected an object");
	expect_config_error("[]", "expected an object");
	expect_config_error("{\"config\":{}}", "rootfs: required field missing");
	expect_config_error("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"x\"]}}",
			    "rootfs.diff_ids[0]: expected a sha256 digest");
	expect_config_error("{\"os\":1,\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
			    "os: expected a string");
	expect_config_error("{", "config is not valid JSON");
}

static void expect_manifest_error(const char *text, const char *msg)
{
	struct manifest m;
	berr_t err = NULL;

	if (manifest_parse(text, strlen(text), "m", &m, &err) == 0)
		fail_msg("accepted: %s", text);
	if (!strstr(err_msg(err), msg))
		fail_msg("expected '%s' in '%s'", msg, err_msg(err));
	err_free(&err);
}

static void test_manifest(void **state)
{
	const char *ok = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
			 "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" ABC_SHA256 "\",\"size\":3},"
			 "\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER_GZIP "\",\"digest\":\"" ABC_SHA256 "\",\"size\":3}]}";
	struct manifest m;
	berr_t err = NULL;

	(void)state;
	assert_int_equal(manifest_parse(ok, strlen(ok), "m", &m, &err), 0);
	assert_string_equal(m.config, ABC_SHA256);
	assert_int_equal(m.n_layers, 1);
	assert_string_equal(m.layers[0], ABC_SHA256);
	manifest_clear(&m);
	expect_manifest_error("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[]}",
			      "m: manifest lists are not supported yet");
	expect_manifest_error("{\"schemaVersion\":2,\"manifests\":[]}", "manifest lists are not supported yet");
	expect_manifest_error("{\"schemaVersion\":1}", "schemaVersion");
	expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
			      "\",\"digest\":\"sha256:x\",\"size\":1},\"layers\":[]}",
			      "m: config.digest: 'sha256:x' is not a sha256 digest");
	expect_manifest_error("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" MT_OCI_CONFIG
			      "\",\"digest\":\"" ABC_SHA256 "\",\"size\":1},\"layers\":[{\"mediaType\":\"text/plain\","
			      "\"digest\":\"" ABC_SHA256 "\",\"size\":1}]}",
			      "layers[0].mediaType: unsupported media type 'text/plain'");
	expect_manifest_error("not json", "manifest is not valid JSON");
}

/* A writable layer as overlayfs leaves it: a file, a hard link to it, a
 * symlink, a whiteout and an opaque directory. */
static void make_upper(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/up", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/up/etc", dir);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof(path), "%s/up/etc/conf", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("hello\n", fp);
	fclose(fp);
	char hard[256];
	snprintf(hard, sizeof(hard), "%s/up/etc/hard", dir);
	assert_int_equal(link(path, hard), 0);
	snprintf(path, sizeof(path), "%s/up/sym", dir);
	assert_int_equal(symlink("etc/conf", path), 0);
	snprintf(path, sizeof(path), "%s/up/gone", dir);
	assert_int_equal(mknod(path, S_IFCHR | 0600, makedev(0, 0)), 0);
	snprintf(path, sizeof(path), "%s/up/opaque", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(setxattr(path, "trusted.overlay.opaque", "y", 1, 0), 0);
	assert_int_equal(setxattr(path, "user.kept", "1", 1, 0), 0);
}

static void test_layer_pack_round_trip(void **state)
{
	struct fixture *f = *state;
	char blob[DIGEST_MAX], again[DIGEST_MAX], diff_id[DIGEST_MAX], path[512];
	char *layer = NULL, v;
	berr_t err = NULL;
	struct stat a, b;
	int dfd;

	make_upper(f->dir);
	snprintf(path, sizeof(path), "%s/up", f->dir);
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	assert_int_equal(layer_pack(&f->s, dfd, blob, NULL, &err), 0);
	assert_int_equal(layer_pack(&f->s, dfd, again, NULL, &err), 0);
	close(dfd);
	assert_string_equal(blob, again); /* the same tree, the same bytes */
	assert_int_equal(store_layer_get(&f->s, blob, diff_id, &layer, &err), 0);
	assert_string_equal(diff_id, blob); /* uncompressed: digest is diff id */
	snprintf(path, sizeof(path), "%s/gone", layer);
	assert_int_equal(lstat(path, &a), 0);
	assert_true(S_ISCHR(a.st_mode) && a.st_rdev == makedev(0, 0));
	snprintf(path, sizeof(path), "%s/opaque", layer);
	assert_int_equal(getxattr(path, "trusted.overlay.opaque", &v, 1), 1);
	assert_int_equal(getxattr(path, "user.kept", &v, 1), 1);
	snprintf(path, sizeof(path), "%s/etc/conf", layer);
	assert_int_equal(lstat(path, &a), 0);
	assert_int_equal(a.st_size, 6);
	snprintf(path, sizeof(path), "%s/etc/hard", layer);
	assert_int_equal(lstat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	snprintf(path, sizeof(path), "%s/etc", layer);
	assert_int_equal(lstat(path, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0750);
	snprintf(path, sizeof(path), "%s/sym", layer);
	assert_int_equal(lstat(path, &a), 0);
	assert_true(S_ISLNK(a.st_mode));
	free(layer);
}

/* FIPS 180-4's examples, and agreement with OpenSSL's streaming digest on
 * every length around the padding boundaries (55/56 and 63/64 bytes in
 * the last block) and a long input. */
static void test_sha256_small(void **state)
{
	static const struct { const char *in, *want; } vectors[] = {
		{ "", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", ABC_SHA256 },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char got[DIGEST_MAX], want[DIGEST_MAX];
	size_t big = 1000000;
	char *buf = malloc(big);
	berr_t err = NULL;
	struct sha256 h;

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		assert_int_equal(sha256_mem(vectors[i].in, strlen(vectors[i].in), got, &err), 0);
		assert_string_equal(got, vectors[i].want);
	}
	for (size_t i = 0; i < big; i++)
		buf[i] = (char)(i * 131 + (i >> 7));
	for (size_t len = 0; len <= 300 || len == big; len = len == 300 ? big : len + 1) {
		assert_int_equal(sha256_init(&h, &err), 0);
		assert_int_equal(sha256_update(&h, buf, len, &err), 0);
		assert_int_equal(sha256_final(&h, want, &err), 0);
		assert_int_equal(sha256_mem(buf, len, got, &err), 0);
		assert_string_equal(got, want);
		if (len == big)
			break;
	}
	memset(buf, 'a', big);
	assert_int_equal(sha256_mem(buf, big, got, &err), 0);
	assert_string_equal(got, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_valid),
		cmocka_unit_test(test_sha256_small),
		cmocka_unit_test_setup_teardown(test_blob_put_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_mismatch_stores_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blob_read_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_puts, setup, teardown),
		cmocka_unit_test(test_ref_names),
		cmocka_unit_test_setup_teardown(test_refs, setup, teardown),
		cmocka_unit_test(test_config_valid),
		cmocka_unit_test(test_config_wrong_types),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test_setup_teardown(test_layer_pack_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
