/* berthd's desired-state store: revisions, rollback, events, schema
 * migrations, two writers at once, and SIGKILL in the middle of writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.h"
#include "service/store.h"

#define DEF "{\"image\":\"x\"}"
#define DIG "{\"x\":\"sha256:00\"}"

static char root[64];
static char db_path[96];

static int setup_one(void **state)
{
	(void)state;
	strcpy(root, "/tmp/berth-store-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(db_path, sizeof(db_path), "%s/" SVC_STORE_FILE, root);
	return 0;
}

static int teardown_one(void **state)
{
	berr_t err = NULL;

	(void)state;
	return fs_remove_tree_at(AT_FDCWD, root, &err);
}

static struct svc_store *open_store(void)
{
	struct svc_store *st = NULL;
	berr_t err = NULL;

	if (svc_store_open(root, &st, &err) < 0)
		fail_msg("open: %s", err_msg(err));
	return st;
}

static int64_t deploy(struct svc_store *st, const char *svc)
{
	int64_t n = 0;
	berr_t err = NULL;

	if (svc_store_deploy(st, svc, DEF, DIG, &n, &err) < 0)
		fail_msg("deploy: %s", err_msg(err));
	return n;
}

static void expect_err(int r, berr_t *err, const char *msg)
{
	assert_int_equal(r, -1);
	if (!strstr(err_msg(*err), msg))
		fail_msg("error '%s' lacks '%s'", err_msg(*err), msg);
	err_free(err);
}

/* A number from a query on the database, read without the store. */
static int64_t sql_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void sql_exec(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_open(void **state)
{
	struct svc_store *st = open_store();
	struct stat sb;

	(void)state;
	deploy(st, "web");
	assert_int_equal(stat(db_path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sql_int("SELECT version FROM schema_version"), SVC_STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int("SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	svc_store_close(st);
	/* opening again migrates nothing and keeps the rows */
	st = open_store();
	assert_int_equal(sql_int("SELECT COUNT(*) FROM revisions"), 1);
	svc_store_close(st);
}

static void test_revisions(void **state)
{
	struct svc_store *st = open_store();
	struct svc_revision cur, *h;
	size_t n;
	berr_t err = NULL;

	(void)state;
	assert_int_equal(deploy(st, "web"), 1);
	assert_int_equal(deploy(st, "web"), 2);
	assert_int_equal(deploy(st, "db"), 1);
	assert_int_equal(svc_store_current(st, "web", &cur, &err), 0);
	assert_int_equal(cur.number, 2);
	assert_int_equal(cur.status, REV_PENDING);
	assert_string_equal(cur.definition, DEF);
	assert_string_equal(cur.digests, DIG);
	assert_true(cur.created > 0);
	svc_revision_clear(&cur);
	assert_int_equal(svc_store_set_status(st, "web", 2, REV_ACTIVE, &err), 0);
	assert_int_equal(svc_store_history(st, "web", &h, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].number, 2);
	assert_int_equal(h[0].status, REV_ACTIVE);
	assert_int_equal(h[1].number, 1);
	svc_revisions_free(h, n);
	expect_err(svc_store_current(st, "nope", &cur, &err), &err, "no service 'nope'");
	expect_err(svc_store_set_status(st, "web", 9, REV_ACTIVE, &err), &err, "no revision 9");
	svc_store_close(st);
}

static void test_bad_input_changes_nothing(void **state)
{
	struct svc_store *st = open_store();
	int64_t n;
	berr_t err = NULL;

	(void)state;
	deploy(st, "web");
	expect_err(svc_store_deploy(st, "web", "{not json", DIG, &n, &err), &err, "definition is not a JSON object");
	expect_err(svc_store_deploy(st, "web", "[1]", DIG, &n, &err), &err, "definition is not a JSON object");
	expect_err(svc_store_deploy(st, "web", DEF, NULL, &n, &err), &err, "digests is not a JSON object");
	expect_err(svc_store_deploy(st, "", DEF, DIG, &n, &err), &err, "not a service name");
	expect_err(svc_store_set_status(st, "web", 1, (enum rev_status)7, &err), &err, "not a revision status");
	assert_int_equal(sql_int("SELECT COUNT(*) FROM revisions"), 1);
	assert_int_equal(sql_int("SELECT COUNT(*) FROM events"), 1);
	svc_store_close(st);
}

static void test_rollback(void **state)
{
	struct svc_store *st = open_store();
	struct svc_revision cur;
	int64_t n;
	berr_t err = NULL;

	(void)state;
	deploy(st, "web");
	expect_err(svc_store_rollback(st, "web", 0, &n, &err), &err, "no active revision before 1");
	assert_int_equal(svc_store_set_status(st, "web", 1, REV_ACTIVE, &err), 0);
	deploy(st, "web");
	assert_int_equal(svc_store_set_status(st, "web", 2, REV_FAILED, &err), 0);
	deploy(st, "web");
	/* the newest active one before 3 is 1: 2 failed */
	assert_int_equal(svc_store_rollback(st, "web", 0, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(svc_store_current(st, "web", &cur, &err), 0);
	assert_int_equal(cur.number, 1);
	assert_int_equal(cur.status, REV_PENDING);
	svc_revision_clear(&cur);
	assert_int_equal(sql_int("SELECT COUNT(*) FROM revisions WHERE number = 3 AND status = 'rolled-back'"), 1);
	/* by hand, to a given one */
	assert_int_equal(svc_store_rollback(st, "web", 2, &n, &err), 0);
	assert_int_equal(n, 2);
	expect_err(svc_store_rollback(st, "web", 2, &n, &err), &err, "revision 2 is the current one");
	expect_err(svc_store_rollback(st, "web", 7, &n, &err), &err, "has no revision 7");
	expect_err(svc_store_rollback(st, "nope", 0, &n, &err), &err, "no service 'nope'");
	expect_err(svc_store_rollback(st, "web", -1, &n, &err), &err, "not a revision number");
	assert_int_equal(sql_int("SELECT current FROM services WHERE name = 'web'"), 2);
	/* a new deploy after a rollback still numbers on */
	assert_int_equal(deploy(st, "web"), 4);
	svc_store_close(st);
}

static void test_pause_delete_list(void **state)
{
	struct svc_store *st = open_store();
	struct svc_info *v;
	size_t n;
	berr_t err = NULL;

	(void)state;
	deploy(st, "b");
	deploy(st, "a");
	deploy(st, "a");
	assert_int_equal(svc_store_set_paused(st, "b", true, &err), 0);
	assert_int_equal(svc_store_services(st, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "a");
	assert_int_equal(v[0].current, 2);
	assert_false(v[0].paused);
	assert_true(v[1].paused);
	assert_int_equal(v[0].scale, -1);
	svc_infos_free(v, n);
	expect_err(svc_store_set_paused(st, "c", true, &err), &err, "no service 'c'");
	/* scaling is no revision: the current one stays */
	assert_int_equal(svc_store_set_scale(st, "a", 5, &err), 0);
	assert_int_equal(svc_store_services(st, &v, &n, &err), 0);
	assert_int_equal(v[0].scale, 5);
	assert_int_equal(v[0].current, 2);
	svc_infos_free(v, n);
	expect_err(svc_store_set_scale(st, "c", 1, &err), &err, "no service 'c'");
	assert_int_equal(svc_store_delete(st, "a", &err), 0);
	assert_int_equal(sql_int("SELECT COUNT(*) FROM revisions WHERE service = 'a'"), 0);
	expect_err(svc_store_delete(st, "a", &err), &err, "no service 'a'");
	svc_store_close(st);
}

static void test_events(void **state)
{
	struct svc_store *st = open_store();
	struct svc_event *e;
	int64_t id, last;
	size_t n;
	berr_t err = NULL;

	(void)state;
	deploy(st, "web");
	assert_int_equal(svc_store_event(st, NULL, "daemon", "started", &id, &err), 0);
	assert_int_equal(svc_store_event(st, "web", "health", "replica 1 unhealthy", NULL, &err), 0);
	expect_err(svc_store_event(st, "web", "", "x", NULL, &err), &err, "needs a kind");
	assert_int_equal(svc_store_events_since(st, 0, 2, &e, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].kind, "deploy");
	assert_string_equal(e[0].message, "revision 1");
	assert_string_equal(e[0].service, "web");
	assert_null(e[1].service);
	assert_int_equal(e[1].id, id);
	last = e[1].id;
	svc_events_free(e, n);
	/* a stream resumes after the last id it saw */
	assert_int_equal(svc_store_events_since(st, last, 100, &e, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].message, "replica 1 unhealthy");
	svc_events_free(e, n);
	assert_int_equal(svc_store_events_since(st, last + 1, 100, &e, &n, &err), 0);
	assert_int_equal(n, 0);
	svc_events_free(e, n);
	svc_store_close(st);
}

static void test_migration_from_v1(void **state)
{
	struct svc_store *st;
	struct svc_info *v;
	size_t n;
	berr_t err = NULL;

	(void)state;
	/* A version 1 database as berth wrote it, with a row in it. */
	sql_exec("CREATE TABLE schema_version (version INTEGER NOT NULL);"
		 "INSERT INTO schema_version VALUES (1);"
		 "CREATE TABLE services (name TEXT PRIMARY KEY, current INTEGER, created INTEGER NOT NULL);"
		 "CREATE TABLE revisions (service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,"
		 " number INTEGER NOT NULL, definition TEXT NOT NULL, digests TEXT NOT NULL,"
		 " created INTEGER NOT NULL, status TEXT NOT NULL CHECK (status IN"
		 " ('pending', 'active', 'failed', 'rolled-back')), PRIMARY KEY (service, number));"
		 "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL,"
		 " service TEXT, kind TEXT NOT NULL, message TEXT NOT NULL);"
		 "INSERT INTO services VALUES ('old', 1, 1);"
		 "INSERT INTO revisions VALUES ('old', 1, '{}', '{}', 1, 'active');");
	st = open_store();
	assert_int_equal(sql_int("SELECT version FROM schema_version"), SVC_STORE_SCHEMA_VERSION);
	assert_int_equal(svc_store_services(st, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "old");
	assert_false(v[0].paused);
	assert_int_equal(v[0].scale, -1);
	svc_infos_free(v, n);
	assert_int_equal(deploy(st, "old"), 2);
	svc_store_close(st);
	/* a database from a newer berth is refused, and left as it is */
	sql_exec("UPDATE schema_version SET version = 99");
	expect_err(svc_store_open(root, &st, &err), &err, "schema version 99 is newer");
	assert_int_equal(sql_int("SELECT version FROM schema_version"), 99);
}

#define WRITERS 2
#define WRITES 100

static void writer(const char *svc)
{
	struct svc_store *st = NULL;
	berr_t err = NULL;
	int64_t n;

	if (svc_store_open(root, &st, &err) < 0) {
		fprintf(stderr, "writer: %s\n", err_msg(err));
		_exit(2);
	}
	for (int i = 0; i < WRITES; i++)
		if (svc_store_deploy(st, svc, DEF, DIG, &n, &err) < 0 ||
		    svc_store_event(st, svc, "note", "x", NULL, &err) < 0) {
			fprintf(stderr, "writer: %s\n", err_msg(err));
			_exit(1);
		}
	svc_store_close(st);
	_exit(0);
}

/* Two processes creating the database and writing the same service at
 * once: every write lands, revision numbers stay unique and without gaps. */
static void test_two_writers(void **state)
{
	pid_t pids[WRITERS];
	int status;

	(void)state;
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			writer("web");
	}
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(sql_int("SELECT COUNT(*) FROM revisions"), WRITERS * WRITES);
	assert_int_equal(sql_int("SELECT MAX(number) FROM revisions"), WRITERS * WRITES);
	assert_int_equal(sql_int("SELECT current FROM services"), WRITERS * WRITES);
	assert_int_equal(sql_int("SELECT COUNT(*) FROM events"), 2 * WRITERS * WRITES);
}

/* Deploys (with a large definition, so a transaction takes a while) until
 * killed. */
static void deploy_forever(void)
{
	struct svc_store *st = NULL;
	berr_t err = NULL;
	char *def = malloc(200000);
	int64_t n;

	if (!def || svc_store_open(root, &st, &err) < 0)
		_exit(2);
	memset(def, ' ', 200000);
	memcpy(def, "{\"pad\":1", 8);
	strcpy(def + 199990, "}");
	for (;;)
		if (svc_store_deploy(st, "web", def, DIG, &n, &err) < 0)
			_exit(1);
}

static void check_consistent(int64_t *last)
{
	int64_t n = sql_int("SELECT COUNT(*) FROM revisions");

	assert_int_equal(sql_int("SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
	/* each deploy is whole: revision, current pointer and event together */
	assert_int_equal(sql_int("SELECT COALESCE(MAX(number), 0) FROM revisions"), n);
	assert_int_equal(sql_int("SELECT COALESCE((SELECT current FROM services), 0)"), n);
	assert_int_equal(sql_int("SELECT COUNT(*) FROM events WHERE kind = 'deploy'"), n);
	assert_true(n >= *last);
	*last = n;
}

static void test_sigkill_mid_write(void **state)
{
	int64_t last = 0;
	struct timespec ts;
	int status;

	(void)state;
	svc_store_close(open_store());
	srand((unsigned)getpid());
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0)
			deploy_forever();
		ts = (struct timespec){ 0, (5 + rand() % 40) * 1000000L };
		nanosleep(&ts, NULL);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* it must have been killed, not have failed on its own */
		assert_true(WIFSIGNALED(status));
		check_consistent(&last);
	}
	assert_true(last > 0);
	/* and the store carries on from there */
	{
		struct svc_store *st = open_store();

		assert_int_equal(deploy(st, "web"), last + 1);
		svc_store_close(st);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_revisions, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_rollback, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_pause_delete_list, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_events, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_migration_from_v1, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_two_writers, setup_one, teardown_one),
		cmocka_unit_test_setup_teardown(test_sigkill_mid_write, setup_one, teardown_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
