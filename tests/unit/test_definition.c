/* Service definitions: the Compose subset berth reads, its warnings, its
 * errors (file, line, key path) and hostile YAML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/fs.h"
#include "service/definition.h"
#include "service/yaml_tree.h"

static struct project proj;
static char dir[64];

static int parse(const char *text, berr_t *err)
{
	char path[96];

	project_free(&proj);
	snprintf(path, sizeof(path), "%s/compose.yaml", dir);
	return project_parse(text, strlen(text), path, &proj, err);
}

static const struct service *ok(const char *text, const char *name)
{
	berr_t err = NULL;

	if (parse(text, &err) < 0)
		fail_msg("unexpected error: %s", err_msg(err));
	return project_service(&proj, name);
}

/* The error must hold msg and be one line; "compose.yaml:N:" is checked
 * through msg where the test gives it. */
static void bad(const char *text, const char *msg)
{
	berr_t err = NULL;

	assert_int_equal(parse(text, &err), -1);
	if (!strstr(err_msg(err), msg))
		fail_msg("error '%s' lacks '%s'", err_msg(err), msg);
	assert_null(strchr(err_msg(err), '\n'));
	assert_int_equal(proj.n_services, 0);
	err_free(&err);
}

static bool warned(const char *msg)
{
	for (char **w = proj.warnings; w && *w; w++)
		if (strstr(*w, msg))
			return true;
	return false;
}

static char *json_of(const char *text, const char *name)
{
	return service_json_dump(ok(text, name));
}

static void put(const char *name, const char *text)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	berr_t err = NULL;

	assert_true(fd >= 0);
	assert_int_equal(fs_write_atomic_at(fd, name, text, strlen(text), 0644, FS_VOLATILE, &err), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/berth-def-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	berr_t err = NULL;

	(void)state;
	project_free(&proj);
	return fs_remove_tree_at(AT_FDCWD, dir, &err);
}

static void test_minimal_defaults(void **state)
{
	const struct service *s = ok("services:\n  web:\n    image: busybox\n", "web");

	(void)state;
	assert_non_null(s);
	assert_string_equal(s->image, "busybox");
	assert_int_equal(s->replicas, 1);
	assert_false(s->has_command);
	assert_int_equal(s->health.kind, SVC_CHECK_NONE);
	assert_int_equal(s->update.order, SVC_ORDER_START_FIRST);
	assert_int_equal(s->update.failure_action, SVC_FAIL_ROLLBACK);
	assert_int_equal(s->restart.mode, RESTART_NO);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_true(s->stop_grace_ns == 10000000000ll);
	assert_null(proj.warnings);
}

static void test_command_forms(void **state)
{
	const struct service *s = ok("services:\n  a:\n    image: x\n"
				     "    command: sh -c 'echo \"hi there\"'\n"
				     "    entrypoint: [\"/bin/tini\", \"--\"]\n", "a");

	(void)state;
	assert_true(s->has_command);
	assert_string_equal(s->command[0], "sh");
	assert_string_equal(s->command[2], "echo \"hi there\"");
	assert_null(s->command[3]);
	assert_string_equal(s->entrypoint[1], "--");
	s = ok("services:\n  a:\n    image: x\n    command: []\n", "a");
	assert_true(s->has_command);
	assert_null(s->command[0]);
	bad("services:\n  a:\n    image: x\n    command: \"echo 'open\"\n", "compose.yaml:4: services.a.command");
	bad("services:\n  a:\n    image: x\n    command: [a, [b]]\n", "services.a.command[1]: expected a value");
}

static void test_build(void **state)
{
	const struct service *s = ok("services:\n  a:\n    build: ./app\n", "a");
	char want[128];

	(void)state;
	snprintf(want, sizeof(want), "%s/app", dir);
	assert_string_equal(s->build->context, want);
	assert_null(s->image);
	s = ok("services:\n  a:\n    build:\n      context: /src\n      dockerfile: Dockerfile.prod\n"
	       "      args: [V=1, W=2]\n", "a");
	assert_string_equal(s->build->context, "/src");
	assert_string_equal(s->build->dockerfile, "Dockerfile.prod");
	assert_int_equal(s->build->args.n, 2);
	bad("services:\n  a:\n    command: x\n", "compose.yaml:2: services.a: neither image nor build");
}

