/* Seccomp: the spec's filter is compiled to BPF by the runtime process
 * before the container exists (so a bad profile fails early and the child
 * does little work); the container's init only loads the program, as the
 * very last step before execve. */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/spec.h"

struct seccomp_prog {
	void *bpf;      /* struct sock_filter[] */
	size_t len;     /* bytes */
	unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	bool notify;    /* a SCMP_ACT_NOTIFY rule needs a listener fd */
};

/* Name tables used by the config parser; each returns -1 when unknown. */
int64_t seccomp_action_from_name(const char *name);
int seccomp_op_from_name(const char *name);
int seccomp_flag_from_name(const char *name, unsigned *flag);
int seccomp_arch_known(const char *name);

/* Build the BPF program for spec (which must have set == true). */
int seccomp_compile(const struct spec_seccomp *spec, struct seccomp_prog *out,
		    berr_t *err);

/* Install prog in the calling process.  With a notify rule, *notify_fd
 * receives the listener fd (else -1).  Not named seccomp_load: libseccomp
 * already exports that symbol. */
int seccomp_prog_load(const struct seccomp_prog *prog, int *notify_fd,
		      berr_t *err);

void seccomp_prog_clear(struct seccomp_prog *prog);

/* Where the listener fd of a filter goes (linux.seccomp.listenerPath). */
struct seccomp_listener {
	int sock;               /* connected to listenerPath, or -1 */
	const char *metadata;   /* listenerMetadata, may be NULL */
	const char *state_json; /* the container's state */
};

/* Send notify_fd with the OCI container process state: {"ociVersion",
 * "fds": ["seccompFd"], "pid", "metadata", "state"}. */
int seccomp_send_listener(const struct seccomp_listener *l, int notify_fd,
			  berr_t *err);

/* The "linux.seccomp" object of `features`: the names berth accepts. */
json_t *seccomp_features(void);

#endif
