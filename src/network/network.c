/* Attaching containers to bridge networks through CNI, and releasing
 * them.  Every change happens under the network lock (netdef_lock), so
 * attaching, releasing, the stale sweep, rewriting hosts files and
 * removing networks never interleave.
 *
 * The record is written before anything is made, so whatever a crash
 * leaves behind (a namespace, a veth, rules, an address) has a record
 * that the next stale sweep releases. */
#include "network/network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/proc.h"
#include "common/strv.h"
#include "network/cni.h"
#include "network/etc_files.h"
#include "network/netdef.h"
#include "network/netns.h"
#include "network/record.h"

static const char *str_of(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

bool net_wanted(const char *network)
{
	return network && strcmp(network, "none") && strcmp(network, "host");
}

/* A free port for "-p CONTAINERPORT": the kernel's pick for a socket
 * bound to port 0 in this (the host's) namespace. */
static int choose_port(struct port_map *p, berr_t *err)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	cleanup_close int fd = socket(AF_INET, (!strcmp(p->proto, "udp") ? SOCK_DGRAM
									   : SOCK_STREAM) |
						       SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return err_sys(err, "-p %u: choose a host port", p->container_port);
	p->host_port = ntohs(a.sin_port);
	return 0;
}

/* bridge with host-local IPAM (allocations under the run root, so a
 * reboot frees them with everything else), masquerading out of the
 * subnet, then portmap with SNAT so 127.0.0.1:HOSTPORT reaches the
 * container too. */
static json_t *chain_conf(const struct net_def *d, const char *ipam_dir, json_t *ports)
{
	char sub[SUBNET_STR_MAX], gw[INET_ADDRSTRLEN];
	json_t *list, *plugins;

	subnet_format(&d->subnet, sub);
	addr_format(d->gateway, gw);
	plugins = json_pack("[{s:s,s:s,s:b,s:b,s:b,s:{s:s,s:[[{s:s,s:s}]],s:[{s:s}],s:s}}]",
			    "type", "bridge", "bridge", d->bridge, "isGateway", 1, "ipMasq", 1,
			    "hairpinMode", 1, "ipam", "type", "host-local", "ranges", "subnet",
			    sub, "gateway", gw, "routes", "dst", "0.0.0.0/0", "dataDir", ipam_dir);
	if (json_array_size(ports))
		json_array_append_new(plugins,
				      json_pack("{s:s,s:{s:b},s:b,s:{s:O}}", "type", "portmap",
						"capabilities", "portMappings", 1, "snat", 1,
						"runtimeConfig", "portMappings", ports));
	list = json_pack("{s:s,s:s,s:o}", "cniVersion", CNI_VERSION, "name", d->name, "plugins",
			 plugins);
	return list;
}

static json_t *loopback_conf(void)
{
	return json_pack("{s:s,s:s,s:[{s:s}]}", "cniVersion", CNI_VERSION, "name", "berth-lo",
			 "plugins", "type", "loopback");
}

static int netns_path(const struct net_roots *r, const char *id, char out[PATH_MAX],
		      berr_t *err)
{
	return net_path(out, err, "%s/netns/%s", r->run, id);
}

/* The first address of a CNI result, without its prefix length. */
static int result_ip(json_t *result, char out[INET_ADDRSTRLEN], berr_t *err)
{
	const char *a = json_string_value(
		json_object_get(json_array_get(json_object_get(result, "ips"), 0), "address"));
	size_t n = a ? strcspn(a, "/") : 0;

	if (!n || n >= INET_ADDRSTRLEN)
		return err_set(err, EIO, "CNI result: no IP address");
	memcpy(out, a, n);
	out[n] = '\0';
	return 0;
}

static json_t *owner_json(pid_t owner)
{
	return json_pack("{s:i,s:I}", "pid", (int)owner, "start",
			 (json_int_t)(owner ? proc_start_time(owner) : 0));
}

/* The record before anything exists: enough to undo every later step. */
static int first_record(const struct net_roots *r, const struct net_request *rq,
			const char *netns, json_t **doc, berr_t *err)
{
	char ipam[PATH_MAX];
	struct net_def def;
	json_t *ports;

	if (netdef_load(r->store, rq->network, &def, err) < 0 ||
	    net_path(ipam, err, "%s/networks/ipam", r->run) < 0)
		return -1;
	ports = port_maps_json(rq->ports, rq->n_ports);
	*doc = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:o,s:o,s:o}", "id", rq->container_id, "network",
			 rq->network, "name", rq->name, "hostname",
			 rq->hostname ? rq->hostname : "", "netns", netns, "owner",
			 owner_json(rq->owner), "ports", json_incref(ports), "cni",
			 chain_conf(&def, ipam, ports));
	json_decref(ports);
	if (!*doc)
		return err_set(err, ENOMEM, "network attachment record");
	return rec_write(r, rq->container_id, *doc, err);
}

