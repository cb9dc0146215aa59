/* Listener configurations from the control socket. */
#include "proxy/conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "proxy/addr.h"

static const char *const known_keys[] = {
	"cmd", "listen", "mode", "balance", "backends", "drain_timeout_ms", NULL,
};

/* Unknown fields are errors: a misspelt one would otherwise be ignored. */
static int check_keys(json_t *obj, const char *const *keys, const char *where, berr_t *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		const char *const *k = keys;

		while (*k && strcmp(*k, key))
			k++;
		if (!*k)
			return err_set(err, EINVAL, "%s%s%s: unknown field", where, *where ? "." : "", key);
	}
	return 0;
}

static int parse_choice(json_t *obj, const char *key, const char *const *names, int *out,
			berr_t *err)
{
	cleanup_free char *s = NULL;
	int r = jget_string(obj, key, "", false, &s, err);

	if (r <= 0)
		return r;
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return err_set(err, EINVAL, "%s: unknown value \"%s\"", key, s);
}

static int parse_backend(json_t *v, size_t i, struct backend_conf *b, berr_t *err)
{
	static const char *const keys[] = { "addr", "weight", NULL };
	struct sockaddr_storage sa;
	struct jpath p;
	const char *where = jpath_index(&p, "backends", i);
	int64_t weight = 1;
	socklen_t len;

	if (jcheck_object(v, where, err) < 0 || check_keys(v, keys, where, err) < 0 ||
	    jget_string(v, "addr", where, true, &b->addr, err) < 0 ||
	    jget_int(v, "weight", where, 1, CONF_WEIGHT_MAX, false, &weight, err) < 0)
		return -1;
	b->weight = (unsigned)weight;
	if (addr_parse(b->addr, &sa, &len, err) < 0)
		return err_prefix(err, "%s.addr", where);
	return 0;
}

static int parse_backends(json_t *arr, struct listener_conf *c, berr_t *err)
{
	size_t n = json_array_size(arr);

	c->backends = calloc(n ? n : 1, sizeof(*c->backends));
	if (!c->backends)
		return err_sys(err, "backends");
	for (size_t i = 0; i < n; i++) {
		c->nbackends = i + 1; /* freed by the caller even if half filled */
		if (parse_backend(json_array_get(arr, i), i, &c->backends[i], err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->backends[j].addr, c->backends[i].addr))
				return err_set(err, EINVAL, "backends[%zu].addr: %s listed twice", i,
					       c->backends[i].addr);
	}
	return 0;
}

int conf_parse(json_t *obj, struct listener_conf *c, berr_t *err)
{
	static const char *const modes[] = { "http", "tcp", NULL };
	static const char *const balances[] = { "round_robin", "least_conn", NULL };
	struct sockaddr_storage sa;
	json_t *arr = NULL;
	int mode = MODE_HTTP, balance = BALANCE_ROUND_ROBIN;
	socklen_t len;

	memset(c, 0, sizeof(*c));
	c->drain_ms = CONF_DRAIN_MS_DEFAULT;
	if (check_keys(obj, known_keys, "", err) < 0 ||
	    jget_string(obj, "listen", "", true, &c->listen, err) < 0 ||
	    addr_parse(c->listen, &sa, &len, err) < 0 ||
	    parse_choice(obj, "mode", modes, &mode, err) < 0 ||
	    parse_choice(obj, "balance", balances, &balance, err) < 0 ||
	    jget_int(obj, "drain_timeout_ms", "", 0, CONF_DRAIN_MS_MAX, false, &c->drain_ms, err) < 0 ||
	    jget_array(obj, "backends", "", true, &arr, err) < 0 ||
	    parse_backends(arr, c, err) < 0) {
		listener_conf_free(c);
		return -1;
	}
	c->mode = (enum mode)mode;
	c->balance = (enum balance)balance;
	return 0;
}
