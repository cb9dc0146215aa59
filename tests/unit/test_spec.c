/* The config parser on valid and hostile documents: every rejection names
 * the field, and a valid document comes out as the expected values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/spec.h"
#include "runtime/spec_default.h"

static char *default_text(void)
{
	json_t *d = spec_default(false);
	char *text = json_dumps(d, JSON_COMPACT);

	json_decref(d);
	return text;
}

/* Parse the default config with one JSON-pointer-ish edit applied by the
 * caller through a callback. */
static int parse_edited(void (*edit)(json_t *), char **msg)
{
	json_t *d = spec_default(false);
	struct spec *s = NULL;
	berr_t err = NULL;
	char *text;
	int r;

	edit(d);
	text = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	r = spec_parse(text, strlen(text), "config.json", &s, &err);
	free(text);
	*msg = err ? strdup(err_msg(err)) : NULL;
	err_free(&err);
	spec_free(s);
	return r;
}

static void expect_error(void (*edit)(json_t *), const char *needle)
{
	char *msg = NULL;

	assert_int_equal(parse_edited(edit, &msg), -1);
	assert_non_null(msg);
	if (!strstr(msg, needle))
		fail_msg("expected '%s' in error, got '%s'", needle, msg);
	assert_null(strchr(msg, '\n'));
	free(msg);
}

static void test_default_parses(void **state)
{
	char *text = default_text();
	struct spec *s = NULL;
	berr_t err = NULL;

	(void)state;
	assert_int_equal(spec_parse(text, strlen(text), "config.json", &s, &err), 0);
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->process->args[0], "sh");
	assert_int_equal(s->process->n_rlimits, 1);
	assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(s->process->rlimits[0].hard, 1024);
	assert_true(s->process->caps.set);
	assert_int_equal(s->process->caps.bounding, (1ULL << 29) | (1ULL << 5) | (1ULL << 10));
	assert_int_equal(s->n_mounts, 7);
	assert_int_equal(s->mounts[1].flags & MS_NOSUID, MS_NOSUID);
	assert_string_equal(s->mounts[1].data, "mode=755,size=65536k");
	assert_int_equal(s->linux.n_namespaces, 6);
	assert_int_equal(s->linux.namespaces[0].type, CLONE_NEWPID);
	assert_int_equal(s->linux.resources.n_devices, 1);
	assert_false(s->linux.resources.devices[0].allow);
	spec_free(s);
	free(text);
}

static void not_json_edit(json_t *d) { (void)d; }

static void test_not_json(void **state)
{
	struct spec *s = NULL;
	berr_t err = NULL;

	(void)state;
	assert_int_equal(spec_parse("{\"ociVersion\": ", 15, "config.json", &s, &err), -1);
	assert_non_null(strstr(err_msg(err), "config.json: line 1"));
	err_free(&err);
	/* jansson's text quotes the input, line break included: one line. */
	assert_int_equal(spec_parse("{\"x\": \"pid\\\n\"}", 14, "config.json", &s, &err), -1);
	assert_non_null(strstr(err_msg(err), "invalid escape"));
	assert_null(strchr(err_msg(err), '\n'));
	err_free(&err);
	assert_int_equal(spec_parse("[]", 2, "config.json", &s, &err), -1);
	assert_non_null(strstr(err_msg(err), "expected an object"));
	err_free(&err);
	(void)not_json_edit;
}

static void args_string(json_t *d)
{
	json_object_set_new(json_object_get(d, "process"), "args", json_string("sh"));
}

static void unknown_ns(json_t *d)
{
	json_array_append_new(json_object_get(json_object_get(d, "linux"), "namespaces"),
			      json_pack("{s:s}", "type", "foo"));
}

static void duplicate_ns(json_t *d)
{
	json_array_append_new(json_object_get(json_object_get(d, "linux"), "namespaces"),
			      json_pack("{s:s}", "type", "pid"));
}

static void huge_console(json_t *d)
{
	json_object_set_new(json_object_get(d, "process"), "consoleSize",
			    json_pack("{s:f,s:i}", "height", 1.2e21, "width", 80));
}

static void negative_uid(json_t *d)
{
	json_object_set_new(json_object_get(json_object_get(d, "process"), "user"),
			    "uid", json_integer(-1));
}

static void relative_mount(json_t *d)
{
	json_array_append_new(json_object_get(d, "mounts"),
			      json_pack("{s:s,s:s}", "destination", "tmp", "type", "tmpfs"));
}

static void bind_without_source(json_t *d)
{
	json_array_append_new(json_object_get(d, "mounts"),
			      json_pack("{s:s,s:[s]}", "destination", "/x", "options", "bind"));
}

