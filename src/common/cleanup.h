/* The fixed set of cleanup attributes used everywhere.
 *
 * Ownership leaves a scope only through take_ptr()/take_fd().  Every cleanup
 * accepts NULL / -1 and preserves errno, so error paths can return at once. */
#ifndef BERTH_COMMON_CLEANUP_H
#define BERTH_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/error.h"

static inline void cleanup_free_fn(void *p)
{
	int saved = errno;

	free(*(void **)p);
	errno = saved;
}

static inline void cleanup_close_fn(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved;
}

static inline void cleanup_fclose_fn(FILE **f)
{
	int saved = errno;

	if (*f)
		fclose(*f);
	errno = saved;
}

static inline void cleanup_closedir_fn(DIR **d)
{
	int saved = errno;

	if (*d)
		closedir(*d);
	errno = saved;
}

static inline void cleanup_strv_fn(char ***v)
{
	int saved = errno;

	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
	errno = saved;
}

static inline void cleanup_err_fn(berr_t *err)
{
	err_free(err);
}

/* Kills and reaps a half-started child on an error path; success paths set
 * the pid to -1 (take_pid) once the child is handed on. */
void cleanup_pid_fn(pid_t *pid);

#define cleanup_free __attribute__((cleanup(cleanup_free_fn)))
#define cleanup_close __attribute__((cleanup(cleanup_close_fn)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclose_fn)))
#define cleanup_closedir __attribute__((cleanup(cleanup_closedir_fn)))
#define cleanup_strv __attribute__((cleanup(cleanup_strv_fn)))
#define cleanup_err __attribute__((cleanup(cleanup_err_fn)))
#define cleanup_pid __attribute__((cleanup(cleanup_pid_fn)))

static inline void *take_ptr_fn(void *pp)
{
	void **p = pp;
	void *v = *p;

	*p = NULL;
	return v;
}

static inline int take_fd_fn(int *fd)
{
	int v = *fd;

	*fd = -1;
	return v;
}

#define take_ptr(p) take_ptr_fn(&(p))
#define take_fd(fd) take_fd_fn(&(fd))
#define take_pid(pid) take_fd_fn(&(pid))

#endif
