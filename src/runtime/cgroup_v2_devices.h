/* Device cgroup rules on cgroup v2, which has no devices.allow: a
 * BPF_PROG_TYPE_CGROUP_DEVICE program built from the rule list, with the
 * same outcome as cgroup v1's devices controller given the same list. */
#ifndef BERTH_RUNTIME_CGROUP_V2_DEVICES_H
#define BERTH_RUNTIME_CGROUP_V2_DEVICES_H

#include <linux/bpf.h>
#include <stddef.h>

#include "common/error.h"
#include "runtime/spec.h"

/* Name the programs are loaded under; apply() replaces only programs of
 * this name. */
#define CGROUP_V2_DEVICES_PROG_NAME "berth_devices"

/* Build the program for rules applied in order to a fresh cgroup (which
 * allows everything, like a new v1 cgroup under the root).  Pure: no
 * syscalls.  *insns is the caller's to free(). */
int cgroup_v2_devices_program(const struct spec_device_rule *rules, size_t n,
			      struct bpf_insn **insns, size_t *count,
			      berr_t *err);

/* Load the program and attach it to the cgroup directory cgroup_dirfd
 * (BPF_F_ALLOW_MULTI), then detach berth programs attached before, when
 * the list starts over with an 'a' rule; see the .c file for the case
 * where it does not. */
int cgroup_v2_devices_apply(int cgroup_dirfd,
			    const struct spec_device_rule *rules, size_t n,
			    berr_t *err);

#endif