static void unknown_rlimit(json_t *d)
{
	json_array_append_new(json_object_get(json_object_get(d, "process"), "rlimits"),
			      json_pack("{s:s,s:i,s:i}", "type", "RLIMIT_FOO", "soft", 1, "hard", 1));
}

static void soft_above_hard(json_t *d)
{
	json_array_append_new(json_object_get(json_object_get(d, "process"), "rlimits"),
			      json_pack("{s:s,s:i,s:i}", "type", "RLIMIT_CORE", "soft", 2, "hard", 1));
}

static void oom_out_of_range(json_t *d)
{
	json_object_set_new(json_object_get(d, "process"), "oomScoreAdj", json_integer(5000));
}

static void missing_cwd(json_t *d)
{
	json_object_del(json_object_get(d, "process"), "cwd");
}

static void bad_seccomp_action(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "seccomp",
			    json_pack("{s:s}", "defaultAction", "SCMP_ACT_NOPE"));
}

static void bad_seccomp_op(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "seccomp",
			    json_pack("{s:s,s:[{s:[s],s:s,s:[{s:i,s:i,s:s}]}]}",
				      "defaultAction", "SCMP_ACT_ALLOW", "syscalls",
				      "names", "mkdir", "action", "SCMP_ACT_ERRNO", "args",
				      "index", 0, "value", 1, "op", "SCMP_CMP_WAT"));
}

static void hostname_without_uts(json_t *d)
{
	json_t *ns = json_object_get(json_object_get(d, "linux"), "namespaces");

	for (size_t i = 0; i < json_array_size(ns); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")), "uts"))
			json_array_remove(ns, i);
}

static void set_sysctl(json_t *d, const char *key, const char *value)
{
	json_object_set_new(json_object_get(d, "linux"), "sysctl",
			    json_pack("{s:s}", key, value));
}

static void drop_namespace(json_t *d, const char *type)
{
	json_t *ns = json_object_get(json_object_get(d, "linux"), "namespaces");

	for (size_t i = 0; i < json_array_size(ns); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")), type))
			json_array_remove(ns, i);
}

static void sysctl_global(json_t *d) { set_sysctl(d, "vm.swappiness", "10"); }
static void sysctl_hostname(json_t *d) { set_sysctl(d, "kernel.hostname", "x"); }

static void sysctl_ipc_without_ipcns(json_t *d)
{
	set_sysctl(d, "fs.mqueue.queues_max", "100");
	drop_namespace(d, "ipc");
}

static void sysctl_net_without_netns(json_t *d)
{
	set_sysctl(d, "net.ipv4.ping_group_range", "0 0");
	drop_namespace(d, "network");
}

static void sysctl_domainname_conflict(json_t *d)
{
	set_sysctl(d, "kernel.domainname", "foo");
	json_object_set_new(d, "domainname", json_string("bar"));
}

static void bad_device_type(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "devices",
			    json_pack("[{s:s,s:s,s:i,s:i}]", "type", "x", "path", "/dev/x",
				      "major", 1, "minor", 1));
}

static void bad_propagation(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "rootfsPropagation",
			    json_string("sideways"));
}

static void cgroups_path_dotdot(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "cgroupsPath",
			    json_string("/../../escape"));
}

static void annotation_not_string(json_t *d)
{
	json_object_set_new(d, "annotations", json_pack("{s:i}", "a", 1));
}

/* Wrong JSON types for whole sections must fail, not count as absent. */
static void seccomp_syscalls_object(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "seccomp",
			    json_pack("{s:s,s:{s:[s],s:s}}", "defaultAction", "SCMP_ACT_ALLOW",
				      "syscalls", "names", "mount", "action", "SCMP_ACT_ERRNO"));
}

static void namespaces_object(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "namespaces", json_object());
}

static void mounts_object(json_t *d) { json_object_set_new(d, "mounts", json_object()); }
static void hooks_array(json_t *d) { json_object_set_new(d, "hooks", json_array()); }

static void sysctl_array(json_t *d)
{
	json_object_set_new(json_object_get(d, "linux"), "sysctl", json_array());
}

static void memory_string(json_t *d)
{
	json_object_set_new(json_object_get(json_object_get(d, "linux"), "resources"),
			    "memory", json_string("64m"));
}

static void rlimits_object(json_t *d)
{
	json_object_set_new(json_object_get(d, "process"), "rlimits", json_object());
}