static void test_environment(void **state)
{
	const struct service *s;

	(void)state;
	put("app.env", "# comment\n\nexport A=from-file\nB=\"quoted value\"\nC=x=y\n");
	setenv("BERTH_TEST_FROM_ENV", "host", 1);
	unsetenv("BERTH_TEST_UNSET");
	s = ok("services:\n  a:\n    image: x\n    environment:\n      A: override\n      N: 5\n"
	       "      BERTH_TEST_FROM_ENV:\n      BERTH_TEST_UNSET:\n    env_file: app.env\n", "a");
	assert_int_equal(s->environment.n, 5);
	/* sorted, env_file under environment */
	assert_string_equal(s->environment.v[0].key, "A");
	assert_string_equal(s->environment.v[0].value, "override");
	assert_string_equal(s->environment.v[1].value, "quoted value");
	assert_string_equal(s->environment.v[2].value, "host");
	assert_string_equal(s->environment.v[3].value, "x=y");
	assert_string_equal(s->environment.v[4].value, "5");
	s = ok("services:\n  a:\n    image: x\n    environment: [K=v, E=, BERTH_TEST_FROM_ENV]\n", "a");
	assert_int_equal(s->environment.n, 3);
	assert_string_equal(s->environment.v[1].value, "");
	bad("services:\n  a:\n    image: x\n    env_file: missing.env\n",
	    "compose.yaml:4: services.a.env_file");
	ok("services:\n  a:\n    image: x\n    env_file: [{path: missing.env, required: false}]\n", "a");
	put("app.env", "A=1\nnot a line\n");
	bad("services:\n  a:\n    image: x\n    env_file: app.env\n", "services.a.env_file: app.env:2: not KEY=VALUE");
	bad("services:\n  a:\n    image: x\n    environment: {A: [1]}\n", "services.a.environment.A: expected a value");
	bad("services:\n  a:\n    image: x\n    environment: [\"=v\"]\n", "environment[0]: \"\" is not a valid name");
}

static void test_ports(void **state)
{
	const struct service *s = ok("services:\n  a:\n    image: x\n    ports:\n      - \"8080:80\"\n"
				     "      - 127.0.0.1:8443:443/tcp\n"
				     "      - {target: 9000, published: 9001}\n", "a");

	(void)state;
	assert_int_equal(s->n_ports, 3);
	assert_int_equal(s->ports[0].host_port, 8080);
	assert_int_equal(s->ports[0].container_port, 80);
	assert_string_equal(s->ports[1].host_ip, "127.0.0.1");
	assert_int_equal(s->ports[2].host_port, 9001);
	bad("services:\n  web:\n    image: x\n    ports:\n      - 8080:80\n      - \"80:abc\"\n",
	    "compose.yaml:6: services.web.ports[1]: \"80:abc\" is not a port: container port 'abc' is not a port number");
	bad("services:\n  a:\n    image: x\n    ports: [\"53:53/udp\"]\n", "tcp only");
	bad("services:\n  a:\n    image: x\n    ports: [{published: 80}]\n", "ports[0]: target is missing");
	bad("services:\n  a:\n    image: x\n    ports: [{target: 70000}]\n", "ports[0].target");
	bad("services:\n  a:\n    image: x\n    ports: [\"80:80\"]\n  b:\n    image: x\n    ports: [\"80:81\"]\n",
	    "services.b: port 80 is already published by service \"a\"");
}

static void test_volumes(void **state)
{
	const struct service *s = ok("volumes:\n  data: {}\nservices:\n  a:\n    image: x\n    volumes:\n"
				     "      - data:/data:ro\n      - ./www:/www\n      - /cache\n"
				     "      - {type: bind, source: /etc/hosts, target: /h, read_only: true}\n"
				     "      - /x:/y:z\n", "a");

	(void)state;
	assert_int_equal(s->n_volumes, 5);
	assert_int_equal(s->volumes[0].type, SVC_VOLUME_NAMED);
	assert_true(s->volumes[0].read_only);
	assert_int_equal(s->volumes[1].type, SVC_VOLUME_BIND);
	assert_int_equal(s->volumes[2].type, SVC_VOLUME_ANONYMOUS);
	assert_string_equal(s->volumes[3].source, "/etc/hosts");
	assert_true(s->volumes[3].read_only);
	assert_true(warned("services.a.volumes[4]: a volume option"));
	bad("services:\n  a:\n    image: x\n    volumes: [\"data:/d\"]\n",
	    "volume \"data\" is not declared under the top-level volumes");
	bad("services:\n  a:\n    image: x\n    volumes: [\"/a:rel\"]\n", "target \"rel\" is not an absolute path");
	bad("services:\n  a:\n    image: x\n    volumes: [{type: tmpfs, target: /t}]\n", "type must be volume or bind");
}