static int add_all(const struct net_roots *r, const char *id, const char *netns, json_t *doc,
		   struct net_attachment *out, berr_t *err)
{
	struct cni_call lo = { .container_id = id, .netns = netns, .ifname = "lo" };
	struct cni_call eth = { .container_id = id, .netns = netns, .ifname = "eth0" };
	json_t *lo_conf = loopback_conf(), *result = NULL, *lo_result = NULL;
	int rc = cni_add(lo_conf, &lo, &lo_result, err);

	json_decref(lo_conf);
	json_decref(lo_result);
	if (rc < 0 || cni_add(json_object_get(doc, "cni"), &eth, &result, err) < 0)
		return err_prefix(err, "network '%s'", str_of(json_object_get(doc, "network")));
	json_object_set_new(doc, "result", result);
	if (result_ip(result, out->ip, err) < 0)
		return -1;
	json_object_set_new(doc, "ip", json_string(out->ip));
	return rec_write(r, id, doc, err);
}

static int attach_locked(const struct net_roots *r, const struct net_request *rq,
			 struct net_attachment *out, berr_t *err)
{
	char dir[PATH_MAX], netns_dir[PATH_MAX], host12[13];
	json_t *doc = NULL;
	int rc;

	snprintf(host12, sizeof(host12), "%.12s", rq->container_id);
	if (rec_dir(r, rq->container_id, false, dir, err) < 0 ||
	    netns_path(r, rq->container_id, out->netns, err) < 0 ||
	    net_path(netns_dir, err, "%s/netns", r->run) < 0 || fs_mkdir_p(netns_dir, 0755, err) < 0 ||
	    net_path(out->resolv, err, "%s/resolv.conf", dir) < 0 ||
	    net_path(out->hostname, err, "%s/hostname", dir) < 0 ||
	    first_record(r, rq, out->netns, &doc, err) < 0)
		return -1;
	rc = netns_create(out->netns, err);
	if (rc == 0)
		rc = add_all(r, rq->container_id, out->netns, doc, out, err);
	json_decref(doc);
	if (rc < 0)
		return -1;
	if (etc_write_own(dir, rq->hostname ? rq->hostname : host12, err) < 0)
		return -1;
	return etc_hosts_update(r, rq->network, out->hosts, err);
}

