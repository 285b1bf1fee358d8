/* dirfiles.c - removals and syncs of whole folders, for backups, restores and bulk imports. */
#include "common/dirfiles.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dir_clear(const char *dir, int (*which)(const char *name), char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(dir);
	if (!dp) {
		snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		if (!which(d->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			errno = ENAMETOOLONG;
		else if (unlink(path) == 0)
			continue;
		snprintf(err, errlen, "cannot remove %s/%s: %s", dir, d->d_name, strerror(errno));
		closedir(dp);
		return -1;
	}
	closedir(dp);
	return 0;
}

int dir_fresh(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	return dir_clear(dir, dir_any_file, err, errlen);
}

int dir_any_file(const char *name)
{
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

uint64_t dir_bytes(const char *dir, int (*which)(const char *name))
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat st;
	uint64_t sum = 0;
	DIR *dp = opendir(dir);
	if (!dp)
		return 0;
	while ((d = readdir(dp)))
		if ((!which || which(d->d_name)) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < (int)sizeof(path) &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			sum += (uint64_t)st.st_size;
	closedir(dp);
	return sum;
}

int dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}