static void test_healthcheck(void **state)
{
	const struct service *s = ok("services:\n  a:\n    image: x\n    healthcheck:\n"
				     "      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]\n"
				     "      interval: 1m30s\n      timeout: 10s\n      retries: 5\n"
				     "      start_period: 500ms\n", "a");

	(void)state;
	assert_int_equal(s->health.kind, SVC_CHECK_EXEC);
	assert_string_equal(s->health.argv[0], "curl");
	assert_true(s->health.interval_ns == 90000000000ll);
	assert_true(s->health.start_period_ns == 500000000ll);
	assert_int_equal(s->health.retries, 5);
	s = ok("services:\n  a:\n    image: x\n    healthcheck: {test: [\"CMD-SHELL\", \"true || false\"]}\n", "a");
	assert_int_equal(s->health.kind, SVC_CHECK_SHELL);
	assert_string_equal(s->health.argv[0], "true || false");
	assert_null(s->health.argv[1]);
	s = ok("services:\n  a:\n    image: x\n    healthcheck: {test: wget -q localhost}\n", "a");
	assert_int_equal(s->health.kind, SVC_CHECK_SHELL);
	s = ok("services:\n  a:\n    image: x\n    healthcheck: {test: [NONE]}\n", "a");
	assert_int_equal(s->health.kind, SVC_CHECK_OFF);
	s = ok("services:\n  a:\n    image: x\n    healthcheck: {disable: true}\n", "a");
	assert_int_equal(s->health.kind, SVC_CHECK_OFF);
	s = ok("services:\n  a:\n    image: x\n    healthcheck:\n      x-berth-http: {path: /up, port: 8080, status: 204}\n", "a");
	assert_int_equal(s->health.kind, SVC_CHECK_HTTP);
	assert_string_equal(s->health.http_path, "/up");
	assert_int_equal(s->health.http_status, 204);
	s = ok("services:\n  a:\n    image: x\n    healthcheck:\n      x-berth-tcp: {port: 5432}\n", "a");
	assert_int_equal(s->health.kind, SVC_CHECK_TCP);
	assert_int_equal(s->health.port, 5432);
	bad("services:\n  a:\n    image: x\n    healthcheck:\n      test: [CMD, x]\n      x-berth-tcp: {port: 1}\n",
	    "compose.yaml:6: services.a.healthcheck.x-berth-tcp: only one of");
	bad("services:\n  a:\n    image: x\n    healthcheck: {test: [CMD]}\n", "services.a.healthcheck.test: expected");
	bad("services:\n  a:\n    image: x\n    healthcheck: {interval: 1x}\n", "compose.yaml:4: services.a.healthcheck.interval");
	bad("services:\n  a:\n    image: x\n    healthcheck: {interval: 0s}\n", "must be more than 0");
	bad("services:\n  a:\n    image: x\n    healthcheck: {x-berth-http: {path: up, port: 1}}\n", "is not a path");
	bad("services:\n  a:\n    image: x\n    healthcheck: {x-berth-http: {path: /}}\n", "port is missing");
	bad("services:\n  a:\n    image: x\n    healthcheck: {disable: true, test: [CMD, x]}\n", "disable: true with a test");
}

