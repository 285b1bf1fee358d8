/* lockfile.h - an fcntl write lock on a file of its own, taken without blocking: the kernel
 * drops it when its holder dies, so no crash leaves it held. */
#ifndef LOCKFILE_H
#define LOCKFILE_H

#include <stddef.h>

/* Opens (creating, mode 600) dir/name: the fd, or -1 with err set. */
int lockfile_open(const char *dir, const char *name, char *err, size_t errlen);

/* One try at the lock on fd: 0 taken, 1 held by another process, -1 an error (err set). */
int lockfile_try(int fd, char *err, size_t errlen);

#endif