static int release_locked(const struct net_roots *r, const char *id, berr_t *err)
{
	char netns[PATH_MAX];
	cleanup_free char *network = NULL;
	json_t *doc = NULL;
	int rc = 0;

	if (netns_path(r, id, netns, err) < 0 || rec_check_id(id, err) < 0)
		return -1;
	if (rec_read(r, id, &doc, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return err_prefix(err, "network of container %s", id);
		err_free(err);
	}
	if (doc) {
		struct cni_call c = { .container_id = id, .ifname = "eth0",
				      .netns = netns_is_bound(netns) ? netns : "" };

		/* Kept for a later retry when DEL fails: what it tracks still
		 * exists.  lo needs no DEL: it goes with the namespace. */
		rc = cni_del(json_object_get(doc, "cni"), &c, json_object_get(doc, "result"), err);
		network = rc < 0 ? NULL
				 : strdup(str_of(json_object_get(doc, "network")));
		json_decref(doc);
		if (rc < 0)
			return err_prefix(err, "release the network of container %s", id);
	}
	if (netns_remove(netns, err) < 0 || rec_remove(r, id, err) < 0)
		return -1;
	return network && *network ? etc_hosts_update(r, network, NULL, err) : 0;
}

static bool container_gone(const struct net_roots *r, const char *id, json_t *doc)
{
	json_t *owner = json_object_get(doc, "owner");
	pid_t pid = (pid_t)json_integer_value(json_object_get(owner, "pid"));
	char dir[PATH_MAX];
	struct stat st;

	if (pid > 0 &&
	    !proc_is_alive(pid, (uint64_t)json_integer_value(json_object_get(owner, "start"))))
		return true;
	return net_path(dir, NULL, "%s/containers/%s", r->store, id) == 0 && stat(dir, &st) < 0 &&
	       errno == ENOENT;
}

static void stale_locked(const struct net_roots *r, bool (*gone)(const char *, void *),
			 void *arg, const char *skip)
{
	cleanup_strv char **ids = NULL;
	berr_t err = NULL;

	if (rec_ids(r, &ids, &err) < 0) {
		fprintf(stderr, "berth: stale network attachments: %s\n", err_msg(err));
		err_free(&err);
		return;
	}
	for (size_t i = 0; ids[i]; i++) {
		json_t *doc = NULL;
		bool stale;

		if (skip && !strcmp(ids[i], skip))
			continue;
		if (rec_read(r, ids[i], &doc, &err) < 0)
			err_free(&err); /* no record: released below all the same */
		stale = container_gone(r, ids[i], doc) || (gone && gone(ids[i], arg));
		json_decref(doc);
		if (stale && release_locked(r, ids[i], &err) < 0) {
			fprintf(stderr, "berth: stale network attachment: %s\n", err_msg(err));
			err_free(&err);
		}
	}
}

int net_cleanup_stale(const struct net_roots *r, bool (*gone)(const char *id, void *arg),
		      void *arg, berr_t *err)
{
	int lock = netdef_lock(r->store, err);

	if (lock < 0)
		return -1;
	stale_locked(r, gone, arg, NULL);
	close(lock);
	return 0;
}

int net_prepare(const struct net_roots *r, const struct net_request *rq,
		struct net_attachment *out, berr_t *err)
{
	cleanup_close int lock = -1;
	struct port_map *ports = NULL;
	struct net_request chosen = *rq;
	int rc;

	memset(out, 0, sizeof(*out));
	if (rec_check_id(rq->container_id, err) < 0 || netdef_check_name(rq->network, err) < 0)
		return -1;
	lock = netdef_lock(r->store, err);
	if (lock < 0)
		return -1;
	stale_locked(r, NULL, NULL, rq->container_id);
	if (rq->n_ports) {
		ports = calloc(rq->n_ports, sizeof(*ports));
		if (!ports)
			return err_sys(err, "ports");
		memcpy(ports, rq->ports, rq->n_ports * sizeof(*ports));
		chosen.ports = ports;
	}
	rc = 0;
	for (size_t i = 0; rc == 0 && i < rq->n_ports; i++)
		if (!ports[i].host_port)
			rc = choose_port(&ports[i], err);
	if (rc == 0 && (rc = attach_locked(r, &chosen, out, err)) < 0) {
		berr_t undo = NULL;

		if (release_locked(r, rq->container_id, &undo) < 0)
			fprintf(stderr, "berth: undo network attachment: %s\n", err_msg(undo));
		err_free(&undo);
	}
	free(ports);
	return rc;
}

int net_release(const struct net_roots *r, const char *container_id, berr_t *err)
{
	int lock = netdef_lock(r->store, err), rc;

	if (lock < 0)
		return -1;
	rc = release_locked(r, container_id, err);
	close(lock);
	return rc;
}

static json_t *bind_mount(const char *dst, const char *src, bool ro)
{
	return json_pack("{s:s,s:s,s:s,s:[s,s,s]}", "destination", dst, "type", "bind", "source",
			 src, "options", "rbind", ro ? "ro" : "rw", "nosuid");
}

int net_config_apply(json_t *cfg, const struct net_attachment *a, berr_t *err)
{
	json_t *linux = json_object_get(cfg, "linux");
	json_t *ns = json_object_get(linux, "namespaces"), *mounts = json_object_get(cfg, "mounts");
	size_t i;

	if (!json_is_array(ns) || !json_is_array(mounts))
		return err_set(err, EINVAL, "config: no linux.namespaces or mounts to join a network");
	for (i = 0; i < json_array_size(ns); i++)
		if (!strcmp(str_of(json_object_get(json_array_get(ns, i), "type")), "network"))
			break;
	if (i == json_array_size(ns))
		json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
	json_object_set_new(json_array_get(ns, i), "path", json_string(a->netns));
	json_array_append_new(mounts, bind_mount("/etc/hosts", a->hosts, true));
	json_array_append_new(mounts, bind_mount("/etc/resolv.conf", a->resolv, false));
	json_array_append_new(mounts, bind_mount("/etc/hostname", a->hostname, false));
	return 0;
}

int net_attachments(const struct net_roots *r, const char *network, json_t **out,
		    berr_t *err)
{
	cleanup_strv char **ids = NULL;

	if (rec_ids(r, &ids, err) < 0)
		return -1;
	*out = json_object();
	for (size_t i = 0; ids[i]; i++) {
		json_t *doc = NULL;
		const char *net;

		if (rec_read(r, ids[i], &doc, NULL) < 0)
			continue;
		net = json_string_value(json_object_get(doc, "network"));
		if (net && (!network || !strcmp(net, network)))
			json_object_set_new(*out, ids[i],
					    json_pack("{s:O?,s:O?,s:O?,s:O?}", "name",
						      json_object_get(doc, "name"), "network",
						      json_object_get(doc, "network"), "ip",
						      json_object_get(doc, "ip"), "ports",
						      json_object_get(doc, "ports")));
		json_decref(doc);
	}
	return 0;
}

int net_remove(const struct net_roots *r, const char *name, berr_t *err)
{
	cleanup_close int lock = netdef_lock(r->store, err);
	cleanup_close int ipam_fd = -1;
	char hosts[PATH_MAX], ipam[PATH_MAX];
	json_t *members = NULL;
	size_t n;

	if (lock < 0 || netdef_check_name(name, err) < 0)
		return -1;
	stale_locked(r, NULL, NULL, NULL);
	if (net_attachments(r, name, &members, err) < 0)
		return -1;
	n = json_object_size(members);
	json_decref(members);
	if (n)
		return err_set(err, EBUSY, "network '%s' has %zu attached container%s", name, n,
			       n == 1 ? "" : "s");
	if (netdef_remove(r->store, name, err) < 0 ||
	    net_path(hosts, err, "%s/networks/hosts/%s", r->run, name) < 0 ||
	    net_path(ipam, err, "%s/networks/ipam", r->run) < 0)
		return -1;
	if (unlink(hosts) < 0 && errno != ENOENT)
		return err_sys(err, "remove %s", hosts);
	/* host-local's lock and last address of the network, nothing allocated. */
	ipam_fd = open(ipam, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ipam_fd < 0)
		return errno == ENOENT ? 0 : err_sys(err, "open %s", ipam);
	return fs_remove_tree_at(ipam_fd, name, err);
}
