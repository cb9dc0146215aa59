#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int units_parse_int(const char *s, const char *what, int64_t min, int64_t max,
		    int64_t *out, berr_t *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno == ERANGE || v < min || v > max)
		return err_set(err, EINVAL, "%s: '%s' is not an integer in [%lld, %lld]",
			       what, s, (long long)min, (long long)max);
	*out = v;
	return 0;
}

int units_parse_bytes(const char *s, const char *what, int64_t *out,
		      berr_t *err)
{
	static const char suffixes[] = "bkmgtp";
	char *end;
	double v;
	const char *unit;
	int shift;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || v < 0 || errno)
		return err_set(err, EINVAL, "%s: '%s' is not a size like 512m", what, s);
	unit = *end ? strchr(suffixes, tolower((unsigned char)*end)) : suffixes;
	if (!unit || (end[0] && end[1] && strcasecmp(end + 1, "b") != 0 &&
		      strcasecmp(end + 1, "ib") != 0))
		return err_set(err, EINVAL, "%s: '%s' has an unknown unit", what, s);
	shift = (int)(unit - suffixes) * 10;
	if (v * (double)(1ULL << shift) >= 9.2e18)
		return err_set(err, ERANGE, "%s: '%s' is too large", what, s);
	*out = (int64_t)(v * (double)(1ULL << shift));
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },	    { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },   { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },   { "BUS", SIGBUS },	    { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },
	{ "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "STOP", SIGSTOP },   { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },   { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
	{ "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO },
	{ "POLL", SIGPOLL }, { "PWR", SIGPWR },	    { "SYS", SIGSYS },
};

static int rt_signal(const char *s, int *sig)
{
	int64_t off;
	berr_t ignored = NULL;
	int r = -1;

	if (strcasecmp(s, "RTMIN") == 0 || strcasecmp(s, "RTMAX") == 0) {
		*sig = toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN : SIGRTMAX;
		return 0;
	}
	if (strncasecmp(s, "RTMIN+", 6) == 0 &&
	    units_parse_int(s + 6, "signal", 0, SIGRTMAX - SIGRTMIN, &off, &ignored) == 0) {
		*sig = SIGRTMIN + (int)off;
		r = 0;
	} else if (strncasecmp(s, "RTMAX-", 6) == 0 &&
		   units_parse_int(s + 6, "signal", 0, SIGRTMAX - SIGRTMIN, &off, &ignored) == 0) {
		*sig = SIGRTMAX - (int)off;
		r = 0;
	}
	err_free(&ignored);
	return r;
}

int units_parse_signal(const char *s, int *sig, berr_t *err)
{
	const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	int64_t n;

	if (isdigit((unsigned char)s[0])) {
		if (units_parse_int(s, "signal", 1, SIGRTMAX, &n, err) < 0)
			return -1;
		*sig = (int)n;
		return 0;
	}
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(*signal_names); i++)
		if (strcasecmp(signal_names[i].name, name) == 0) {
			*sig = signal_names[i].sig;
			return 0;
		}
	if (rt_signal(name, sig) == 0)
		return 0;
	return err_set(err, EINVAL, "unknown signal '%s'", s);
}
