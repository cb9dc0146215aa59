#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
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
	const char *p = s + strspn(s, "0123456789");
	const char *unit = suffixes;
	double v;

	if (strcmp(s, "-1") == 0) {
		*out = -1;
		return 0;
	}
	/* Digits, an optional fraction, an optional unit: nothing strtod
	 * would also take (hex, inf, nan, exponents). */
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	if (p == s || !isdigit((unsigned char)s[0]))
		return err_set(err, EINVAL, "%s: '%s' is not a size like 512m", what, s);
	if (*p && (!(unit = strchr(suffixes, tolower((unsigned char)*p))) ||
		   (p[1] && strcasecmp(p + 1, "b") && strcasecmp(p + 1, "ib"))))
		return err_set(err, EINVAL, "%s: '%s' has an unknown unit", what, s);
	v = strtod(s, NULL) * (double)(1ULL << ((unit - suffixes) * 10));
	if (!isfinite(v) || v >= 9.2e18)
		return err_set(err, ERANGE, "%s: '%s' is too large", what, s);
	*out = (int64_t)v;
	return 0;
}

static const struct {
	const char *unit;
	double ns;
} durations[] = {
	/* Longest first, so "ms" is not read as "m" then "s". */
	{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "h", 3600e9 }, { "m", 60e9 }, { "s", 1e9 },
};

int units_parse_duration(const char *s, const char *what, int64_t *ns,
			 berr_t *err)
{
	const char *p = s;
	double total = 0;

	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	while (*p) {
		size_t digits = strspn(p, "0123456789."), i;
		double v = strtod(p, NULL);
		const char *dot = memchr(p, '.', digits);

		/* Numbers only, one point at most: nothing else strtod takes. */
		if (!digits || (dot && memchr(dot + 1, '.', digits - (size_t)(dot + 1 - p))))
			break;
		p += digits;
		for (i = 0; i < sizeof(durations) / sizeof(*durations); i++)
			if (!strncmp(p, durations[i].unit, strlen(durations[i].unit)))
				break;
		if (i == sizeof(durations) / sizeof(*durations))
			return err_set(err, EINVAL, "%s: '%s' is not a duration like 30s or 1m30s",
				       what, s);
		total += v * durations[i].ns;
		p += strlen(durations[i].unit);
	}
	if (p == s || *p || !isfinite(total) || total >= 9.2e18)
		return err_set(err, EINVAL, "%s: '%s' is not a duration like 30s or 1m30s", what, s);
	*ns = (int64_t)total;
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
