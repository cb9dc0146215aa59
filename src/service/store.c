#include "service/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

struct svc_store {
	sqlite3 *db;
	char *path;
};

/* Schema version N is reached by applying migrations[0..N-1] in order,
 * each in the transaction that records the new version: a database is
 * always at one version, never between two. */
static const char *const migrations[SVC_STORE_SCHEMA_VERSION] = {
	/* 1: services, revisions, events */
	"CREATE TABLE services ("
	"  name TEXT PRIMARY KEY,"
	"  current INTEGER,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE revisions ("
	"  service TEXT NOT NULL REFERENCES services(name) ON DELETE CASCADE,"
	"  number INTEGER NOT NULL,"
	"  definition TEXT NOT NULL,"
	"  digests TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'failed', 'rolled-back')),"
	"  PRIMARY KEY (service, number));"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  service TEXT,"
	"  kind TEXT NOT NULL,"
	"  message TEXT NOT NULL);",
	/* 2: supervision of a service can be paused */
	"ALTER TABLE services ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;",
	/* 3: berth scale sets the replica count apart from the definition, so
	 * that scaling is no new revision (nothing is replaced) */
	"ALTER TABLE services ADD COLUMN scale INTEGER;",
};

static const char *const status_names[] = { "pending", "active", "failed", "rolled-back" };

const char *rev_status_name(enum rev_status s)
{
	return (unsigned)s < 4 ? status_names[s] : "unknown";
}

static enum rev_status status_parse(const char *s)
{
	for (unsigned i = 0; s && i < 4; i++)
		if (!strcmp(s, status_names[i]))
			return (enum rev_status)i;
	return REV_FAILED; /* the CHECK constraint keeps anything else out */
}

static void finalize_fn(sqlite3_stmt **s)
{
	sqlite3_finalize(*s);
}
#define cleanup_stmt __attribute__((cleanup(finalize_fn)))

static int db_err(struct svc_store *st, const char *what, berr_t *err)
{
	int code = sqlite3_errcode(st->db);

	return err_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? EBUSY : EIO, "%s: %s: %s",
		       st->path, what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct svc_store *st, const char *sql, berr_t *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	err_set(err, EIO, "%s: %s", st->path, msg ? msg : sqlite3_errmsg(st->db));
	sqlite3_free(msg);
	return -1;
}

/* Prepare sql and bind its parameters as types says: 't' a string (NULL
 * binds null), 'i' an int64_t. */
static int prep(struct svc_store *st, sqlite3_stmt **s, berr_t *err, const char *sql,
		const char *types, ...)
{
	va_list ap;
	int rc = SQLITE_OK;

	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return db_err(st, "prepare", err);
	va_start(ap, types);
	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		if (types[i] == 't')
			rc = sqlite3_bind_text(*s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(*s, i + 1, va_arg(ap, int64_t));
	}
	va_end(ap);
	return rc == SQLITE_OK ? 0 : db_err(st, "bind", err);
}

/* 1: a row, 0: done, -1: an error. */
static int step(struct svc_store *st, sqlite3_stmt *s, berr_t *err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : db_err(st, "step", err);
}

/* A statement that returns at most one integer (0 when no row). */
static int query_int(struct svc_store *st, sqlite3_stmt *s, int64_t *out, berr_t *err)
{
	int r = step(st, s, err);

	if (r < 0)
		return -1;
	*out = r ? sqlite3_column_int64(s, 0) : 0;
	return r;
}

/* Writers take the write lock at BEGIN (IMMEDIATE), so two of them queue
 * on the busy timeout rather than fail when one upgrades a read lock. */
static int tx_begin(struct svc_store *st, berr_t *err)
{
	return exec_sql(st, "BEGIN IMMEDIATE", err);
}

