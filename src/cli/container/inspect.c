/* `berth inspect CONTAINER`: the container's record with docker's field
 * names (Id, Name, Created, Config, HostConfig, Mounts, LogPath), State
 * from its monitor, and berth's restart fields (State.NextRestartAt,
 * RestartCount). */
#include <errno.h>
#include <string.h>

#include "cli/container/container.h"
#include "container/record.h"
#include "container/status.h"

static json_t *state_json(const struct container_view *v)
{
	json_t *st = v->state;
	const char *s = v->status;

	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:s, s:s, s:s, s:s, s:I, s:b}",
			 "Status", s, "Running", !strcmp(s, "running"), "Paused", 0, "Restarting",
			 !strcmp(s, "restarting"), "OOMKilled", 0, "Dead", !strcmp(s, "dead"),
			 "Pid", (json_int_t)v->pid, "ExitCode",
			 (json_int_t)json_integer_value(json_object_get(st, "ExitCode")), "Error",
			 json_string_value(json_object_get(st, "Error")) ?: "", "StartedAt",
			 json_string_value(json_object_get(st, "StartedAt")) ?: "", "FinishedAt",
			 json_string_value(json_object_get(st, "FinishedAt")) ?: "",
			 "NextRestartAt", json_string_value(json_object_get(st, "NextRestartAt")) ?: "",
			 "MonitorPid",
			 (json_int_t)(v->monitor_alive ? json_integer_value(json_object_get(st, "MonitorPid")) : 0),
			 "StoppedByUser", json_is_true(json_object_get(st, "StoppedByUser")));
}

int ctr_inspect_one(struct berth_globals *g, const char *ref, json_t **out, berr_t *err)
{
	char id[CONTAINER_ID_LEN + 1];
	struct container_view v;

	if (container_lookup(g->root, ref, id, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return -1;
		err_free(err);
		return 1;
	}
	if (container_view_load(g->root, g->run_root, id, &v, err) < 0) {
		container_view_clear(&v);
		return -1;
	}
	*out = json_deep_copy(v.rec);
	if (*out) {
		json_object_set_new(*out, "State", state_json(&v));
		json_object_set_new(*out, "RestartCount",
				    json_integer(json_integer_value(json_object_get(v.state, "RestartCount"))));
		json_t *net = NULL;

		if (ctr_network_settings(g, id, &net, err) < 0) {
			json_decref(*out);
			container_view_clear(&v);
			return -1;
		}
		json_object_set_new(*out, "NetworkSettings", net);
	}
	container_view_clear(&v);
	return *out ? 0 : err_set(err, ENOMEM, "inspect");
}
