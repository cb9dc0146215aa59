/* `berth network`: docker's network verbs over network/netdef.h and the
 * attachments of network/network.h. */
#include "cli/network/network.h"
#include "cli/group.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "network/netdef.h"
#include "network/network.h"


static int create(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "subnet", required_argument, NULL, 's' },
		{ "gateway", required_argument, NULL, 'g' },
		{ 0 },
	};
	const char *subnet = NULL, *gateway = NULL;
	cleanup_close int lock = -1;
	struct net_def d;
	int c;

	while ((c = img_getopt(argc, argv, "", opts)) != -1) {
		if (c == 's')
			subnet = optarg;
		else if (c == 'g')
			gateway = optarg;
		else
			return img_bad_flag("network create", c, argv, err);
	}
	if (argc - optind != 1)
		return err_set(err, EINVAL, "network create: expected one NAME (usage: berth network create [--subnet CIDR] [--gateway IP] NAME)");
	lock = netdef_lock(g->root, err);
	if (lock < 0 || netdef_create(g->root, argv[optind], subnet, gateway, &d, err) < 0)
		return -1;
	puts(d.id);
	return 0;
}

static int list(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = { { 0 } };
	cleanup_free struct net_def *all = NULL;
	cleanup_close int lock = -1;
	size_t n;
	int c;

	while ((c = img_getopt(argc, argv, "", opts)) != -1)
		return img_bad_flag("network ls", c, argv, err);
	if (optind != argc)
		return err_set(err, EINVAL, "network ls: takes no arguments");
	lock = netdef_lock(g->root, err);
	if (lock < 0 || netdef_list(g->root, &all, &n, err) < 0)
		return -1;
	printf("%-14s %-20s %-8s %-18s %s\n", "NETWORK ID", "NAME", "DRIVER", "SUBNET", "GATEWAY");
	for (size_t i = 0; i < n; i++) {
		char sub[SUBNET_STR_MAX], gw[INET_ADDRSTRLEN];

		subnet_format(&all[i].subnet, sub);
		addr_format(all[i].gateway, gw);
		printf("%-14.12s %-20s %-8s %-18s %s\n", all[i].id, all[i].name, "bridge", sub, gw);
	}
	return 0;
}

/* Each name removed in turn; the first failure is reported after the
 * others were tried, as docker does. */
static int remove_all(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = { { 0 } };
	struct net_roots r = { .store = g->root, .run = g->run_root };
	int c, rc = 0;

	while ((c = img_getopt(argc, argv, "", opts)) != -1)
		return img_bad_flag("network rm", c, argv, err);
	if (optind >= argc)
		return err_set(err, EINVAL, "network rm: expected NAME...");
	for (int i = optind; i < argc; i++) {
		berr_t e = NULL;

		if (net_remove(&r, argv[i], &e) == 0) {
			puts(argv[i]);
			continue;
		}
		if (rc == 0) {
			*err = e;
		} else {
			err_print(stderr, "berth", e);
			err_free(&e);
		}
		rc = -1;
	}
	return rc;
}

static int inspect_one(struct berth_globals *g, const char *name, json_t *out, berr_t *err)
{
	struct net_roots r = { .store = g->root, .run = g->run_root };
	struct net_def d;
	json_t *members, *j;

	if (netdef_load(g->root, name, &d, err) < 0 ||
	    net_attachments(&r, name, &members, err) < 0)
		return -1;
	j = netdef_json(&d);
	json_object_set_new(j, "containers", members);
	json_array_append_new(out, j);
	return 0;
}

static int inspect(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = { { 0 } };
	cleanup_close int lock = -1;
	cleanup_free char *text = NULL;
	json_t *out;
	int c;

	while ((c = img_getopt(argc, argv, "", opts)) != -1)
		return img_bad_flag("network inspect", c, argv, err);
	if (optind >= argc)
		return err_set(err, EINVAL, "network inspect: expected NAME...");
	lock = netdef_lock(g->root, err);
	if (lock < 0)
		return -1;
	out = json_array();
	for (int i = optind; i < argc; i++)
		if (inspect_one(g, argv[i], out, err) < 0) {
			json_decref(out);
			return -1;
		}
	text = json_dumps(out, JSON_INDENT(4));
	json_decref(out);
	if (!text)
		return err_set(err, ENOMEM, "network inspect");
	puts(text);
	return 0;
}

int cli_network(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct cli_sub subs[] = {
		{ "create", "network create [--subnet CIDR] [--gateway IP] NAME", create },
		{ "ls", "network ls", list },
		{ "list", "network ls", list },
		{ "rm", "network rm NAME...", remove_all },
		{ "remove", "network rm NAME...", remove_all },
		{ "inspect", "network inspect NAME...", inspect },
	};

	return cli_group(g, "network", subs, sizeof(subs) / sizeof(*subs), argc, argv, err);
}
