/* Named volumes: the name rule, -v parsing, and the store (create by
 * rename, records, listing, users, removal) in a temporary root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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
#include "volume/volume.h"
#include "volume/volume_mount.h"

/* The error of a failing call, or "" on success. */
static char msg[512];

static const char *name_error(const char *name)
{
	berr_t err = NULL;

	msg[0] = '\0';
	if (volume_check_name(name, &err) < 0)
		snprintf(msg, sizeof(msg), "%s", err_msg(err));
	err_free(&err);
	return msg;
}

static void test_names(void **state)
{
	char longest[VOLUME_NAME_MAX + 2];

	(void)state;
	assert_string_equal(name_error("data"), "");
	assert_string_equal(name_error("a.b_c-1"), "");
	assert_string_equal(name_error("0"), "");
	assert_non_null(strstr(name_error(""), "empty"));
	assert_non_null(strstr(name_error(".."), "must match"));
	assert_non_null(strstr(name_error("."), "must match"));
	assert_non_null(strstr(name_error("-x"), "must match"));
	assert_non_null(strstr(name_error("_x"), "must match"));
	assert_non_null(strstr(name_error("a/b"), "must match"));
	assert_non_null(strstr(name_error("a b"), "must match"));
	assert_non_null(strstr(name_error("a:b"), "must match"));
	memset(longest, 'a', VOLUME_NAME_MAX);
	longest[VOLUME_NAME_MAX] = '\0';
	assert_string_equal(name_error(longest), "");
	longest[VOLUME_NAME_MAX] = 'a';
	longest[VOLUME_NAME_MAX + 1] = '\0';
	assert_non_null(strstr(name_error(longest), "longer than"));
}

/* "named|source|dest|ro" or "ERR: message". */
static const char *parse(const char *spec)
{
	struct volume_spec v = { 0 };
	berr_t err = NULL;

	if (volume_spec_parse(spec, &v, &err) < 0) {
		snprintf(msg, sizeof(msg), "ERR: %s", err_msg(err));
		err_free(&err);
		return msg;
	}
	snprintf(msg, sizeof(msg), "%s|%s|%s|%s", v.named ? "named" : "bind", v.source, v.dest,
		 v.ro ? "ro" : "rw");
	volume_spec_clear(&v);
	return msg;
}

static void test_spec_parse(void **state)
{
	(void)state;
	assert_string_equal(parse("data:/data"), "named|data|/data|rw");
	assert_string_equal(parse("data:/data:ro"), "named|data|/data|ro");
	assert_string_equal(parse("/srv/x:/x:rw"), "bind|/srv/x|/x|rw");
	assert_string_equal(parse("data:relative"),
			    "ERR: -v 'data:relative': the destination must be an absolute path other than /");
	assert_string_equal(parse("data:/"),
			    "ERR: -v 'data:/': the destination must be an absolute path other than /");
	assert_string_equal(parse("data"), "ERR: -v 'data': expected SOURCE:DESTINATION[:ro|rw]");
	assert_string_equal(parse(":/x"), "ERR: -v ':/x': expected SOURCE:DESTINATION[:ro|rw]");
	assert_string_equal(parse("data:/x:rx"), "ERR: -v 'data:/x:rx': mode 'rx' is not ro or rw");
	assert_string_equal(parse("data:/x:ro:z"), "ERR: -v 'data:/x:ro:z': mode 'ro:z' is not ro or rw");
	assert_non_null(strstr(parse("../etc:/x"), "neither an absolute host path nor a volume name"));
	assert_non_null(strstr(parse("a b:/x"), "neither an absolute host path nor a volume name"));
}

static char root[] = "/tmp/berth-test-volume-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	berr_t err = NULL;
	int r = fs_remove_tree_at(AT_FDCWD, root, &err);

	(void)state;
	err_free(&err);
	return r;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_store(void **state)
{
	cleanup_free char *name = NULL, *again = NULL, *data = NULL, *random_name = NULL;
	cleanup_strv char **names = NULL, **users = NULL;
	char path[4096];
	berr_t err = NULL;
	json_t *labels = json_pack("{s:s}", "k", "v"), *rec = NULL;
	bool created;

	(void)state;
	assert_int_equal(volume_create(root, "data", labels, &name, &created, &err), 0);
	assert_true(created);
	assert_int_equal(volume_create(root, "data", NULL, &again, &created, &err), 0);
	assert_false(created); /* kept as it was */
	assert_int_equal(volume_create(root, NULL, NULL, &random_name, &created, &err), 0);
	assert_int_equal(strlen(random_name), 64);
	json_decref(labels);

	assert_int_equal(volume_load(root, "data", &rec, &err), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "Driver")), "local");
	assert_string_equal(json_string_value(json_object_get(json_object_get(rec, "Labels"), "k")), "v");
	assert_int_equal(volume_data_path(root, "data", &data, &err), 0);
	assert_string_equal(json_string_value(json_object_get(rec, "Mountpoint")), data);
	json_decref(rec);

	/* Not a volume: debris, a bad name, a file. */
	snprintf(path, sizeof(path), "%s/volumes/.tmp-0123", root);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(volume_list(root, &names, &err), 0);
	assert_int_equal(strv_len(names), 2);
	/* sorted, but the random name may sort either side of "data" */
	assert_true(strv_contains(names, "data") && strv_contains(names, random_name));

	/* A container whose config mounts the data uses the volume. */
	snprintf(path, sizeof(path), "%s/containers/abcdef0123456789", root);
	assert_int_equal(fs_mkdir_p(path, 0700, &err), 0);
	snprintf(path, sizeof(path), "%s/containers/abcdef0123456789/config.json", root);
	{
		char cfg[4200];

		snprintf(cfg, sizeof(cfg), "{\"mounts\":[{\"source\":\"%s\"}]}", data);
		put(path, cfg);
	}
	assert_int_equal(volume_users(root, "data", &users, &err), 0);
	assert_int_equal(strv_len(users), 1);
	assert_int_equal(volume_remove(root, "data", &err), -1);
	assert_string_equal(err_msg(err), "volume 'data' is in use by container abcdef012345");
	err_free(&err);
	assert_int_equal(access(data, F_OK), 0);

	unlink(path);
	assert_int_equal(volume_remove(root, "data", &err), 0);
	assert_int_equal(access(data, F_OK), -1);
	assert_int_equal(volume_remove(root, "data", &err), -1);
	assert_int_equal(err->errnum, ENOENT);
	assert_string_equal(err_msg(err), "no such volume: data");
	err_free(&err);
	assert_int_equal(volume_remove(root, "..", &err), -1);
	assert_non_null(strstr(err_msg(err), "must match"));
	err_free(&err);
}

/* A record that names another volume is refused, not trusted. */
static void test_forged_record(void **state)
{
	cleanup_free char *name = NULL;
	char path[4096];
	berr_t err = NULL;
	json_t *rec = NULL;
	bool created;

	(void)state;
	assert_int_equal(volume_create(root, "forged", NULL, &name, &created, &err), 0);
	snprintf(path, sizeof(path), "%s/volumes/forged/volume.json", root);
	put(path, "{\"Name\":\"other\",\"Mountpoint\":\"/etc\"}");
	assert_int_equal(volume_load(root, "forged", &rec, &err), -1);
	assert_non_null(strstr(err_msg(err), "not a record of volume 'forged'"));
	err_free(&err);
	put(path, "[1]");
	assert_int_equal(volume_load(root, "forged", &rec, &err), -1);
	err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_forged_record),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
