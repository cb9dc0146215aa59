/* The pure parts of networking: -p specs, subnets, network names and the
 * resolv.conf a container gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "network/etc_files.h"
#include "network/network.h"
#include "network/netdef.h"
#include "network/ports.h"
#include "network/subnet.h"

/* "IP|HOST|CONTAINER|PROTO" or "ERR: message". */
static const char *port(const char *spec)
{
	static char out[256];
	struct port_map p;
	berr_t err = NULL;

	if (port_parse(spec, &p, &err) < 0)
		snprintf(out, sizeof(out), "ERR: %s", err_msg(err));
	else
		snprintf(out, sizeof(out), "%s|%u|%u|%s", p.host_ip, p.host_port,
			 p.container_port, p.proto);
	err_free(&err);
	return out;
}

static void test_ports(void **state)
{
	(void)state;
	assert_string_equal(port("18080:80"), "|18080|80|tcp");
	assert_string_equal(port("8053:53/udp"), "|8053|53|udp");
	assert_string_equal(port("127.0.0.1:8080:80"), "127.0.0.1|8080|80|tcp");
	assert_string_equal(port("127.0.0.1::80/tcp"), "127.0.0.1|0|80|tcp");
	assert_string_equal(port("80"), "|0|80|tcp");
	assert_string_equal(port("65535:1"), "|65535|1|tcp");
}

static void test_bad_ports(void **state)
{
	(void)state;
	assert_string_equal(port(""), "ERR: -p '': container port '' is not a port number");
	assert_string_equal(port("80:"), "ERR: -p '80:': container port '' is not a port number");
	assert_string_equal(port(":80"), "ERR: -p ':80': host port '' is not a port number");
	assert_string_equal(port("x:80"), "ERR: -p 'x:80': host port 'x' is not a port number");
	assert_string_equal(port("70000:80"),
			    "ERR: -p '70000:80': host port 70000 is out of range (1-65535)");
	assert_string_equal(port("0:80"), "ERR: -p '0:80': host port 0 is out of range (1-65535)");
	assert_string_equal(port("8080:0"),
			    "ERR: -p '8080:0': container port 0 is out of range (1-65535)");
	assert_string_equal(port("8080:80/sctp"),
			    "ERR: -p '8080:80/sctp': protocol 'sctp' is not tcp or udp");
	assert_string_equal(port("8080:80/"), "ERR: -p '8080:80/': protocol '' is not tcp or udp");
	assert_string_equal(port("1.2.3:8080:80"),
			    "ERR: -p '1.2.3:8080:80': host address '1.2.3' is not an IPv4 address");
	assert_string_equal(port("::1:8080:80"),
			    "ERR: -p '::1:8080:80': expected [[IP:]HOSTPORT:]CONTAINERPORT[/PROTO] (IPv6 host addresses are not supported)");
	assert_string_equal(port("123456"),
			    "ERR: -p '123456': container port '123456' is not a port number");
}

static const char *subnet(const char *s)
{
	static char out[256];
	struct subnet n;
	berr_t err = NULL;

	if (subnet_parse(s, "--subnet", &n, &err) < 0)
		snprintf(out, sizeof(out), "ERR: %s", err_msg(err));
	else
		subnet_format(&n, out);
	err_free(&err);
	return out;
}

static void test_subnets(void **state)
{
	struct subnet a, b;
	uint32_t gw;
	berr_t err = NULL;

	(void)state;
	assert_string_equal(subnet("10.87.0.0/16"), "10.87.0.0/16");
	assert_string_equal(subnet("192.168.7.0/24"), "192.168.7.0/24");
	assert_string_equal(subnet("10.87.0.1/16"),
			    "ERR: --subnet '10.87.0.1/16': host bits are set (did you mean 10.87.0.0/16?)");
	assert_string_equal(subnet("10.0.0.0/31"), "ERR: --subnet '10.0.0.0/31': prefix length must be 8-30");
	assert_string_equal(subnet("10.0.0.0"),
			    "ERR: --subnet '10.0.0.0': expected an IPv4 subnet like 10.90.0.0/24");
	assert_string_equal(subnet("10.0.0.0/"),
			    "ERR: --subnet '10.0.0.0/': expected an IPv4 subnet like 10.90.0.0/24");
	assert_string_equal(subnet("10.0.0.0/24x"),
			    "ERR: --subnet '10.0.0.0/24x': expected an IPv4 subnet like 10.90.0.0/24");
	assert_string_equal(subnet("fd00::/64"),
			    "ERR: --subnet 'fd00::/64': expected an IPv4 subnet like 10.90.0.0/24");

	assert_int_equal(subnet_parse("10.87.0.0/16", "a", &a, NULL), 0);
	assert_int_equal(subnet_parse("10.87.5.0/24", "b", &b, NULL), 0);
	assert_true(subnet_overlap(&a, &b) && subnet_overlap(&b, &a));
	assert_int_equal(subnet_parse("10.86.0.0/24", "b", &b, NULL), 0);
	assert_false(subnet_overlap(&a, &b));

	assert_int_equal(subnet_parse_host(&b, "10.86.0.254", "--gateway", &gw, NULL), 0);
	assert_int_equal(gw, 0x0a5600fe);
	assert_int_equal(subnet_parse_host(&b, "10.86.0.255", "--gateway", &gw, &err), -1);
	assert_string_equal(err_msg(err),
			    "--gateway '10.86.0.255': not a host address of subnet 10.86.0.0/24");
	err_free(&err);
	assert_int_equal(subnet_parse_host(&b, "10.86.1.1", "--gateway", &gw, NULL), -1);
	assert_int_equal(subnet_parse_host(&b, "10.86.0.0", "--gateway", &gw, NULL), -1);
}