static void test_deploy(void **state)
{
	const struct service *s = ok("services:\n  a:\n    image: x\n    deploy:\n      replicas: 3\n"
				     "      resources:\n        limits: {memory: 512M, cpus: \"0.5\", pids: 100}\n"
				     "      update_config:\n        parallelism: 2\n        delay: 10s\n"
				     "        order: stop-first\n        failure_action: pause\n        monitor: 1m\n"
				     "      placement: {constraints: []}\n", "a");

	(void)state;
	assert_int_equal(s->replicas, 3);
	assert_true(s->limits.memory == 512ll << 20);
	assert_true(s->limits.nano_cpus == 500000000ll);
	assert_true(s->limits.pids == 100);
	assert_int_equal(s->update.parallelism, 2);
	assert_int_equal(s->update.order, SVC_ORDER_STOP_FIRST);
	assert_int_equal(s->update.failure_action, SVC_FAIL_PAUSE);
	assert_true(s->update.monitor_ns == 60000000000ll);
	assert_true(warned("compose.yaml:14: services.a.deploy.placement: not supported by berth, ignored"));
	bad("services:\n  a:\n    image: x\n    deploy: {replicas: -1}\n", "services.a.deploy.replicas");
	bad("services:\n  a:\n    image: x\n    deploy: {resources: {limits: {cpus: lots}}}\n", "is not a number of CPUs");
	bad("services:\n  a:\n    image: x\n    deploy: {resources: {limits: {memory: 1q}}}\n", "limits.memory");
	bad("services:\n  a:\n    image: x\n    deploy: {update_config: {order: random}}\n", "not start-first or stop-first");
	bad("services:\n  a:\n    image: x\n    deploy: {update_config: {failure_action: continue}}\n", "not rollback or pause");
}

static void test_restart(void **state)
{
	const struct service *s = ok("services:\n  a:\n    image: x\n    restart: on-failure:3\n"
				     "    x-berth-restart: {delay: 1s, max_delay: 1m, multiplier: 1.5, reset_after: 30s}\n"
				     "    stop_grace_period: 1m30s\n    stop_signal: SIGQUIT\n", "a");

	(void)state;
	assert_int_equal(s->restart.mode, RESTART_ON_FAILURE);
	assert_int_equal(s->restart.max_retries, 3);
	assert_true(s->restart.delay_ns == 1000000000ull);
	assert_true(s->restart.max_delay_ns == 60000000000ull);
	assert_true(s->restart.multiplier == 1.5);
	assert_true(s->restart.reset_ns == 30000000000ull);
	assert_true(s->stop_grace_ns == 90000000000ll);
	assert_int_equal(s->stop_signal, SIGQUIT);
	bad("services:\n  a:\n    image: x\n    restart: sometimes\n", "compose.yaml:4: services.a.restart: \"sometimes\"");
	bad("services:\n  a:\n    image: x\n    x-berth-restart: {delay: 2m, max_delay: 1m}\n", "delay is longer than max_delay");
	bad("services:\n  a:\n    image: x\n    x-berth-restart: {multiplier: 0.5}\n", "from 1 to 100");
	bad("services:\n  a:\n    image: x\n    stop_signal: SIGNOPE\n", "services.a.stop_signal");
	ok("services:\n  a:\n    image: x\n    x-berth-restart: {jitter: 1}\n", "a");
	assert_true(warned("compose.yaml:4: services.a.x-berth-restart.jitter: not supported by berth, ignored"));
	ok("services:\n  a:\n    image: x\n    x-berth-other: 1\n", "a");
	assert_true(warned("services.a.x-berth-other: not supported"));
}

static void test_proxy_settings(void **state)
{
	const struct service *s = ok("services:\n  a:\n    image: x\n", "a");

	(void)state;
	assert_false(s->proxy.tcp);
	assert_false(s->proxy.least_conn);
	s = ok("services:\n  a:\n    image: x\n    x-berth-proxy: {mode: tcp, balance: least_conn}\n", "a");
	assert_true(s->proxy.tcp);
	assert_true(s->proxy.least_conn);
	bad("services:\n  a:\n    image: x\n    x-berth-proxy: {mode: udp}\n",
	    "compose.yaml:4: services.a.x-berth-proxy.mode: \"udp\" is not http or tcp");
	bad("services:\n  a:\n    image: x\n    x-berth-proxy: {balance: random}\n",
	    "\"random\" is not round_robin or least_conn");
	bad("services:\n  a:\n    image: x\n    x-berth-proxy: tcp\n", "services.a.x-berth-proxy");
}

