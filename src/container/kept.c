/* A kept container's record and monitor.conf (see kept.h). */
#include "container/kept.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/units.h"
#include "container/record.h"
#include "monitor/conf.h"

/* --stop-signal, else the image's StopSignal, else SIGTERM. */
static int stop_signal(const struct run_options *o, const struct image *img, int *sig, berr_t *err)
{
	*sig = o->stop_signal ? o->stop_signal : SIGTERM;
	if (!o->stop_signal && img->config.stop_signal &&
	    units_parse_signal(img->config.stop_signal, sig, err) < 0)
		return err_prefix(err, "the image's StopSignal");
	return 0;
}

static int64_t stop_timeout(const struct run_options *o)
{
	return o->stop_timeout >= 0 ? o->stop_timeout : 10;
}

int kept_monitor_conf(const struct run_options *o, const struct image *img, char *buf,
		      size_t len, berr_t *err)
{
	const struct restart_policy *r = &o->restart;
	char mode[32];
	int sig, n;

	if (stop_signal(o, img, &sig, err) < 0)
		return -1;
	if (r->max_retries)
		snprintf(mode, sizeof(mode), "%s:%u", restart_mode_name(r->mode), r->max_retries);
	else
		snprintf(mode, sizeof(mode), "%s", restart_mode_name(r->mode));
	n = snprintf(buf, len,
		     "restart=%s\nrestart-delay-ns=%" PRIu64 "\nrestart-max-delay-ns=%" PRIu64
		     "\nrestart-multiplier=%g\nrestart-reset-ns=%" PRIu64 "\nlog-max-size=%" PRIu64
		     "\nlog-max-files=%" PRId64 "\nstop-signal=%d\nstop-timeout=%" PRId64
		     "\ntty=%d\ninteractive=%d\nrm=%d\n",
		     mode, r->delay_ns,
		     r->max_delay_ns, r->multiplier, r->reset_ns,
		     o->log_max_size ? (uint64_t)o->log_max_size : LOG_DEFAULT_MAX_SIZE,
		     o->log_max_files ? o->log_max_files : LOG_DEFAULT_MAX_FILES, sig,
		     stop_timeout(o), o->tty, o->interactive, o->rm);
	if (n < 0 || (size_t)n >= len)
		return err_set(err, EOVERFLOW, "monitor.conf too long");
	return 0;
}

static json_t *restart_json(const struct restart_policy *r)
{
	return json_pack("{s:s, s:i, s:I, s:I, s:f, s:I}", "Name", restart_mode_name(r->mode),
			 "MaximumRetryCount", (int)r->max_retries, "DelayNs", (json_int_t)r->delay_ns,
			 "MaxDelayNs", (json_int_t)r->max_delay_ns, "Multiplier", r->multiplier,
			 "ResetAfterNs", (json_int_t)r->reset_ns);
}

static json_t *host_config(const struct run_options *o)
{
	json_t *binds = json_array();

	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		json_array_append_new(binds, json_string(o->volumes[i]));
	return json_pack("{s:o, s:b, s:s, s:o, s:o, s:I, s:f, s:I, s:b, s:b, s:{s:I, s:I}, s:{s:s, s:{s:I, s:I}}}",
			 "RestartPolicy", restart_json(&o->restart), "AutoRemove", o->rm,
			 "NetworkMode", o->network ? o->network : "none",
			 "PublishedPorts", port_maps_json(o->ports, o->n_ports), "Binds", binds,
			 "Memory", (json_int_t)o->memory, "Cpus", o->cpus,
			 "PidsLimit", (json_int_t)o->pids_limit, "ReadonlyRootfs", o->read_only,
			 "Init", o->init, "Userns", "Base", (json_int_t)o->userns.base, "Size",
			 (json_int_t)o->userns.size, "LogConfig", "Type", "berth-cri",
			 "Config", "max-size",
			 (json_int_t)(o->log_max_size ? o->log_max_size : (int64_t)LOG_DEFAULT_MAX_SIZE),
			 "max-file",
			 (json_int_t)(o->log_max_files ? o->log_max_files : LOG_DEFAULT_MAX_FILES));
}