static int tx_end(struct svc_store *st, int r, berr_t *err)
{
	if (r == 0 && exec_sql(st, "COMMIT", err) == 0)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int insert_event(struct svc_store *st, const char *service, const char *kind,
			const char *message, int64_t *id, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;

	if (prep(st, &s, err, "INSERT INTO events (time, service, kind, message) VALUES (?, ?, ?, ?)",
		 "ittt", (int64_t)time(NULL), service, kind, message) < 0 ||
	    step(st, s, err) < 0)
		return -1;
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int migrate_from(struct svc_store *st, int64_t version, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;

	if (version > SVC_STORE_SCHEMA_VERSION)
		return err_set(err, EPROTO, "%s: schema version %lld is newer than this berth's (%d)",
			       st->path, (long long)version, SVC_STORE_SCHEMA_VERSION);
	for (int64_t v = version; v < SVC_STORE_SCHEMA_VERSION; v++)
		if (exec_sql(st, migrations[v], err) < 0)
			return err_prefix(err, "migration to schema version %lld", (long long)v + 1);
	return prep(st, &s, err, "UPDATE schema_version SET version = ?", "i",
		    (int64_t)SVC_STORE_SCHEMA_VERSION) < 0 ? -1 : step(st, s, err);
}

static int migrate_tx(struct svc_store *st, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	int64_t version;
	int r;

	if (exec_sql(st, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", err) < 0 ||
	    prep(st, &s, err, "SELECT version FROM schema_version", "") < 0 ||
	    (r = query_int(st, s, &version, err)) < 0)
		return -1;
	if (!r && exec_sql(st, "INSERT INTO schema_version VALUES (0)", err) < 0)
		return -1;
	return migrate_from(st, version, err);
}

static int pragmas(struct svc_store *st, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;

	sqlite3_busy_timeout(st->db, SVC_STORE_BUSY_MS);
	/* Switching to WAL can answer "busy" at once, busy handler or not,
	 * while another process opening the new database switches it. */
	for (int tries = 0;; tries++) {
		if (prep(st, &s, err, "PRAGMA journal_mode = WAL", "") == 0 && step(st, s, err) >= 0)
			break;
		int code = sqlite3_errcode(st->db);

		if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || tries >= 500)
			return -1;
		err_free(err);
		sqlite3_finalize(s);
		s = NULL;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	if (strcmp((const char *)sqlite3_column_text(s, 0), "wal"))
		return err_set(err, EIO, "%s: cannot use WAL mode", st->path);
	/* FULL: a committed revision survives a power loss too. */
	return exec_sql(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", err);
}

/* The file is created 0600 before SQLite opens it (it would use 0644):
 * definitions hold environment values, secrets among them. */
static int create_file(const char *path, berr_t *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_sys(err, "%s", path);
	close(fd);
	return 0;
}

int svc_store_open(const char *root, struct svc_store **out, berr_t *err)
{
	struct svc_store *st = calloc(1, sizeof(*st));

	if (!st)
		return err_sys(err, "%s", root);
	if (fs_mkdir_p(root, 0700, err) < 0) {
		free(st);
		return -1;
	}
	if (asprintf(&st->path, "%s/" SVC_STORE_FILE, root) < 0) {
		free(st);
		return err_sys(err, "%s", root);
	}
	if (create_file(st->path, err) < 0) {
		svc_store_close(st);
		return -1;
	}
	if (sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		err_set(err, EIO, "%s: %s", st->path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		svc_store_close(st);
		return -1;
	}
	if (pragmas(st, err) < 0 || tx_begin(st, err) < 0 || tx_end(st, migrate_tx(st, err), err) < 0) {
		svc_store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

void svc_store_close(struct svc_store *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

static int check_object(const char *what, const char *text, berr_t *err)
{
	json_t *j = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	bool ok = json_is_object(j);

	json_decref(j);
	return ok ? 0 : err_set(err, EINVAL, "%s is not a JSON object", what);
}

static int check_name(const char *service, berr_t *err)
{
	if (!service || !service[0] || strlen(service) > 255)
		return err_set(err, EINVAL, "'%s' is not a service name", service ? service : "");
	return 0;
}

/* The current revision of service; ENOENT when there is no such service. */
static int current_of(struct svc_store *st, const char *service, int64_t *current, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	int r;

	if (prep(st, &s, err, "SELECT current FROM services WHERE name = ?", "t", service) < 0 ||
	    (r = query_int(st, s, current, err)) < 0)
		return -1;
	return r ? 0 : err_set(err, ENOENT, "no service '%s'", service);
}

static int run(struct svc_store *st, berr_t *err, const char *sql, const char *service, int64_t n)
{
	cleanup_stmt sqlite3_stmt *s = NULL;

	return prep(st, &s, err, sql, "ti", service, n) < 0 ? -1 : step(st, s, err);
}

static int deploy_tx(struct svc_store *st, const char *service, const char *definition,
		     const char *digests, int64_t *number, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *ins = NULL, *next = NULL, *rev = NULL;
	char msg[64];
	int64_t now = time(NULL);

	if (prep(st, &ins, err, "INSERT INTO services (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING",
		 "ti", service, now) < 0 || step(st, ins, err) < 0 ||
	    prep(st, &next, err, "SELECT COALESCE(MAX(number), 0) + 1 FROM revisions WHERE service = ?",
		 "t", service) < 0 || query_int(st, next, number, err) < 0 ||
	    prep(st, &rev, err, "INSERT INTO revisions (service, number, definition, digests, created, status)"
		 " VALUES (?, ?, ?, ?, ?, 'pending')", "titti", service, *number, definition, digests, now) < 0 ||
	    step(st, rev, err) < 0 ||
	    run(st, err, "UPDATE services SET current = ?2 WHERE name = ?1", service, *number) < 0)
		return -1;
	snprintf(msg, sizeof(msg), "revision %lld", (long long)*number);
	return insert_event(st, service, "deploy", msg, NULL, err);
}

int svc_store_deploy(struct svc_store *st, const char *service, const char *definition,
		     const char *digests, int64_t *number, berr_t *err)
{
	if (check_name(service, err) < 0 || check_object("the definition", definition, err) < 0 ||
	    check_object("the image digests", digests, err) < 0 || tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, deploy_tx(st, service, definition, digests, number, err), err);
}

/* to, checked; or for 0 the newest active revision before current. */
static int rollback_target(struct svc_store *st, const char *service, int64_t current, int64_t *to,
			   berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	int64_t found;

	if (*to == 0 ? prep(st, &s, err, "SELECT MAX(number) FROM revisions WHERE service = ?1 AND number < ?2"
			    " AND status = 'active'", "ti", service, current)
		     : prep(st, &s, err, "SELECT number FROM revisions WHERE service = ?1 AND number = ?2",
			    "ti", service, *to))
		return -1;
	if (query_int(st, s, &found, err) < 0)
		return -1;
	if (!found && *to == 0)
		return err_set(err, ENOENT, "service '%s': no active revision before %lld to roll back to",
			       service, (long long)current);
	if (!found)
		return err_set(err, ENOENT, "service '%s' has no revision %lld", service, (long long)*to);
	if (found == current)
		return err_set(err, EINVAL, "service '%s': revision %lld is the current one", service,
			       (long long)current);
	*to = found;
	return 0;
}

static int rollback_tx(struct svc_store *st, const char *service, int64_t to, int64_t *number,
		       berr_t *err)
{
	char msg[96];
	int64_t current;

	if (current_of(st, service, &current, err) < 0 ||
	    rollback_target(st, service, current, &to, err) < 0 ||
	    run(st, err, "UPDATE revisions SET status = 'rolled-back' WHERE service = ?1 AND number = ?2",
		service, current) < 0 ||
	    run(st, err, "UPDATE revisions SET status = 'pending' WHERE service = ?1 AND number = ?2",
		service, to) < 0 ||
	    run(st, err, "UPDATE services SET current = ?2 WHERE name = ?1", service, to) < 0)
		return -1;
	*number = to;
	snprintf(msg, sizeof(msg), "revision %lld to %lld", (long long)current, (long long)to);
	return insert_event(st, service, "rollback", msg, NULL, err);
}

int svc_store_rollback(struct svc_store *st, const char *service, int64_t to, int64_t *number,
		       berr_t *err)
{
	if (to < 0)
		return err_set(err, EINVAL, "revision %lld: not a revision number", (long long)to);
	if (tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, rollback_tx(st, service, to, number, err), err);
}

static int status_tx(struct svc_store *st, const char *service, int64_t number,
		     enum rev_status status, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	char msg[96];

	if (prep(st, &s, err, "UPDATE revisions SET status = ?3 WHERE service = ?1 AND number = ?2", "tit",
		 service, number, rev_status_name(status)) < 0 || step(st, s, err) < 0)
		return -1;
	if (!sqlite3_changes(st->db))
		return err_set(err, ENOENT, "service '%s' has no revision %lld", service, (long long)number);
	snprintf(msg, sizeof(msg), "revision %lld: %s", (long long)number, rev_status_name(status));
	return insert_event(st, service, "status", msg, NULL, err);
}

int svc_store_set_status(struct svc_store *st, const char *service, int64_t number,
			 enum rev_status status, berr_t *err)
{
	if ((unsigned)status > REV_ROLLED_BACK)
		return err_set(err, EINVAL, "%d is not a revision status", (int)status);
	if (tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, status_tx(st, service, number, status, err), err);
}

static int paused_tx(struct svc_store *st, const char *service, bool paused, berr_t *err)
{
	if (run(st, err, "UPDATE services SET paused = ?2 WHERE name = ?1", service, paused) < 0)
		return -1;
	if (!sqlite3_changes(st->db))
		return err_set(err, ENOENT, "no service '%s'", service);
	return insert_event(st, service, paused ? "pause" : "resume", "supervision", NULL, err);
}

int svc_store_set_paused(struct svc_store *st, const char *service, bool paused, berr_t *err)
{
	if (tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, paused_tx(st, service, paused, err), err);
}

static int scale_tx(struct svc_store *st, const char *service, int64_t replicas, berr_t *err)
{
	char msg[64];

	if (run(st, err, "UPDATE services SET scale = ?2 WHERE name = ?1", service, replicas) < 0)
		return -1;
	if (!sqlite3_changes(st->db))
		return err_set(err, ENOENT, "no service '%s'", service);
	if (replicas < 0)
		snprintf(msg, sizeof(msg), "replicas as the definition says");
	else
		snprintf(msg, sizeof(msg), "scaled to %lld replicas", (long long)replicas);
	return insert_event(st, service, "scale", msg, NULL, err);
}

int svc_store_set_scale(struct svc_store *st, const char *service, int64_t replicas,
			berr_t *err)
{
	if (tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, scale_tx(st, service, replicas, err), err);
}

static int delete_tx(struct svc_store *st, const char *service, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;

	if (prep(st, &s, err, "DELETE FROM services WHERE name = ?", "t", service) < 0 ||
	    step(st, s, err) < 0)
		return -1;
	if (!sqlite3_changes(st->db))
		return err_set(err, ENOENT, "no service '%s'", service);
	return insert_event(st, service, "delete", "service removed", NULL, err);
}

int svc_store_delete(struct svc_store *st, const char *service, berr_t *err)
{
	if (tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, delete_tx(st, service, err), err);
}

static char *column_dup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t ? strdup((const char *)t) : NULL;
}

#define REVISION_COLUMNS "r.service, r.number, r.definition, r.digests, r.created, r.status"

static int row_revision(sqlite3_stmt *s, struct svc_revision *r)
{
	*r = (struct svc_revision){
		.service = column_dup(s, 0),
		.number = sqlite3_column_int64(s, 1),
		.definition = column_dup(s, 2),
		.digests = column_dup(s, 3),
		.created = sqlite3_column_int64(s, 4),
		.status = status_parse((const char *)sqlite3_column_text(s, 5)),
	};
	return r->service && r->definition && r->digests ? 0 : -1;
}

int svc_store_current(struct svc_store *st, const char *service, struct svc_revision *out,
		      berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	int r;

	if (prep(st, &s, err, "SELECT " REVISION_COLUMNS " FROM services s JOIN revisions r"
		 " ON r.service = s.name AND r.number = s.current WHERE s.name = ?", "t", service) < 0 ||
	    (r = step(st, s, err)) < 0)
		return -1;
	if (!r)
		return err_set(err, ENOENT, "no service '%s'", service);
	if (row_revision(s, out) < 0) {
		svc_revision_clear(out);
		return err_sys(err, "%s", st->path);
	}
	return 0;
}

/* Room for one more zeroed element of size at the end of *arr (of *n
 * elements); NULL when out of memory. */
static void *grow(void *arr_p, size_t *n, size_t size)
{
	void **arr = arr_p;
	char *g = realloc(*arr, (*n + 1) * size);

	if (!g)
		return NULL;
	*arr = g;
	memset(g + *n * size, 0, size);
	return g + (*n)++ * size;
}

int svc_store_history(struct svc_store *st, const char *service, struct svc_revision **out,
		      size_t *n, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	struct svc_revision *v = NULL, *r;
	size_t count = 0;
	int rc;

	if (prep(st, &s, err, "SELECT " REVISION_COLUMNS " FROM revisions r WHERE r.service = ?"
		 " ORDER BY r.number DESC", "t", service) < 0)
		return -1;
	while ((rc = step(st, s, err)) == 1)
		if (!(r = grow(&v, &count, sizeof(*v))) || row_revision(s, r) < 0) {
			rc = err_sys(err, "%s", st->path);
			break;
		}
	if (rc < 0) {
		svc_revisions_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int svc_store_services(struct svc_store *st, struct svc_info **out, size_t *n, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	struct svc_info *v = NULL, *i;
	size_t count = 0;
	int rc;

	if (prep(st, &s, err, "SELECT name, current, paused, scale FROM services ORDER BY name", "") < 0)
		return -1;
	while ((rc = step(st, s, err)) == 1) {
		if (!(i = grow(&v, &count, sizeof(*v))) || !(i->name = column_dup(s, 0))) {
			rc = err_sys(err, "%s", st->path);
			break;
		}
		i->current = sqlite3_column_int64(s, 1);
		i->paused = sqlite3_column_int(s, 2);
		i->scale = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 3);
	}
	if (rc < 0) {
		svc_infos_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

int svc_store_event(struct svc_store *st, const char *service, const char *kind,
		    const char *message, int64_t *id, berr_t *err)
{
	if (!kind || !kind[0] || !message)
		return err_set(err, EINVAL, "an event needs a kind and a message");
	if (tx_begin(st, err) < 0)
		return -1;
	return tx_end(st, insert_event(st, service, kind, message, id, err), err);
}

static int row_event(sqlite3_stmt *s, struct svc_event *e)
{
	e->id = sqlite3_column_int64(s, 0);
	e->time = sqlite3_column_int64(s, 1);
	e->service = column_dup(s, 2);
	e->kind = column_dup(s, 3);
	e->message = column_dup(s, 4);
	return e->kind && e->message && (e->service || sqlite3_column_type(s, 2) == SQLITE_NULL) ? 0 : -1;
}

int svc_store_events_since(struct svc_store *st, int64_t after, size_t limit,
			   struct svc_event **out, size_t *n, berr_t *err)
{
	cleanup_stmt sqlite3_stmt *s = NULL;
	struct svc_event *v = NULL, *e;
	size_t count = 0;
	int rc;

	if (prep(st, &s, err, "SELECT id, time, service, kind, message FROM events WHERE id > ?"
		 " ORDER BY id LIMIT ?", "ii", after, (int64_t)(limit > INT64_MAX ? INT64_MAX : limit)) < 0)
		return -1;
	while ((rc = step(st, s, err)) == 1)
		if (!(e = grow(&v, &count, sizeof(*v))) || row_event(s, e) < 0) {
			rc = err_sys(err, "%s", st->path);
			break;
		}
	if (rc < 0) {
		svc_events_free(v, count);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

void svc_revision_clear(struct svc_revision *r)
{
	free(r->service);
	free(r->definition);
	free(r->digests);
	*r = (struct svc_revision){ 0 };
}

void svc_revisions_free(struct svc_revision *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		svc_revision_clear(&r[i]);
	free(r);
}

void svc_infos_free(struct svc_info *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}

void svc_events_free(struct svc_event *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].service);
		free(e[i].kind);
		free(e[i].message);
	}
	free(e);
}
