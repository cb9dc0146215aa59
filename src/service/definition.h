/* Service definitions: the Compose-format file (berth.yaml, compose.yaml)
 * read into C structs, checked whole before anything uses it.
 *
 * Errors are one line naming the file, the line and the key path:
 *   compose.yaml:12: services.web.ports[1]: "80:abc" is not a port
 * Keys berth does not support are not dropped silently: each becomes a
 * warning of the same form in the project's warning list, which the
 * caller prints.  docs/berth-compose.md lists what is supported. */
#ifndef BERTH_SERVICE_DEFINITION_H
#define BERTH_SERVICE_DEFINITION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "monitor/backoff.h"
#include "network/ports.h"

/* Caps on what one file may hold (beyond the YAML caps of yaml_tree.h). */
#define SVC_MAX_SERVICES 1000
#define SVC_MAX_ENV_FILE_BYTES (1u << 20)
#define SVC_MAX_PORTS 1024
#define SVC_MAX_REPLICAS 1000

struct svc_kv {
	char *key;
	char *value;
};

/* Sorted by key, keys unique: the canonical form compares byte for byte. */
struct svc_kvs {
	struct svc_kv *v;
	size_t n;
};

struct svc_build {
	char *context;    /* absolute: relative ones are joined to the file's directory */
	char *dockerfile; /* NULL: the context's Dockerfile */
	struct svc_kvs args;
};

enum svc_volume_type { SVC_VOLUME_NAMED, SVC_VOLUME_ANONYMOUS, SVC_VOLUME_BIND };

struct svc_volume {
	enum svc_volume_type type;
	char *source; /* the volume's name or the host path (absolute); NULL when anonymous */
	char *target; /* absolute path in the container */
	bool read_only;
};

enum svc_check_kind {
	SVC_CHECK_NONE,  /* no healthcheck key: the image's, if any */
	SVC_CHECK_OFF,   /* test: ["NONE"] or disable: true */
	SVC_CHECK_EXEC,  /* test: ["CMD", argv...] */
	SVC_CHECK_SHELL, /* test: ["CMD-SHELL", "cmd"] or a string: argv = {cmd} */
	SVC_CHECK_HTTP,  /* x-berth-http: GET path on port, expecting status */
	SVC_CHECK_TCP,   /* x-berth-tcp: a connect to port */
};

struct svc_healthcheck {
	enum svc_check_kind kind;
	char **argv;       /* EXEC and SHELL */
	char *http_path;   /* HTTP: starts with '/' */
	uint16_t port;     /* HTTP and TCP: the container's port */
	int http_status;   /* HTTP: 0 means any 2xx or 3xx */
	int64_t interval_ns, timeout_ns, start_period_ns;
	int retries;
};

enum svc_update_order { SVC_ORDER_START_FIRST, SVC_ORDER_STOP_FIRST };
enum svc_failure_action { SVC_FAIL_ROLLBACK, SVC_FAIL_PAUSE };

struct svc_update {
	int parallelism;      /* replicas replaced at a time, >= 1 */
	int64_t delay_ns;     /* between batches */
	enum svc_update_order order;
	enum svc_failure_action failure_action;
	int64_t monitor_ns;   /* watched this long after the switch */
};

struct svc_limits {
	int64_t memory;       /* bytes; 0: none */
	int64_t nano_cpus;    /* 1e9 per CPU; 0: none */
	int64_t pids;         /* 0: none */
};

enum svc_dep_condition {
	SVC_DEP_STARTED,   /* service_started */
	SVC_DEP_HEALTHY,   /* service_healthy */
	SVC_DEP_COMPLETED, /* service_completed_successfully */
};

/* x-berth-proxy: how berth-proxy serves the published ports. */
struct svc_proxy {
	bool tcp;        /* mode: tcp (bytes both ways) instead of http */
	bool least_conn; /* balance: least_conn instead of round_robin */
};

struct svc_dep {
	char *service;
	enum svc_dep_condition condition;
};

struct service {
	char *name;
	unsigned line;           /* where its definition starts */
	char *image;             /* NULL when only build is given */
	struct svc_build *build; /* NULL: none */
	/* A string is split into words as a shell would, without running a
	 * shell (what docker compose does); a list is taken as it is.
	 * has_* tell "absent: the image's" from "an empty list". */
	char **command, **entrypoint;
	bool has_command, has_entrypoint;
	struct svc_kvs environment; /* env_file first, environment over it */
	struct svc_kvs labels;
	struct port_map *ports;
	size_t n_ports;
	struct svc_volume *volumes;
	size_t n_volumes;
	struct svc_healthcheck health;
	int replicas;
	struct svc_limits limits;
	struct svc_update update;
	struct svc_proxy proxy;
	struct restart_policy restart;
	int64_t stop_grace_ns;
	int stop_signal;
	struct svc_dep *deps; /* sorted by service name */
	size_t n_deps;
};

struct project {
	char *name;         /* top-level name:, NULL when absent */
	char *dir;          /* the file's directory (relative paths are read from it) */
	struct service *services; /* sorted by name; dependencies before no one in particular */
	size_t n_services;
	char **volumes;     /* top-level volume names */
	char **networks;    /* top-level network names */
	char **warnings;    /* "file:line: key: not supported by berth, ignored" */
};

/* Parse text as the file path (its directory is where env_file and
 * relative paths are read).  On error *p is left empty. */
int project_parse(const char *text, size_t len, const char *path, struct project *p,
		  berr_t *err);

/* Read and parse path (size-capped, a regular file). */
int project_load(const char *path, struct project *p, berr_t *err);

void project_free(struct project *p);

const struct service *project_service(const struct project *p, const char *name);

/* The canonical JSON form of a service: every field, defaults filled in,
 * maps sorted, so that the same definition always gives the same bytes
 * (service_json_dump), which berthd stores and hashes to compare revisions. */
json_t *service_to_json(const struct service *s);

/* Compact, keys sorted; NULL when out of memory.  Free with free(). */
char *service_json_dump(const struct service *s);

/* The canonical JSON back into a service (berthd reading a stored
 * revision), every field checked; where names the document in errors.
 * service_to_json of the result gives the same bytes. */
int service_from_json(json_t *j, const char *where, struct service *out, berr_t *err);

void service_clear(struct service *s);

#endif
