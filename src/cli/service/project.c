/* The Compose file of `berth up` and `berth down`: which file, the
 * project's name, and the services in the order they are deployed. */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/service/service.h"
#include "common/cleanup.h"

static const char *const default_files[] = { "berth.yaml", "compose.yaml" };

int svc_project_file(const char *flag, char **path, berr_t *err)
{
	const char *found = flag;

	for (size_t i = 0; !found && i < sizeof(default_files) / sizeof(*default_files); i++)
		if (access(default_files[i], F_OK) == 0)
			found = default_files[i];
	if (!found)
		return err_set(err, ENOENT,
			       "no berth.yaml or compose.yaml in this directory (-f FILE names one)");
	if (!(*path = strdup(found)))
		return err_set(err, ENOMEM, "out of memory");
	return 0;
}

int svc_project_name(const char *top_name, const char *dir, char **out, berr_t *err)
{
	cleanup_free char *copy = strdup(dir ? dir : "");
	const char *from = top_name;
	char *name;

	if (!copy)
		return err_set(err, ENOMEM, "out of memory");
	if (!from)
		from = strcmp(copy, "/") ? basename(copy) : "";
	if (!*from)
		return err_set(err, EINVAL,
			       "no project name: the file is in '%s' and has no top-level name:", dir);
	if (!(name = strdup(from)))
		return err_set(err, ENOMEM, "out of memory");
	for (char *p = name; *p; p++) {
		*p = (char)tolower((unsigned char)*p);
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '-';
	}
	*out = name;
	return 0;
}

int svc_project_open(const char *flag, struct svc_project *sp, berr_t *err)
{
	*sp = (struct svc_project){ 0 };
	if (svc_project_file(flag, &sp->file, err) < 0 || project_load(sp->file, &sp->p, err) < 0)
		return -1;
	for (char **w = sp->p.warnings; w && *w; w++)
		fprintf(stderr, "warning: %s\n", *w);
	return svc_project_name(sp->p.name, sp->p.dir, &sp->name, err);
}

void svc_project_close(struct svc_project *sp)
{
	project_free(&sp->p);
	free(sp->file);
	free(sp->name);
	*sp = (struct svc_project){ 0 };
}

/* s after its dependencies (the parser refused cycles, so this ends). */
static void visit(struct project *p, struct service *s, char *seen, struct service **out,
		  size_t *count)
{
	size_t i = (size_t)(s - p->services);

	if (seen[i])
		return;
	seen[i] = 1;
	for (size_t d = 0; d < s->n_deps; d++)
		visit(p, (struct service *)project_service(p, s->deps[d].service), seen, out, count);
	out[(*count)++] = s;
}

int svc_project_order(struct project *p, char *const *names, size_t n,
		      struct service ***out, size_t *count, berr_t *err)
{
	cleanup_free char *seen = calloc(p->n_services + 1, 1);
	cleanup_free struct service **order = calloc(p->n_services + 1, sizeof(*order));

	if (!seen || !order)
		return err_set(err, ENOMEM, "out of memory");
	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (!project_service(p, names[i]))
			return err_set(err, ENOENT, "no service '%s' in the file", names[i]);
	for (size_t i = 0; i < (n ? n : p->n_services); i++)
		visit(p, n ? (struct service *)project_service(p, names[i]) : &p->services[i], seen,
		      order, count);
	*out = take_ptr(order);
	return 0;
}
