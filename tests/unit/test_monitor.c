/* The monitor's pure parts: restart policies and backoff (with the bound
 * on starts a crash loop can cost the host), monitor.conf, the log writer
 * (whole lines, partial entries, rotation) and the log reader's parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "container/log_reader.h"
#include "monitor/backoff.h"
#include "monitor/conf.h"
#include "monitor/log_writer.h"

#define MS (1000ull * 1000)
#define S (1000ull * MS)

static void test_policy_modes(void **state)
{
	struct restart_policy p;

	restart_policy_default(&p);
	assert_int_equal(restart_policy_parse_mode("on-failure:3", &p), 0);
	assert_int_equal(p.mode, RESTART_ON_FAILURE);
	assert_int_equal(p.max_retries, 3);
	assert_false(restart_wanted(&p, 0, 0, false));
	assert_true(restart_wanted(&p, 1, 2, false));
	assert_false(restart_wanted(&p, 1, 3, false));
	assert_int_equal(restart_policy_parse_mode("always", &p), 0);
	assert_true(restart_wanted(&p, 0, 100, false));
	assert_false(restart_wanted(&p, 1, 0, true)); /* a user's stop is final */
	assert_int_equal(restart_policy_parse_mode("unless-stopped", &p), 0);
	assert_int_equal(restart_policy_parse_mode("no", &p), 0);
	assert_false(restart_wanted(&p, 1, 0, false));
}

