/* Replica names <service>.<revision>.<n> (daemon/replica_name.h): what a
 * new berthd reads back, and what it must not take for a replica. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/replica_name.h"

static void test_names(void **state)
{
	char svc[16];
	int64_t rev = 0, n = 0;

	(void)state;
	assert_true(replica_name_parse("web.3.7", svc, sizeof(svc), &rev, &n));
	assert_string_equal(svc, "web");
	assert_int_equal(rev, 3);
	assert_int_equal(n, 7);
	/* a service name with dots: the last two fields are the numbers */
	assert_true(replica_name_parse("api.v2.12.345", svc, sizeof(svc), &rev, &n));
	assert_string_equal(svc, "api.v2");
	assert_int_equal(rev, 12);
	assert_int_equal(n, 345);
	static const char *const not_replicas[] = {
		"web", "web.3", ".3.7", "web..7", "web.3.", "web.03.7", "web.3.0x",
		"web.-3.7", "web.3.7a", "web.1234567890123456.1", "a-very-long-service.1.1",
	};
	for (size_t i = 0; i < sizeof(not_replicas) / sizeof(*not_replicas); i++)
		assert_false(replica_name_parse(not_replicas[i], svc, sizeof(svc), &rev, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