static void test_depends_on(void **state)
{
	const struct service *s = ok("services:\n  web:\n    image: x\n    depends_on:\n"
				     "      db: {condition: service_healthy}\n      cache: {condition: service_started}\n"
				     "  db:\n    image: x\n    depends_on: [cache]\n  cache:\n    image: x\n", "web");

	(void)state;
	assert_int_equal(s->n_deps, 2);
	assert_string_equal(s->deps[0].service, "cache");
	assert_int_equal(s->deps[1].condition, SVC_DEP_HEALTHY);
	/* services come sorted by name */
	assert_string_equal(proj.services[0].name, "cache");
	bad("services:\n  a:\n    image: x\n    depends_on: [b]\n", "services.a: depends on \"b\", which is not a service");
	bad("services:\n  a:\n    image: x\n    depends_on: [a]\n", "depends on itself");
	bad("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n"
	    "  c:\n    image: x\n    depends_on: [a]\n", "depends_on cycle");
	bad("services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_ready}}\n  b:\n    image: x\n",
	    "services.a.depends_on.b.condition");
}

static void test_labels_and_top_level(void **state)
{
	const struct service *s = ok("name: shop\nversion: \"3\"\nx-anything: {a: 1}\nnetworks:\n  front:\n"
				     "services:\n  a:\n    image: x\n    labels: [b=2, a=1]\n    x-note: hi\n"
				     "    privileged: true\nsecrets: {}\n", "a");

	(void)state;
	assert_string_equal(proj.name, "shop");
	assert_string_equal(proj.networks[0], "front");
	assert_string_equal(s->labels.v[0].key, "a");
	assert_true(warned("compose.yaml:2: version: obsolete, ignored"));
	assert_true(warned("compose.yaml:11: services.a.privileged: not supported by berth, ignored"));
	assert_true(warned("compose.yaml:12: secrets: not supported"));
	assert_false(warned("x-anything"));
	ok("services:\n  a:\n    image: x\n    \"b\\nc\": 1\n", "a");
	assert_true(warned("compose.yaml:4: services.a.b?c: not supported"));
	assert_false(warned("x-note"));
	bad("name: Shop!\nservices: {a: {image: x}}\n", "compose.yaml:1: name: \"Shop!\" is not a project name");
	bad("services:\n  \"bad name\":\n    image: x\n", "compose.yaml:2: services.bad name: \"bad name\" is not a service name");
	bad("services: []\n", "compose.yaml:1: services: expected a mapping, not a list");
	bad("services:\n  a:\n", "services.a: expected a mapping, not a null");
	bad("image: x\n", "no services:");
	bad("", "empty");
	bad("- a\n", "(top level): expected a mapping");
}

static void test_anchors_merge(void **state)
{
	const struct service *s = ok("x-base: &base\n  image: base\n  restart: always\n"
				     "services:\n  a:\n    <<: *base\n    image: own\n  b: *base\n", "a");

	(void)state;
	assert_string_equal(s->image, "own");
	assert_int_equal(s->restart.mode, RESTART_ALWAYS);
	assert_string_equal(project_service(&proj, "b")->image, "base");
	bad("services:\n  a: &a\n    image: x\n    labels: *a\n", "alias '*a' names no complete anchor");
	bad("services:\n  a:\n    image: *nope\n", "compose.yaml:3: alias '*nope'");
}

static void test_hostile_yaml(void **state)
{
	const char *lol = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			  "services: {a: {image: x}}\n";
	char deep[400], *big;

	(void)state;
	bad(lol, "nodes with aliases expanded");
	memset(deep, '[', 200);
	strcpy(deep + 200, "\n");
	bad(deep, "nested deeper than 64 levels");
	big = malloc(YTREE_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, '#', YTREE_MAX_BYTES + 1);
	big[YTREE_MAX_BYTES + 1] = '\0';
	bad(big, "larger than 1048576 bytes");
	free(big);
	bad("services:\n  a:\n    image: \xff\xfe\n", "compose.yaml:3:");
	bad("services:\n  a:\n    image: x\n    image: y\n", "compose.yaml:4: duplicate key 'image'");
	bad("services:\n  a:\n    image: [x]\n", "services.a.image: expected a value, not list");
	bad("services:\n  a:\n    image: x\n    ports: 80\n", "services.a.ports: expected a list, not a string");
	bad("services:\n  a:\n    image: \"a\\0b\"\n", "a NUL character");
	bad("services:\n  a: {image: x\n", "compose.yaml:");
	bad("services: {a: {image: x}}\n---\nservices: {}\n", "more than one document");
	bad("? [a]\n: b\n", "a mapping key must be a string");
}

