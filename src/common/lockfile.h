/* lockfile.h - an fcntl write lock on a file of its own, taken without blocking: the kernel
 * drops it when its holder dies, so no crash leaves it held. */
#ifndef LOCKFILE_H
#define LOCKFILE_H

#include <sys/types.h>
#include <stddef.h>

/* Opens (creating, mode 600) dir/name: the fd, or -1 with err set. */
int lockfile_open(const char *dir, const char *name, char *err, size_t errlen);

/* The pid of a process holding a write lock on len bytes of fd from start (len 0: to the end),
 * 0 when none does, -1 when the kernel cannot say. Never reports this process's own locks.
 * Async-signal-safe. */
pid_t lockfile_holder(int fd, off_t start, off_t len);

/* One try at the lock on fd: 0 taken, 1 held by another process, -1 an error (err set). */
int lockfile_try(int fd, char *err, size_t errlen);

#endif
