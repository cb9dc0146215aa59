/* A kept container's current status (see status.h). */
#include "container/status.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/proc.h"

static const char *state_str(json_t *state, const char *key)
{
	const char *s = json_string_value(json_object_get(state, key));

	return s ? s : "";
}

/* state.json says what the monitor last knew; a monitor that is gone
 * without writing "exited" was killed, and the container may still run. */
static void derive(struct container_view *v)
{
	const char *status = state_str(v->state, "Status");
	pid_t mpid = (pid_t)json_integer_value(json_object_get(v->state, "MonitorPid"));
	uint64_t mstart = (uint64_t)json_integer_value(json_object_get(v->state, "MonitorStartTime"));
	pid_t pid = (pid_t)json_integer_value(json_object_get(v->state, "Pid"));
	uint64_t pid_start = (uint64_t)json_integer_value(json_object_get(v->state, "PidStartTime"));

	v->monitor_alive = mpid > 0 && proc_is_alive(mpid, mstart);
	if (!*status || !strcmp(status, "created"))
		v->status = v->monitor_alive ? "created" : (*status ? "dead" : "created");
	else if (!strcmp(status, "exited"))
		v->status = "exited";
	else if (v->monitor_alive)
		v->status = !strcmp(status, "restarting") ? "restarting" : "running";
	else
		v->status = "dead";
	/* A dead container's init may still run, unmonitored. */
	v->pid = (!strcmp(v->status, "running") || !strcmp(v->status, "dead")) && pid > 0 &&
			 proc_is_alive(pid, pid_start)
		 ? pid : 0;
}

int container_view_load(const char *root, const char *run_root, const char *id,
			struct container_view *v, berr_t *err)
{
	memset(v, 0, sizeof(*v));
	berr_t bad = NULL;

	if (container_paths(root, run_root, id, &v->paths, err) < 0 ||
	    container_record_load(v->paths.dir, &v->rec, err) < 0)
		return -1;
	if (container_state_load(v->paths.dir, &v->state, &bad) < 0) {
		/* One damaged file must not hide the container or block its
		 * removal. */
		v->state_error = strdup(err_msg(bad));
		err_free(&bad);
		v->state = json_object();
		v->status = "unknown";
		return v->state_error ? 0 : err_sys(err, "container %.12s", id);
	}
	if (!v->state)
		v->state = json_object();
	derive(v);
	return 0;
}

void container_view_clear(struct container_view *v)
{
	json_decref(v->rec);
	json_decref(v->state);
	free(v->state_error);
	v->rec = v->state = NULL;
	v->state_error = NULL;
}

bool container_view_active(const struct container_view *v)
{
	return v->monitor_alive && strcmp(v->status, "exited");
}

void container_view_await_monitor(struct container_view *v, int timeout_ms)
{
	pid_t mpid = (pid_t)json_integer_value(json_object_get(v->state, "MonitorPid"));
	int fd;

	if (!v->monitor_alive || (fd = (int)syscall(SYS_pidfd_open, mpid, 0)) < 0)
		return;
	struct pollfd p = { fd, POLLIN, 0 };

	/* A reused pid would only make this wait for nothing. */
	if (proc_is_alive(mpid, (uint64_t)json_integer_value(json_object_get(v->state, "MonitorStartTime"))))
		poll(&p, 1, timeout_ms);
	close(fd);
	v->monitor_alive = false;
}