/* Same definition, same bytes: key order, defaults spelt out and list vs
 * map forms do not change the canonical JSON; a real change does. */
static void test_canonical_json(void **state)
{
	char *a = json_of("services:\n  s:\n    image: x\n    environment: {B: 2, A: 1}\n    labels: {l: v}\n", "s");
	char *b = json_of("services:\n  s:\n    labels: [l=v]\n    environment: [A=1, B=2]\n"
			  "    deploy: {replicas: 1}\n    restart: \"no\"\n    image: x\n", "s");
	char *c = json_of("services:\n  s:\n    image: x\n    environment: {B: 2, A: 1}\n    labels: {l: w}\n", "s");

	(void)state;
	assert_non_null(a);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_non_null(strstr(a, "\"environment\":{\"A\":\"1\",\"B\":\"2\"}"));
	free(a);
	free(b);
	free(c);
}

/* What berthd stores it reads back: from_json(to_json(s)) dumps the
 * same bytes, for a service using every field. */
static void test_json_round_trip(void **state)
{
	const char *text = "volumes: {data: {}}\nservices:\n  db: {image: pg}\n  a:\n    image: x\n"
			   "    build: {context: /src, dockerfile: D, args: {V: 1}}\n"
			   "    command: [a, b]\n    entrypoint: []\n    environment: {E: 1}\n    labels: [l=v]\n"
			   "    ports: [\"127.0.0.1:80:8080\", \"90\"]\n"
			   "    volumes: [data:/d:ro, /h:/h, /anon]\n"
			   "    healthcheck: {x-berth-http: {path: /up, port: 8080, status: 200}, retries: 2}\n"
			   "    deploy: {replicas: 2, resources: {limits: {memory: 64M, cpus: 1.5, pids: 9}},"
			   " update_config: {order: stop-first, failure_action: pause, delay: 1s}}\n"
			   "    restart: on-failure:4\n    x-berth-restart: {multiplier: 1.5}\n"
			   "    stop_signal: SIGINT\n    depends_on: {db: {condition: service_healthy}}\n"
			   "    x-berth-proxy: {mode: tcp, balance: least_conn}\n";
	char *first = json_of(text, "a"), *second;
	json_t *j = json_loads(first, 0, NULL);
	struct service s;
	berr_t err = NULL;

	(void)state;
	assert_int_equal(service_from_json(j, "definition", &s, &err), 0);
	second = service_json_dump(&s);
	assert_string_equal(first, second);
	service_clear(&s);
	free(second);
	/* a damaged one is refused, naming the field */
	json_object_set_new(json_object_get(j, "healthcheck"), "kind", json_string("magic"));
	assert_int_equal(service_from_json(j, "definition", &s, &err), -1);
	assert_string_equal(err_msg(err), "definition.healthcheck.kind: 'magic' is not known");
	err_free(&err);
	json_object_del(j, "name");
	assert_int_equal(service_from_json(j, "definition", &s, &err), -1);
	err_free(&err);
	json_decref(j);
	free(first);
}

static void test_load_file(void **state)
{
	char path[128];
	berr_t err = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/berth.yaml", dir);
	put("berth.yaml", "services: {a: {image: x}}\n");
	project_free(&proj);
	assert_int_equal(project_load(path, &proj, &err), 0);
	assert_string_equal(proj.dir, dir);
	project_free(&proj);
	snprintf(path, sizeof(path), "%s/none.yaml", dir);
	assert_int_equal(project_load(path, &proj, &err), -1);
	assert_non_null(strstr(err_msg(err), "none.yaml"));
	err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_proxy_settings),
		cmocka_unit_test(test_command_forms),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_volumes),
		cmocka_unit_test(test_healthcheck),
		cmocka_unit_test(test_deploy),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_depends_on),
		cmocka_unit_test(test_labels_and_top_level),
		cmocka_unit_test(test_anchors_merge),
		cmocka_unit_test(test_hostile_yaml),
		cmocka_unit_test(test_canonical_json),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
