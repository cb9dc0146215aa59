/* Image references as docker spells them: [HOST[:PORT]/]REPO[:TAG|@DIGEST].
 * A first component with a '.' or ':' or "localhost" is a registry host;
 * otherwise the image is on docker.io, and a one-word repository is under
 * "library/". */
#ifndef BERTH_REGISTRY_REFERENCE_H
#define BERTH_REGISTRY_REFERENCE_H

#include <stdbool.h>

#include "common/error.h"

#define REFERENCE_DEFAULT_HOST "docker.io"
/* docker.io names an index, not the host that serves the API. */
#define REFERENCE_DOCKER_API_HOST "registry-1.docker.io"

struct reference {
	char *host;   /* "docker.io", "127.0.0.1:5000" */
	char *repo;   /* "library/busybox" */
	char *tag;    /* "latest" when neither tag nor digest is given */
	char *digest; /* NULL unless @DIGEST was given */
};

int reference_parse(const char *text, struct reference *r, berr_t *err);
void reference_clear(struct reference *r);

/* The name to store the pulled image under ("HOST/REPO:TAG"; docker.io
 * images as "REPO:TAG" without "library/"); NULL for a digest reference. */
char *reference_local_name(const struct reference *r);
/* Hosts on the loopback interface, which are spoken to over plain HTTP
 * (docker's default insecure registries). */
bool reference_host_is_loopback(const char *host);

#endif