static void test_names(void **state)
{
	static const char *const good[] = { "bridge", "my-net", "a", "web_1.internal", "X9" };
	static const char *const bad[] = { "", "../x", "x/y", "-x", ".x", "_x", "a b", "none",
					   "host", "x\n" };
	char long_name[NET_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_int_equal(netdef_check_name(good[i], NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(netdef_check_name(bad[i], NULL), -1);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(netdef_check_name(long_name, NULL), -1);
	long_name[NET_NAME_MAX] = '\0';
	assert_int_equal(netdef_check_name(long_name, NULL), 0);
}

static void test_resolv(void **state)
{
	char *out;

	(void)state;
	out = etc_resolv_filter("# generated\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
				"nameserver ::1\nsearch example.com\noptions edns0\n"
				"nameserver\t192.168.1.1");
	assert_string_equal(out, "nameserver 10.0.0.2\nsearch example.com\noptions edns0\n"
				 "nameserver\t192.168.1.1\n");
	free(out);
	/* Only loopback resolvers: nothing invented in their place. */
	out = etc_resolv_filter("nameserver 127.0.0.1\n");
	assert_string_equal(out, "");
	free(out);
}

static void test_config_apply(void **state)
{
	struct net_attachment a = { .netns = "/run/berth/netns/abc", .hosts = "/h",
				    .resolv = "/r", .hostname = "/n" };
	json_t *cfg = json_pack("{s:{s:[{s:s},{s:s}]},s:[]}", "linux", "namespaces", "type",
				"pid", "type", "network", "mounts");
	json_t *ns, *m;

	(void)state;
	assert_int_equal(net_config_apply(cfg, &a, NULL), 0);
	ns = json_array_get(json_object_get(json_object_get(cfg, "linux"), "namespaces"), 1);
	assert_string_equal(json_string_value(json_object_get(ns, "path")), a.netns);
	assert_int_equal(json_array_size(json_object_get(json_object_get(cfg, "linux"),
							 "namespaces")), 2);
	m = json_object_get(cfg, "mounts");
	assert_int_equal(json_array_size(m), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "destination")),
			    "/etc/hosts");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_array_get(m, 0), "options"), 1)), "ro");
	json_decref(cfg);
}

/* Releasing what is not attached, or what a crash left half made (a
 * record without CNI state, a namespace file that is no mount), succeeds,
 * and twice. */
static void test_release_is_idempotent(void **state)
{
	char tmpl[] = "/tmp/berth-net-test.XXXXXX", run[64], store[64];
	char dir[PATH_MAX], ns[PATH_MAX];
	const char *id = "0123abcd";
	struct net_roots r = { .store = store, .run = run };
	berr_t err = NULL;
	json_t *rec = json_pack("{s:s,s:s}", "id", id, "network", "gone");
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(run, sizeof(run), "%s/run", tmpl);
	snprintf(store, sizeof(store), "%s/store", tmpl);
	assert_int_equal(net_release(&r, id, &err), 0);
	assert_int_equal(net_release(&r, id, &err), 0);

	snprintf(dir, sizeof(dir), "%s/networks/containers/%s", run, id);
	snprintf(ns, sizeof(ns), "%s/netns", run);
	assert_int_equal(fs_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(fs_mkdir_p(ns, 0700, &err), 0);
	strcat(ns, "/");
	strcat(ns, id);
	fd = open(ns, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	strcat(dir, "/attachment.json");
	assert_int_equal(json_dump_file(rec, dir, 0), 0);
	assert_int_equal(net_release(&r, id, &err), 0);
	assert_int_equal(stat(ns, &st), -1);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(net_release(&r, id, &err), 0);
	assert_int_equal(net_release(&r, "../x", &err), -1);
	assert_string_equal(err_msg(err), "container id '../x': expected 1-64 lower-case hex digits");
	err_free(&err);
	json_decref(rec);
	assert_int_equal(fs_remove_tree_at(AT_FDCWD, tmpl, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_subnets),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_resolv),
		cmocka_unit_test(test_config_apply),
		cmocka_unit_test(test_release_is_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
