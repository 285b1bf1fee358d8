/* sitefiles.c - the files through which a replicated site's processes know of each other.
 *
 * Only the site process may run recovery (repl.c says why). It must also be the one to notice
 * that another process died, possibly inside a transaction, and recover after it. Berkeley
 * DB's registry (DB_REGISTER) cannot tell it: the registry's file is locked per slot, and a
 * process that opens and closes a second descriptor of it loses its own slot's lock. So each
 * other process keeps a lock on a file of its own in procs/ while it has the environment open:
 * a file whose lock is free belongs to a dead process.
 *
 * All of them live in a folder of their own, site/: Berkeley DB opens and closes every file of
 * the environment's folder when it looks for databases (recovery, a replica's sync), and a
 * process's fcntl locks on a file go with any descriptor of it that the process closes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/lockfile.h"
#include "common/log.h"
#include "store/repl_int.h"

#define SITE_DIR "site"
#define SITE_LOCK_FILE SITE_DIR "/lock"
#define READY_FILE SITE_DIR "/ready"
#define PROCS_DIR SITE_DIR "/procs"

/* Makes dir/site and dir/site/procs when missing. */
static int site_dirs(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, SITE_DIR);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, PROCS_DIR);
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int site_lock_take(const char *dir)
{
	char err[256];
	int fd, held;
	if (site_dirs(dir) != 0) {
		LOG("%s/%s: cannot create: %s", dir, PROCS_DIR, strerror(errno));
		return -1;
	}
	if ((fd = lockfile_open(dir, SITE_LOCK_FILE, err, sizeof(err))) < 0) {
		LOG("%s", err);
		return -1;
	}
	if ((held = lockfile_try(fd, err, sizeof(err))) != 0) {
		if (held < 0)
			LOG("%s", err);
		close(fd);
		return -1;
	}
	return fd;
}

/* The pid holding a write lock on path, 0 when none. */
static pid_t lock_holder(const char *path)
{
	pid_t pid;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	pid = lockfile_holder(fd, 0, 0);
	close(fd);
	return pid > 0 ? pid : 0;
}

pid_t site_lock_holder(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, SITE_LOCK_FILE);
	return lock_holder(path);
}

/* Writes "pid gen" into path atomically (a new file renamed over the old). */
static int write_mark(const char *dir, const char *name, const char *text)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	size_t len = strlen(text);
	int fd;
	snprintf(tmp, sizeof(tmp), "%s/%s.%ld.tmp", dir, name, (long)getpid());
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int site_ready_set(const char *dir, ino_t gen)
{
	char path[PATH_MAX], text[64];
	if (!gen) {
		snprintf(path, sizeof(path), "%s/%s", dir, READY_FILE);
		return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	}
	snprintf(text, sizeof(text), "%ld %llu\n", (long)getpid(), (unsigned long long)gen);
	return write_mark(dir, READY_FILE, text);
}

/* Reads "pid gen" from path; 0 or -1. */
static int read_mark(const char *path, long *pid, unsigned long long *gen)
{
	char text[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	return sscanf(text, "%ld %llu", pid, gen) == 2 ? 0 : -1;
}

ino_t site_ready(const char *dir)
{
	char path[PATH_MAX];
	unsigned long long gen;
	long pid;
	snprintf(path, sizeof(path), "%s/%s", dir, READY_FILE);
	if (read_mark(path, &pid, &gen) != 0 || site_lock_holder(dir) != (pid_t)pid)
		return 0;
	return (ino_t)gen;
}

int site_join(const char *dir, ino_t gen)
{
	char procs[PATH_MAX], tmp[PATH_MAX + 32], path[PATH_MAX + 32], text[64];
	struct flock fl;
	size_t len;
	int fd;
	snprintf(procs, sizeof(procs), "%s/%s", dir, PROCS_DIR);
	if (site_dirs(dir) != 0)
		return -1;
	/* Locked before it gets its name: the site process never sees it unlocked. */
	snprintf(tmp, sizeof(tmp), "%s/.%ld.tmp", procs, (long)getpid());
	snprintf(path, sizeof(path), "%s/%ld", procs, (long)getpid());
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	snprintf(text, sizeof(text), "%ld %llu\n", (long)getpid(), (unsigned long long)gen);
	len = strlen(text);
	if (fcntl(fd, F_SETLK, &fl) != 0 || write(fd, text, len) != (ssize_t)len ||
	    rename(tmp, path) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	return fd;
}

void site_leave(const char *dir, int fd)
{
	char path[PATH_MAX + 32];
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s/%ld", dir, PROCS_DIR, (long)getpid());
	unlink(path); /* before the lock goes: never seen unlocked */
	close(fd);
}

int site_dead_members(const char *dir, ino_t gen)
{
	char procs[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *e;
	int dead = 0;
	DIR *d;
	snprintf(procs, sizeof(procs), "%s/%s", dir, PROCS_DIR);
	if (!(d = opendir(procs)))
		return 0;
	while ((e = readdir(d))) {
		unsigned long long g;
		long pid;
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", procs, e->d_name);
		if (lock_holder(path) != 0 || read_mark(path, &pid, &g) != 0)
			continue;
		/* Unlocked: its process died, or left between our two looks (then the file is
		 * gone and the unlink fails). */
		if (unlink(path) == 0 && (ino_t)g == gen) {
			LOG("process %ld died with the environment open", pid);
			dead++;
		}
	}
	closedir(d);
	return dead;
}
