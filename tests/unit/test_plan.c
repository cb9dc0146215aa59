/* berthd's decision for one service (daemon/plan.h): keeping N replicas,
 * rolling upgrades start-first and stop-first, failure, pause, monitor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "daemon/plan.h"

#define MAXR 16

/* Replicas written as a string, one letter each: revision 1 or 2 by
 * case ('h'/'H' healthy, 's'/'S' starting, 'u'/'U' unhealthy and failed,
 * 'd'/'D' down, 'r'/'R' retiring); lowercase is revision 1, uppercase 2.
 * Instance numbers follow the order. */
static size_t replicas(const char *spec, struct plan_replica *r)
{
	size_t n = strlen(spec);

	for (size_t i = 0; i < n; i++) {
		char c = spec[i] | 0x20;

		r[i] = (struct plan_replica){
			.rev = spec[i] >= 'a' ? 1 : 2,
			.n = (int64_t)i + 1,
			.life = c == 'd' ? PLAN_DOWN : PLAN_UP,
			.running = c != 'd',
			.health = c == 'h' ? HEALTH_HEALTHY : c == 'u' ? HEALTH_UNHEALTHY : HEALTH_STARTING,
			.failed = c == 'u',
			.retiring = c == 'r',
		};
		if (c == 'r')
			r[i].health = HEALTH_HEALTHY;
	}
	return n;
}

struct outcome {
	int start;
	char retired[MAXR + 1]; /* '1' per retired replica */
	char routed[MAXR + 1];
	enum plan_verdict verdict;
	size_t failed_at;
};

static struct outcome decide(const struct plan_service *s, const char *spec)
{
	struct plan_replica r[MAXR] = { 0 };
	bool retire[MAXR] = { 0 }, route[MAXR] = { 0 };
	struct plan p = { .retire = retire, .route = route };
	struct outcome o = { 0 };
	size_t n = replicas(spec, r);

	plan_service(s, r, n, &p);
	for (size_t i = 0; i < n; i++) {
		o.retired[i] = retire[i] ? '1' : '0';
		o.routed[i] = route[i] ? '1' : '0';
	}
	o.start = p.start;
	o.verdict = p.verdict;
	o.failed_at = p.failed_at;
	return o;
}

static struct plan_service service(int rev, bool pending, int replicas)
{
	return (struct plan_service){ .rev = rev, .pending = pending, .replicas = replicas,
				      .parallelism = 1, .batch_ready = true, .start_ready = true };
}

static void test_steady_keeps_n(void **state)
{
	(void)state;
	struct plan_service s = service(1, false, 3);
	struct outcome o = decide(&s, "h");

	assert_int_equal(o.start, 2);
	assert_string_equal(o.routed, "1");
	assert_int_equal(o.verdict, PLAN_STEADY);
	/* replicas being started count: no second start for them */
	s.starting = 2;
	assert_int_equal(decide(&s, "h").start, 0);
	/* the backoff holds replacements back */
	s.starting = 0;
	s.start_ready = false;
	assert_int_equal(decide(&s, "h").start, 0);
}

static void test_steady_replaces_failed_and_down(void **state)
{
	(void)state;
	struct plan_service s = service(1, false, 3);
	struct outcome o = decide(&s, "hud");

	assert_string_equal(o.retired, "011");
	assert_string_equal(o.routed, "100");
	assert_int_equal(o.start, 2);
}

static void test_steady_scale_down_prefers_unrouted_then_newest(void **state)
{
	(void)state;
	struct plan_service s = service(1, false, 2);

	assert_string_equal(decide(&s, "hshh").retired, "0101");
	s.replicas = 0;
	assert_string_equal(decide(&s, "hh").retired, "11");
	assert_int_equal(decide(&s, "hh").start, 0);
}

static void test_start_first_rolls_one_at_a_time(void **state)
{
	(void)state;
	struct plan_service s = service(2, true, 3);
	struct outcome o = decide(&s, "hhh");

	/* one new replica, no old one leaves yet */
	assert_int_equal(o.start, 1);
	assert_string_equal(o.retired, "000");
	assert_int_equal(o.verdict, PLAN_ROLLING);
	/* while it starts, nothing else happens */
	o = decide(&s, "hhhS");
	assert_int_equal(o.start, 0);
	assert_string_equal(o.retired, "0000");
	assert_string_equal(o.routed, "1110");
	/* healthy: the oldest old one leaves and the next new one starts */
	o = decide(&s, "hhhH");
	assert_string_equal(o.retired, "1000");
	assert_string_equal(o.routed, "0111");
	assert_int_equal(o.start, 1);
	/* the last old one goes when the third new one is healthy */
	o = decide(&s, "rrhHHH");
	assert_string_equal(o.retired, "001000");
	assert_int_equal(o.start, 0);
	/* all new and healthy: the monitor window, then done */
	assert_int_equal(decide(&s, "HHH").verdict, PLAN_MONITOR);
	s.monitor_over = true;
	assert_int_equal(decide(&s, "HHH").verdict, PLAN_DONE);
}

