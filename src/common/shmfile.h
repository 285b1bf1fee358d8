/* shmfile.h - a small file in data_dir mapped shared by every process that opens it. */
#ifndef SHMFILE_H
#define SHMFILE_H

#include <stddef.h>

/* Maps dir/name, size bytes (made, zero-filled, when missing or shorter); NULL with err. */
void *shmfile_map(const char *dir, const char *name, size_t size, char *err, size_t errlen);

#endif
