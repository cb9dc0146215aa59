/* `berth up [-f FILE] [--no-build] [SERVICE...]`: build what has a build
 * section, find every image in the local store, then hand each service's
 * canonical definition to berthd, dependencies first.  Everything is
 * parsed, built and resolved before the first request, so a bad file or
 * a missing image changes nothing in berthd. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/build.h"
#include "cli/build/build.h"
#include "cli/container/container.h"
#include "cli/service/api_client.h"
#include "cli/service/service.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "image/image.h"

enum { UP_NO_BUILD = 256 };

static const struct option opts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "no-build", no_argument, NULL, UP_NO_BUILD },
	{ 0 },
};

int svc_image_id(const struct berth_globals *g, const char *service, const char *ref,
		 char id[DIGEST_MAX], berr_t *err)
{
	struct store s;
	struct image img = { 0 };
	int r;

	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = image_resolve(&s, ref, &img, err);
	if (r == 0)
		snprintf(id, DIGEST_MAX, "%s", img.config_digest);
	else
		err_prefix(err, "service %s: image '%s'", service, ref);
	image_clear(&img);
	store_close(&s);
	return r;
}

void svc_print_revision(const char *name, json_t *reply)
{
	json_int_t rev = json_integer_value(json_object_get(reply, "revision"));

	if (json_is_false(json_object_get(reply, "changed")))
		printf("%s: unchanged (revision %lld)\n", name, (long long)rev);
	else
		printf("%s: revision %lld deploying\n", name, (long long)rev);
	fflush(stdout);
}

/* What a service runs: its image:, else the tag `up` builds it as,
 * lowercased (service names may have capitals, image names not). */
static int image_ref(const struct svc_project *sp, struct service *s, berr_t *err)
{
	if (s->image)
		return 0;
	if (asprintf(&s->image, "%s-%s:latest", sp->name, s->name) < 0) {
		s->image = NULL;
		return err_set(err, ENOMEM, "out of memory");
	}
	for (char *p = s->image; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static int build(struct berth_globals *g, const struct service *s, berr_t *err)
{
	struct cli_roots roots;
	struct build_opts o;
	char id[DIGEST_MAX], manifest[DIGEST_MAX];
	char *tags[] = { s->image, NULL };
	cleanup_strv char **args = NULL;

	cli_build_opts(g, &roots, &o);
	for (size_t i = 0; i < s->build->args.n; i++) {
		cleanup_free char *kv = NULL;

		if (asprintf(&kv, "%s=%s", s->build->args.v[i].key, s->build->args.v[i].value) < 0 ||
		    strv_push(&args, kv) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	o.context = s->build->context;
	o.dockerfile = s->build->dockerfile;
	o.tags = tags;
	o.build_args = args;
	printf("%s: building %s\n", s->name, s->image);
	fflush(stdout);
	if (build_image(&o, id, manifest, err) < 0)
		return err_prefix(err, "service %s: build", s->name);
	return 0;
}

/* {"definition": ..., "digests": {image: id}} for PUT /v1/services/NAME. */
static json_t *put_body(const struct service *s, const char *id)
{
	json_t *def = service_to_json(s);

	return def ? json_pack("{s:o, s:{s:s}}", "definition", def, "digests", s->image, id) : NULL;
}

/* Every service of order ready to send: built, its image resolved. */
static int prepare(struct berth_globals *g, const struct svc_project *sp, struct service **order,
		   size_t n, bool no_build, json_t **bodies, berr_t *err)
{
	char id[DIGEST_MAX];

	for (size_t i = 0; i < n; i++) {
		struct service *s = order[i];

		if (image_ref(sp, s, err) < 0 || (s->build && !no_build && build(g, s, err) < 0) ||
		    svc_image_id(g, s->name, s->image, id, err) < 0)
			return -1;
		if (!(bodies[i] = put_body(s, id)))
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int put(struct berth_globals *g, const struct service *s, json_t *body, berr_t *err)
{
	json_t *reply = NULL;

	if (api_service(g->run_root, "PUT", s->name, "", body, NULL, &reply, err) < 0)
		return -1;
	svc_print_revision(s->name, reply);
	json_decref(reply);
	return 0;
}

static int up(struct berth_globals *g, struct svc_project *sp, char *const *names, size_t n,
	      bool no_build, berr_t *err)
{
	cleanup_free struct service **order = NULL;
	cleanup_free json_t **bodies = NULL;
	size_t count = 0;
	int r = -1;

	if (svc_project_order(&sp->p, names, n, &order, &count, err) < 0)
		return err_prefix(err, "%s", sp->file);
	if (!(bodies = calloc(count + 1, sizeof(*bodies))))
		return err_set(err, ENOMEM, "out of memory");
	if (prepare(g, sp, order, count, no_build, bodies, err) == 0) {
		r = 0;
		for (size_t i = 0; i < count && r == 0; i++)
			r = put(g, order[i], bodies[i], err);
	}
	for (size_t i = 0; i < count; i++)
		json_decref(bodies[i]);
	return r;
}

int svc_up(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *file = NULL;
	bool no_build = false;
	struct svc_project sp;
	int c, r;

	while ((c = img_getopt_anywhere(argc, argv, "f:", opts)) != -1) {
		if (c == 'f')
			file = optarg;
		else if (c == UP_NO_BUILD)
			no_build = true;
		else
			return img_bad_flag("up", c, argv, err);
	}
	r = svc_project_open(file, &sp, err);
	if (r == 0)
		r = up(g, &sp, argv + optind, (size_t)(argc - optind), no_build, err);
	svc_project_close(&sp);
	return r;
}