static void test_parallelism_and_delay(void **state)
{
	(void)state;
	struct plan_service s = service(2, true, 4);

	s.parallelism = 2;
	assert_int_equal(decide(&s, "hhhh").start, 2);
	assert_int_equal(decide(&s, "hhhhSH").start, 0);
	s.batch_ready = false;
	assert_int_equal(decide(&s, "hhHH").start, 0);
	/* the replacement backoff holds an upgrade's starts back too */
	s.batch_ready = true;
	s.start_ready = false;
	assert_int_equal(decide(&s, "hhhh").start, 0);
	assert_string_equal(decide(&s, "hhhhHH").retired, "110000");
}

static void test_stop_first_makes_room(void **state)
{
	(void)state;
	struct plan_service s = service(2, true, 3);
	struct outcome o;

	s.order = PLAN_STOP_FIRST;
	o = decide(&s, "hhh");
	assert_string_equal(o.retired, "100");
	assert_int_equal(o.start, 1);
	o = decide(&s, "rhhS");
	assert_string_equal(o.retired, "0000");
	assert_int_equal(o.start, 0);
}

static void test_old_unrouted_replicas_go_at_once(void **state)
{
	(void)state;
	struct plan_service s = service(2, true, 2);
	struct outcome o = decide(&s, "hsH");

	assert_string_equal(o.retired, "010");
	assert_int_equal(o.start, 1);
}

static void r_crashed_fails(const struct plan_service *s)
{
	struct plan_replica r[2] = { { .rev = 1, .n = 1, .life = PLAN_UP, .running = true,
				       .health = HEALTH_HEALTHY },
				     { .rev = 2, .n = 2, .life = PLAN_DOWN, .failed = true } };
	bool retire[2], route[2];
	struct plan p = { .retire = retire, .route = route };

	plan_service(s, r, 2, &p);
	assert_int_equal(p.verdict, PLAN_FAILED);
	assert_int_equal(p.failed_at, 1);
	assert_int_equal(p.start, 0);
}

static void test_failed_new_replica_fails_the_deploy(void **state)
{
	(void)state;
	struct plan_service s = service(2, true, 3);
	struct outcome o = decide(&s, "hhhU");

	assert_int_equal(o.verdict, PLAN_FAILED);
	assert_int_equal(o.failed_at, 3);
	assert_int_equal(o.start, 0);
	assert_string_equal(o.retired, "0000");
	assert_string_equal(o.routed, "1110");
	/* a new replica that crashed (down, never healthy) fails it too, and
	 * is not merely cleared away and started again */
	r_crashed_fails(&s);
	/* the same replica of an active revision is only replaced */
	s.pending = false;
	o = decide(&s, "hhhU");
	assert_int_equal(o.verdict, PLAN_STEADY);
}

static void test_rollback_target_takes_over(void **state)
{
	(void)state;
	/* rolled back to revision 1: its replicas are the current ones now,
	 * revision 2's failing ones leave at once */
	struct plan_service s = service(1, true, 2);
	struct outcome o = decide(&s, "hhUS");

	assert_string_equal(o.retired, "0011");
	assert_int_equal(o.start, 0);
	assert_int_equal(o.verdict, PLAN_MONITOR);
}

static void test_paused_only_routes(void **state)
{
	(void)state;
	struct plan_service s = service(2, true, 3);
	struct outcome o;

	s.paused = true;
	o = decide(&s, "hdU");
	assert_int_equal(o.start, 0);
	assert_string_equal(o.retired, "000");
	assert_string_equal(o.routed, "100");
	assert_int_equal(o.verdict, PLAN_STEADY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_keeps_n),
		cmocka_unit_test(test_steady_replaces_failed_and_down),
		cmocka_unit_test(test_steady_scale_down_prefers_unrouted_then_newest),
		cmocka_unit_test(test_start_first_rolls_one_at_a_time),
		cmocka_unit_test(test_parallelism_and_delay),
		cmocka_unit_test(test_stop_first_makes_room),
		cmocka_unit_test(test_old_unrouted_replicas_go_at_once),
		cmocka_unit_test(test_failed_new_replica_fails_the_deploy),
		cmocka_unit_test(test_rollback_target_takes_over),
		cmocka_unit_test(test_paused_only_routes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