/* The image's labels with --label's over them. */
static json_t *labels(const struct fg_container *c, const struct run_options *o)
{
	json_t *l = json_deep_copy(c->img->config.labels);

	for (char **kv = o->labels; l && kv && *kv; kv++) {
		const char *eq = strchr(*kv, '=');
		char *key = strndup(*kv, eq ? (size_t)(eq - *kv) : strlen(*kv));

		if (!key || json_object_set_new(l, key, json_string(eq ? eq + 1 : "")) < 0) {
			free(key);
			json_decref(l);
			return NULL;
		}
		free(key);
	}
	return l;
}

/* Config: what the process is, from the OCI config just written (the
 * image's settings with run's flags applied). */
static json_t *config(json_t *oci, const struct fg_container *c, const struct run_options *o,
		      const char *image_ref)
{
	json_t *proc = json_object_get(oci, "process");

	int sig = SIGTERM;
	berr_t ignored = NULL;

	stop_signal(o, c->img, &sig, &ignored); /* checked by kept_monitor_conf */
	err_free(&ignored);
	return json_pack("{s:s, s:O, s:O, s:s, s:s, s:b, s:b, s:o, s:i, s:I}",
			 "Image", image_ref, "Cmd", json_object_get(proc, "args"),
			 "Env", json_object_get(proc, "env"), "WorkingDir",
			 json_string_value(json_object_get(proc, "cwd")) ?: "/",
			 "Hostname", json_string_value(json_object_get(oci, "hostname")) ?: "",
			 "Tty", o->tty, "OpenStdin", o->interactive, "Labels",
			 labels(c, o), "StopSignal", sig, "StopTimeout",
			 (json_int_t)stop_timeout(o));
}

static int record(struct fg_container *c, const struct run_options *o, const char *image_ref,
		  json_t **out, berr_t *err)
{
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *text = NULL;
	json_t *oci;
	size_t len;
	char now[32], log_path[PATH_MAX + 32];

	if (dirfd < 0 || fs_read_file_at(dirfd, "config.json", 1 << 22, &text, &len, err) < 0)
		return dirfd < 0 ? err_sys(err, "open %s", c->dir) : -1;
	oci = json_loadb(text, len, 0, NULL);
	if (!oci)
		return err_set(err, EINVAL, "%s/config.json: not JSON", c->dir);
	image_time_now(now);
	snprintf(log_path, sizeof(log_path), "%s/container.log", c->dir);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:O?}", "Id", c->id,
			 "Name", o->name ? o->name : "", "Created", now, "Image",
			 c->img->config_digest, "ImageManifest", c->img->manifest_digest,
			 "ImageName", image_ref, "Config", config(oci, c, o, image_ref),
			 "HostConfig", host_config(o), "LogPath", log_path, "Mounts",
			 json_object_get(oci, "mounts"));
	json_decref(oci);
	return *out ? 0 : err_set(err, ENOMEM, "container %s: build its record", c->id);
}

int kept_create(struct fg_container *c, const struct run_options *o, const char *image_ref,
		const char *run_root, berr_t *err)
{
	char conf[1024], run_dir[PATH_MAX];
	cleanup_close int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	json_t *rec = NULL;
	int r;

	if (dirfd < 0)
		return err_sys(err, "open %s", c->dir);
	if (snprintf(run_dir, sizeof(run_dir), "%s/containers/%s", run_root, c->id) >=
	    (int)sizeof(run_dir))
		return err_set(err, ENAMETOOLONG, "run root '%s' too long", run_root);
	if (kept_monitor_conf(o, c->img, conf, sizeof(conf), err) < 0 ||
	    fs_write_atomic_at(dirfd, "monitor.conf", conf, strlen(conf), 0600, FS_DURABLE, err) < 0 ||
	    fs_mkdir_p(run_dir, 0700, err) < 0 || record(c, o, image_ref, &rec, err) < 0)
		return -1;
	r = container_record_write(c->dir, rec, err);
	json_decref(rec);
	return r;
}
