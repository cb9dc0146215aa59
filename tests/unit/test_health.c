/* The health state machine: docker's starting/healthy/unhealthy, the
 * failing streak, the start period and the log of the last results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "service/health.h"

#define S 1000000000ull

static struct health_result result(bool healthy, int code)
{
	struct health_result r = { .healthy = healthy, .code = code };

	snprintf(r.output, sizeof(r.output), "probe %d", code);
	return r;
}

/* Feed results at t seconds after the start: '+' success, '-' failure. */
static void feed(struct health_state *s, const char *results, uint64_t t)
{
	for (int i = 0; results[i]; i++) {
		struct health_result r = result(results[i] == '+', i);

		health_update(s, &r, (t + (uint64_t)i) * S);
	}
}

static void test_defaults(void **state)
{
	struct health_check c = { 0 };
	struct health_state s;

	health_state_init(&s, &c, 0);
	assert_int_equal(s.status, HEALTH_STARTING);
	assert_string_equal(health_status_name(s.status), "starting");
	assert_int_equal(s.retries, 3);
	feed(&s, "--", 10);
	assert_int_equal(s.status, HEALTH_STARTING);
	assert_int_equal(s.failing_streak, 2);
	feed(&s, "-", 20);
	assert_int_equal(s.status, HEALTH_UNHEALTHY);
	assert_string_equal(health_status_name(s.status), "unhealthy");
	assert_int_equal(s.failing_streak, 3);
}

static void test_success_makes_healthy_and_resets_the_streak(void **state)
{
	struct health_check c = { .retries = 2 };
	struct health_state s;

	health_state_init(&s, &c, 0);
	feed(&s, "+", 1);
	assert_int_equal(s.status, HEALTH_HEALTHY);
	assert_string_equal(health_status_name(s.status), "healthy");
	feed(&s, "-", 2);
	assert_int_equal(s.status, HEALTH_HEALTHY); /* one failure of two */
	assert_int_equal(s.failing_streak, 1);
	feed(&s, "+", 3);
	assert_int_equal(s.failing_streak, 0);
	feed(&s, "--", 4);
	assert_int_equal(s.status, HEALTH_UNHEALTHY);
	feed(&s, "+", 10); /* unhealthy recovers with one success */
	assert_int_equal(s.status, HEALTH_HEALTHY);
	assert_int_equal(s.failing_streak, 0);
}

static void test_retries_one(void **state)
{
	struct health_check c = { .retries = 1 };
	struct health_state s;

	health_state_init(&s, &c, 0);
	feed(&s, "-", 1);
	assert_int_equal(s.status, HEALTH_UNHEALTHY);
}

static void test_failures_in_the_start_period_do_not_count(void **state)
{
	struct health_check c = { .retries = 2, .start_period_ns = 10 * S };
	struct health_state s;

	health_state_init(&s, &c, 100 * S);
	feed(&s, "-----", 100); /* at 100..104 s, all within 10 s of 100 */
	assert_int_equal(s.status, HEALTH_STARTING);
	assert_int_equal(s.failing_streak, 0);
	assert_int_equal(s.log_n, 5); /* but they are logged */
	feed(&s, "-", 109);
	assert_int_equal(s.failing_streak, 0);
	feed(&s, "-", 110); /* the period is over */
	assert_int_equal(s.failing_streak, 1);
	assert_int_equal(s.status, HEALTH_STARTING);
	feed(&s, "-", 111);
	assert_int_equal(s.status, HEALTH_UNHEALTHY);
}

static void test_a_success_ends_the_start_period(void **state)
{
	struct health_check c = { .retries = 2, .start_period_ns = 60 * S };
	struct health_state s;

	health_state_init(&s, &c, 0);
	feed(&s, "+", 1);
	assert_int_equal(s.status, HEALTH_HEALTHY);
	feed(&s, "--", 2); /* still within 60 s, yet they count now */
	assert_int_equal(s.failing_streak, 2);
	assert_int_equal(s.status, HEALTH_UNHEALTHY);
}

static void test_a_clock_before_the_start_counts(void **state)
{
	struct health_check c = { .retries = 1, .start_period_ns = 60 * S };
	struct health_state s;

	/* A result stamped before the start (clock set back) is no reason
	 * to stay in the start period: it counts. */
	health_state_init(&s, &c, 100 * S);
	feed(&s, "-", 50);
	assert_int_equal(s.status, HEALTH_UNHEALTHY);
}

static void test_log_keeps_the_last_five_oldest_first(void **state)
{
	struct health_check c = { 0 };
	struct health_state s;

	health_state_init(&s, &c, 0);
	feed(&s, "+-", 1);
	assert_int_equal(s.log_n, 2);
	assert_string_equal(s.log[0].output, "probe 0");
	assert_true(s.log[0].healthy);
	assert_false(s.log[1].healthy);
	feed(&s, "+-+-+-+", 10); /* codes 0..6 */
	assert_int_equal(s.log_n, HEALTH_LOG_N);
	for (int i = 0; i < HEALTH_LOG_N; i++)
		assert_int_equal(s.log[i].code, i + 2);
	assert_string_equal(s.log[4].output, "probe 6");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_success_makes_healthy_and_resets_the_streak),
		cmocka_unit_test(test_retries_one),
		cmocka_unit_test(test_failures_in_the_start_period_do_not_count),
		cmocka_unit_test(test_a_success_ends_the_start_period),
		cmocka_unit_test(test_a_clock_before_the_start_counts),
		cmocka_unit_test(test_log_keeps_the_last_five_oldest_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
