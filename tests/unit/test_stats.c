/* `berth stats` and `berth top`: the parsing of /proc and cgroup files,
 * docker's CPU % and sizes, ps -ef's columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container/stats.h"
#include "container/top.h"
#include "runtime/cgroup.h"

static void test_proc_stat(void **state)
{
	uint64_t ns = 0;

	(void)state;
	assert_int_equal(stats_parse_proc_stat("cpu  10 20 30 40 0 0 0 0 0 0\ncpu0 1 2 3 4\n", 100, &ns), 0);
	assert_true(ns == 100ULL * 10000000ULL);
	/* The cpu line after others, fewer fields (old kernels). */
	assert_int_equal(stats_parse_proc_stat("intr 5\ncpu  1 1 1 1\n", 100, &ns), 0);
	assert_true(ns == 4ULL * 10000000ULL);
	assert_int_equal(stats_parse_proc_stat("cpu0 1 2 3 4\n", 100, &ns), -1);
	assert_int_equal(stats_parse_proc_stat("cpu  x\n", 100, &ns), -1);
}

static void test_net_dev(void **state)
{
	static const char text[] =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"
		"    lo:  999999       9    0    0    0     0          0         0   999999       9    0    0    0     0       0          0\n"
		"  eth0:    1500      10    0    0    0     0          0         0      700       5    0    0    0     0       0          0\n"
		"veth1:100 1 0 0 0 0 0 0 50 1 0 0 0 0 0 0\n";
	uint64_t rx, tx;

	(void)state;
	stats_parse_net_dev(text, &rx, &tx);
	assert_int_equal(rx, 1600);
	assert_int_equal(tx, 750);
	stats_parse_net_dev("", &rx, &tx);
	assert_int_equal(rx + tx, 0);
}

static void test_io_bytes(void **state)
{
	uint64_t r, w;

	(void)state;
	cgroup_parse_io_bytes("8:0 Read 4096\n8:0 Write 100\n8:0 Sync 1\n8:0 Total 4196\n"
			      "8:16 Read 4\n8:16 Write 0\nTotal 4200\n", &r, &w);
	assert_int_equal(r, 4100);
	assert_int_equal(w, 100);
	cgroup_parse_io_bytes("8:0 rbytes=1000 wbytes=20971520 rios=3 wios=9 dbytes=0 dios=0\n"
			      "253:1 rbytes=24 wbytes=0 rios=1 wios=0 dbytes=0 dios=0", &r, &w);
	assert_int_equal(r, 1024);
	assert_int_equal(w, 20971520);
	cgroup_parse_io_bytes("", &r, &w);
	assert_int_equal(r + w, 0);
}

static void test_cpu_percent(void **state)
{
	struct container_stats a = { .cpu_usage_ns = 1000, .system_ns = 10000, .online_cpus = 2 };
	struct container_stats b = { .cpu_usage_ns = 3000, .system_ns = 20000, .online_cpus = 2 };
	char buf[32];

	(void)state;
	/* 2000 / 10000 of the host's time on 2 CPUs. */
	assert_true(container_cpu_percent(&a, &b) > 39.99 && container_cpu_percent(&a, &b) < 40.01);
	assert_true(container_cpu_percent(&b, &a) == 0.0);
	assert_true(container_cpu_percent(&a, &a) == 0.0);
	stats_format_percent(container_cpu_percent(&a, &b), buf, sizeof(buf));
	assert_string_equal(buf, "40.00%");
	b.memory_usage = 1 << 20;
	b.memory_limit = 4 << 20;
	stats_format_percent(container_mem_percent(&b), buf, sizeof(buf));
	assert_string_equal(buf, "25.00%");
	b.memory_limit = 0;
	assert_true(container_mem_percent(&b) == 0.0);
}

static const char *binary(uint64_t n)
{
	static char buf[32];

	stats_format_binary(n, buf, sizeof(buf));
	return buf;
}

static const char *decimal(uint64_t n)
{
	static char buf[32];

	stats_format_decimal(n, buf, sizeof(buf));
	return buf;
}

static void test_sizes(void **state)
{
	(void)state;
	assert_string_equal(binary(0), "0B");
	assert_string_equal(binary(1023), "1023B");
	assert_string_equal(binary(1536 * 1024), "1.5MiB");
	assert_string_equal(binary(512ULL << 20), "512MiB");
	assert_string_equal(binary(253952), "248KiB");
	assert_string_equal(binary(3ULL << 30), "3GiB");
	assert_string_equal(decimal(0), "0B");
	assert_string_equal(decimal(648), "648B");
	assert_string_equal(decimal(1234), "1.23kB");
	assert_string_equal(decimal(20971520), "21MB");
	assert_string_equal(decimal(999999), "1e+03kB");
}

static void test_top_parse(void **state)
{
	struct top_proc p;
	uid_t uid = 0;

	(void)state;
	assert_int_equal(top_parse_stat("42 (my (odd) cmd) S 7 42 42 34816 42 4194560 99 0 0 0 "
					"150 50 0 0 20 0 1 0 12345 3133440 412 0", &p), 0);
	assert_int_equal(p.pid, 42);
	assert_int_equal(p.ppid, 7);
	assert_string_equal(p.comm, "my (odd) cmd");
	assert_int_equal(p.cpu_ticks, 200);
	assert_int_equal(p.start_ticks, 12345);
	assert_int_equal(p.tty_nr, 34816);
	assert_int_equal(top_parse_stat("42 comm S 1", &p), -1);
	assert_int_equal(top_parse_stat("42 (x) S 1 2", &p), -1);

	assert_int_equal(top_parse_uid("Name:\tsh\nUid:\t1000\t1001\t1000\t1000\n", &uid), 0);
	assert_int_equal(uid, 1001);
	assert_int_equal(top_parse_uid("Name:\tsh\n", &uid), -1);
}

static void test_top_format(void **state)
{
	char buf[64];
	char *cmd;
	time_t now = time(NULL);

	(void)state;
	top_format_tty(34816, buf, sizeof(buf)); /* 136:0 */
	assert_string_equal(buf, "pts/0");
	top_format_tty((136 << 8) | 5, buf, sizeof(buf));
	assert_string_equal(buf, "pts/5");
	top_format_tty((4 << 8) | 1, buf, sizeof(buf));
	assert_string_equal(buf, "tty1");
	top_format_tty(0, buf, sizeof(buf));
	assert_string_equal(buf, "?");

	top_format_time(0, buf, sizeof(buf));
	assert_string_equal(buf, "00:00:00");
	top_format_time(3723, buf, sizeof(buf));
	assert_string_equal(buf, "01:02:03");
	top_format_time(86400 + 61, buf, sizeof(buf));
	assert_string_equal(buf, "1-00:01:01");

	top_format_stime(now, now, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 5);
	assert_int_equal(buf[2], ':');
	top_format_stime(now - 400 * 86400, now, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 4); /* a year */

	assert_int_equal(top_cpu_percent(50, 100), 50);
	assert_int_equal(top_cpu_percent(50, 0), 0);

	cmd = top_format_cmd("sleep\0" "30\0", 9, "sleep");
	assert_string_equal(cmd, "sleep 30");
	free(cmd);
	cmd = top_format_cmd("", 0, "kworker");
	assert_string_equal(cmd, "[kworker]");
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_stat),
		cmocka_unit_test(test_net_dev),
		cmocka_unit_test(test_io_bytes),
		cmocka_unit_test(test_cpu_percent),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_top_parse),
		cmocka_unit_test(test_top_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
