/* dirfiles.h - the files of a folder: removing some of them, syncing the folder. */
#ifndef DIRFILES_H
#define DIRFILES_H

#include <stddef.h>
#include <stdint.h>

/* Removes the files of dir that which() names; the folder itself stays. -1 with err set. */
int dir_clear(const char *dir, int (*which)(const char *name), char *err, size_t errlen);
/* Makes dir (mode 700), or empties one left by work that died; -1 with err set. */
int dir_fresh(const char *dir, char *err, size_t errlen);
/* Every name but "." and "..": for dir_clear, all of it. */
int dir_any_file(const char *name);
/* The bytes of the regular files in dir that which() names (NULL: all of them); 0 when it
 * cannot be listed. */
uint64_t dir_bytes(const char *dir, int (*which)(const char *name));
/* fsync of the folder itself (its names: renames and removals survive a crash); -1, errno. */
int dir_sync(const char *dir);

#endif