static void test_policy_rejects(void **state)
{
	static const char *const bad[] = { "", "sometimes", "always:3", "on-failure:",
					   "on-failure:-1", "on-failure:x", "no:1", "nope",
					   "on-failure:99999999999" };
	struct restart_policy p;

	restart_policy_default(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(restart_policy_parse_mode(bad[i], &p), -1);
}

static void test_backoff_schedule(void **state)
{
	struct restart_policy p;

	restart_policy_default(&p);
	/* floor, ×2 each failure in a row, capped at 5 minutes */
	assert_int_equal(backoff_delay(&p, 0, 0.0), 100 * MS);
	assert_int_equal(backoff_delay(&p, 1, 0.0), 200 * MS);
	assert_int_equal(backoff_delay(&p, 5, 0.0), 3200 * MS);
	assert_int_equal(backoff_delay(&p, 40, 0.0), 300 * S);
	assert_int_equal(backoff_delay(&p, 100000, 0.0), 300 * S);
	/* jitter only stretches, by at most a tenth */
	assert_true(backoff_delay(&p, 3, 0.999) > 800 * MS);
	assert_true(backoff_delay(&p, 3, 0.999) < 880 * MS + 1);
	/* a run that lasted the reset window starts from the floor again */
	assert_int_equal(backoff_attempt(&p, 7, 10 * S), 0);
	assert_int_equal(backoff_attempt(&p, 7, 9 * S), 7);
}

/* An instant crash loop for an hour: 100 ms doubling to 300 s reaches the
 * cap after 12 delays (409.5 s), then one start per 300 s. */
static void test_crash_loop_bound(void **state)
{
	struct restart_policy p;

	restart_policy_default(&p);
	unsigned hour = backoff_max_starts(&p, 3600 * S);

	assert_int_equal(hour, 1 + 12 + 10);
	assert_int_equal(backoff_max_starts(&p, 24 * 3600 * S), 1 + 12 + 286);
	/* and the simulated monitor, jitter at its extremes, never exceeds it */
	for (double unit = 0.0; unit < 1.0; unit += 0.5) {
		uint64_t t = 0;
		unsigned starts = 1, attempt = 0;

		while (t + backoff_delay(&p, attempt, unit) <= 3600 * S) {
			t += backoff_delay(&p, attempt++, unit);
			starts++;
		}
		assert_true(starts <= hour);
	}
}

static void test_conf(void **state)
{
	struct monitor_conf c;
	unsigned line = 0;

	monitor_conf_default(&c);
	assert_int_equal(monitor_conf_parse("restart=on-failure:2\nrestart-delay-ns=5\n"
					    "restart-max-delay-ns=50\nrestart-multiplier=1.5\n"
					    "log-max-size=4096\nlog-max-files=2\nstop-signal=2\n"
					    "stop-timeout=3\ntty=1\ninteractive=0\nrm=1\n",
					    &c, &line), 0);
	assert_int_equal(c.restart.mode, RESTART_ON_FAILURE);
	assert_int_equal(c.restart.max_retries, 2);
	assert_int_equal(c.restart.delay_ns, 5);
	assert_true(c.restart.multiplier == 1.5);
	assert_int_equal(c.log_max_files, 2);
	assert_int_equal(c.stop_signal, 2);
	assert_true(c.tty && c.remove && !c.interactive);

	static const char *const bad[] = {
		"restart=sometimes\n", "nokey\n", "stop-signal=99\n", "log-max-files=0\n",
		"restart-multiplier=0.5\n", "tty=2\n", "unknown=1\n", "log-max-size=-1\n",
		"restart-delay-ns=0\n", "restart-delay-ns=10\nrestart-max-delay-ns=5\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		monitor_conf_default(&c);
		assert_int_equal(monitor_conf_parse(bad[i], &c, &line), -1);
		assert_true(line >= 1);
	}
}

static char *read_at(int dir, const char *name)
{
	char *text = NULL;
	size_t len;
	berr_t err = NULL;

	if (fs_read_file_at(dir, name, 1 << 20, &text, &len, &err) < 0) {
		err_free(&err);
		return NULL;
	}
	return text;
}

static void test_log_lines(void **state)
{
	char tmpl[] = "/tmp/berth-log-XXXXXX";
	int dir = open(mkdtemp(tmpl), O_PATH | O_DIRECTORY);
	struct log_file f;
	struct log_stream out = { .name = "stdout" }, err = { .name = "stderr" };
	struct timespec t = { 1795316226, 5 };
	char big[LOG_LINE_MAX + 10];

	assert_int_equal(log_file_open(&f, dir, "c.log", 0, 1), 0);
	/* a line written in pieces is one entry; stderr's does not cut it */
	assert_int_equal(log_stream_feed(&f, &out, "hel", 3, &t), 0);
	assert_int_equal(log_stream_feed(&f, &err, "oops\n", 5, &t), 0);
	assert_int_equal(log_stream_feed(&f, &out, "lo\nwor", 6, &t), 0);
	assert_int_equal(log_stream_flush(&f, &out, &t), 0);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(log_stream_feed(&f, &out, big, sizeof(big), &t), 0);
	char *text = read_at(dir, "c.log");
	char expect[256];

	snprintf(expect, sizeof(expect),
		 "2026-11-22T02:57:06.000000005Z stderr F oops\n"
		 "2026-11-22T02:57:06.000000005Z stdout F hello\n"
		 "2026-11-22T02:57:06.000000005Z stdout P wor\n");
	assert_non_null(text);
	assert_memory_equal(text, expect, strlen(expect));
	/* the long line: one partial entry of LOG_LINE_MAX, then the rest */
	struct log_entry e;
	char *p = text + strlen(expect), *nl = strchr(p, '\n');

	assert_int_equal(log_entry_parse(p, (size_t)(nl - p), &e), 0);
	assert_true(e.partial && !e.is_stderr);
	assert_int_equal(e.len, LOG_LINE_MAX);
	p = nl + 1;
	nl = strchr(p, '\n');
	assert_int_equal(log_entry_parse(p, (size_t)(nl - p), &e), 0);
	assert_false(e.partial);
	assert_int_equal(e.len, 9);
	assert_int_equal(e.time.tv_sec, 1795316226);
	assert_int_equal(e.time.tv_nsec, 5);
	free(text);
	close(f.fd);
	close(dir);
}

static void test_log_rotation(void **state)
{
	char tmpl[] = "/tmp/berth-log-XXXXXX";
	const char *path = mkdtemp(tmpl);
	int dir = open(path, O_PATH | O_DIRECTORY);
	struct log_file f;
	struct log_stream out = { .name = "stdout" };
	struct timespec t = { 1795316226, 0 };
	char line[64], *all = NULL;
	size_t len, live;
	berr_t err = NULL;

	/* each entry is 48 bytes; 5 fit in 256 */
	assert_int_equal(log_file_open(&f, dir, "c.log", 256, 3), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "line %02d\n", i);
		assert_int_equal(log_stream_feed(&f, &out, line, strlen(line), &t), 0);
	}
	struct stat st;

	assert_int_equal(fstatat(dir, "c.log.2", &st, 0), 0);
	assert_true(st.st_size <= 256);
	assert_int_equal(fstatat(dir, "c.log.3", &st, 0), -1); /* 3 files in all */
	/* read back oldest first: the newest 12 lines, in order */
	assert_int_equal(log_read_all(path, "c.log", &all, &len, &live, &err), 0);
	int first = -1, count = 0;

	for (char *p = all; (p = strstr(p, "line ")); p += 5, count++) {
		int n = atoi(p + 5);

		if (first < 0)
			first = n;
		assert_int_equal(n, first + count);
	}
	assert_int_equal(first + count, 20);
	assert_int_equal(count, 15); /* 5 a file, the oldest 5 rotated away */
	free(all);
	close(f.fd);
	close(dir);
}

static void test_entry_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "garbage", "2026-11-22T02:57:06Z stdin F x", "2026-11-22T02:57:06Z stdout X x",
		"2026-11-22 stdout F x", "2026-11-22T02:57:06 stdout F x", "2026-11-22T02:57:06Z stdout",
	};
	struct log_entry e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(log_entry_parse(bad[i], strlen(bad[i]), &e), -1);
	assert_int_equal(log_entry_parse("2026-11-22T02:57:06Z stderr F ", 30, &e), 0);
	assert_true(e.is_stderr);
	assert_int_equal(e.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_modes),
		cmocka_unit_test(test_policy_rejects),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_crash_loop_bound),
		cmocka_unit_test(test_conf),
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_log_rotation),
		cmocka_unit_test(test_entry_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