static void test_wrong_section_types(void **state)
{
	(void)state;
	expect_error(seccomp_syscalls_object, "linux.seccomp.syscalls: expected an array, got an object");
	expect_error(namespaces_object, "linux.namespaces: expected an array");
	expect_error(mounts_object, "mounts: expected an array");
	expect_error(hooks_array, "hooks: expected an object");
	expect_error(sysctl_array, "linux.sysctl: expected an object");
	expect_error(memory_string, "linux.resources.memory: expected an object");
	expect_error(rlimits_object, "process.rlimits: expected an array");
}

static void test_hostile(void **state)
{
	(void)state;
	expect_error(args_string, "process.args: expected an array, got a string");
	expect_error(unknown_ns, "linux.namespaces[6].type: unknown namespace 'foo'");
	expect_error(duplicate_ns, "namespace 'pid' listed twice");
	expect_error(huge_console, "process.consoleSize.height");
	expect_error(negative_uid, "process.user.uid: -1 is out of range");
	expect_error(relative_mount, "mounts[7].destination: 'tmp' is not an absolute path");
	expect_error(bind_without_source, "mounts[7].source");
	expect_error(unknown_rlimit, "process.rlimits[1].type: unknown rlimit 'RLIMIT_FOO'");
	expect_error(soft_above_hard, "process.rlimits[1]: soft limit 2 is above the hard limit 1");
	expect_error(oom_out_of_range, "process.oomScoreAdj: 5000 is out of range");
	expect_error(missing_cwd, "process.cwd: required field missing");
	expect_error(bad_seccomp_action, "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_NOPE'");
	expect_error(bad_seccomp_op, "linux.seccomp.syscalls[0].args[0].op: unknown operator");
	expect_error(hostname_without_uts, "hostname: setting it needs a private uts namespace");
	expect_error(sysctl_global, "linux.sysctl.vm.swappiness: not namespaced");
	expect_error(sysctl_hostname, "linux.sysctl.kernel.hostname");
	expect_error(sysctl_ipc_without_ipcns, "linux.sysctl.fs.mqueue.queues_max: needs the container's own ipc namespace");
	expect_error(sysctl_net_without_netns, "linux.sysctl.net.ipv4.ping_group_range: needs the container's own network namespace");
	expect_error(sysctl_domainname_conflict, "conflicts with domainname 'bar'");
	expect_error(bad_device_type, "linux.devices[0].type: 'x' is not one of c, b, u, p");
	expect_error(bad_propagation, "linux.rootfsPropagation: unknown propagation 'sideways'");
	expect_error(cgroups_path_dotdot, "linux.cgroupsPath");
	expect_error(annotation_not_string, "annotations.a: expected a string");
}

static void test_oversized(void **state)
{
	size_t len = 17 << 20;
	char *big = malloc(len);
	struct spec *s = NULL;
	berr_t err = NULL;

	(void)state;
	memset(big, ' ', len);
	assert_int_equal(spec_parse(big, len, "config.json", &s, &err), -1);
	assert_non_null(strstr(err_msg(err), "larger than"));
	err_free(&err);
	free(big);
}

static void test_resources(void **state)
{
	json_t *r = json_pack("{s:{s:I,s:I},s:{s:I,s:I,s:s},s:{s:I},s:[{s:s,s:I}]}",
			      "memory", "limit", (json_int_t)67108864, "swap", (json_int_t)-1,
			      "cpu", "shares", (json_int_t)512, "quota", (json_int_t)50000,
			      "cpus", "0-1", "pids", "limit", (json_int_t)20,
			      "hugepageLimits", "pageSize", "2MB", "limit", (json_int_t)4194304);
	struct spec_resources res = { 0 };
	berr_t err = NULL;

	(void)state;
	assert_int_equal(spec_parse_resources(r, "linux.resources", &res, &err), 0);
	assert_true(res.memory.limit.set);
	assert_int_equal(res.memory.limit.v, 67108864);
	assert_int_equal(res.memory.swap.v, -1);
	assert_int_equal(res.cpu.shares.v, 512);
	assert_int_equal(res.cpu.quota.v, 50000);
	assert_string_equal(res.cpu.cpus, "0-1");
	assert_int_equal(res.pids_limit.v, 20);
	assert_string_equal(res.hugepages[0].page_size, "2MB");
	spec_resources_clear(&res);
	json_decref(r);
	r = json_pack("{s:{s:I,s:I}}", "memory", "limit", (json_int_t)100, "swap", (json_int_t)50);
	assert_int_equal(spec_parse_resources(r, "linux.resources", &res, &err), -1);
	assert_non_null(strstr(err_msg(err), "linux.resources.memory.swap"));
	err_free(&err);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_parses),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_wrong_section_types),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_resources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
