/* backup.c - followctl backup and restore: a hot backup with DB_ENV->backup and catastrophic
 * recovery of the copy; a restore that recovers the backup beside data_dir, then swaps it in,
 * holding the environment's registry lock so that no process has it open meanwhile. */
#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/dirfiles.h"
#include "common/lockfile.h"

/* The range of log files in dir; *count of them. 0, or -1 with errno. */
static int log_range(const char *dir, unsigned long *lo, unsigned long *hi, unsigned long *count)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	*lo = *hi = *count = 0;
	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		unsigned long n = log_number(d->d_name);
		if (!n)
			continue;
		if (!*count || n < *lo)
			*lo = n;
		if (!*count || n > *hi)
			*hi = n;
		(*count)++;
	}
	closedir(dp);
	return 0;
}

/* Opens a private environment in dir with catastrophic recovery, so that its databases hold
 * exactly what the committed transactions of its logs wrote; then drops the log files that
 * recovery no longer needs. */
static int recover_fatal(const char *dir, char *err, size_t errlen)
{
	DB_ENV *env;
	int ret, t_ret;
	if ((ret = db_env_create(&env, 0)) != 0) {
		snprintf(err, errlen, "recovery of %s: %s", dir, db_strerror(ret));
		return -1;
	}
	if ((ret = env_configure(env, 0)) == 0 &&
	    (ret = env->open(env, dir, DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
					   DB_INIT_TXN | DB_RECOVER_FATAL | DB_PRIVATE,
			     0600)) == 0 &&
	    (ret = env->txn_checkpoint(env, 0, 0, DB_FORCE)) == 0)
		ret = env->log_archive(env, NULL, DB_ARCH_REMOVE);
	if ((t_ret = env->close(env, 0)) != 0 && ret == 0)
		ret = t_ret;
	if (ret != 0) {
		snprintf(err, errlen, "catastrophic recovery of %s: %s", dir, db_strerror(ret));
		return -1;
	}
	return 0;
}

/* 1 when dir is missing or empty, 0 when it holds something, -1 on error. */
static int dir_empty(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int empty = 1;
	if (!dp)
		return errno == ENOENT ? 1 : -1;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			empty = 0;
	closedir(dp);
	return empty;
}

int admin_backup(struct store *s, const char *target, char *err, size_t errlen)
{
	DB_ENV *env = s->env;
	char **list = NULL, **p;
	unsigned long first = 0, lo, hi, count;
	int ret, t_ret, autoremove = 0;

	switch (dir_empty(target)) {
	case 1:
		break;
	case 0:
		snprintf(err, errlen, "%s is not empty; back up into a new folder", target);
		return -1;
	default:
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		return -1;
	}
	if (mkdir(target, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", target, strerror(errno));
		return -1;
	}
	if (!env) {
		snprintf(err, errlen, "backup: the environment is not open");
		return -1;
	}
	/* A checkpoint first: fewer log files to copy and to replay. */
	if ((ret = env->txn_checkpoint(env, 0, 0, DB_FORCE)) != 0)
		return err_of(ret, "backup: checkpoint", err, errlen);
	/* Log files must not disappear between the copy of the databases and that of the logs.
	 * Automatic removal is a setting of the shared environment: off for every process until
	 * the copy is done. (A service process that opens the environment meanwhile turns it on
	 * again; the check below then notices a missing log file.) */
	if ((ret = env->log_get_config(env, DB_LOG_AUTO_REMOVE, &autoremove)) != 0 ||
	    (ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 0)) != 0)
		return err_of(ret, "backup: log settings", err, errlen);
	if ((ret = env->log_archive(env, &list, DB_ARCH_LOG)) == 0) {
		for (p = list; p && *p; p++) {
			unsigned long n = log_number(*p);
			if (n && (!first || n < first))
				first = n;
		}
		free(list);
		ret = env->backup(env, target, 0);
	}
	if (autoremove && (t_ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0 && ret == 0)
		ret = t_ret;
	if (ret != 0)
		return err_of(ret, "backup", err, errlen);
	if (log_range(target, &lo, &hi, &count) != 0) {
		snprintf(err, errlen, "backup: cannot list %s: %s", target, strerror(errno));
		return -1;
	}
	if (!count || (first && lo > first) || hi - lo + 1 != count) {
		snprintf(err, errlen, "backup: log files were removed while they were copied (a "
				      "service process opened the environment); run the backup again");
		return -1;
	}
	return recover_fatal(target, err, errlen);
}

/* Copies file name from one folder to another (which must not have it), synced to disk. */
static int copy_file(const char *from_dir, const char *to_dir, const char *name, char *err,
		     size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	char *buf = malloc(1 << 20);
	int in = -1, out = -1, ok = 0;
	ssize_t n;
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (snprintf(from, sizeof(from), "%s/%s", from_dir, name) >= (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s/%s", to_dir, name) >= (int)sizeof(to)) {
		snprintf(err, errlen, "%s/%s: path too long", to_dir, name);
		free(buf);
		return -1;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto done;
	while ((n = read(in, buf, 1 << 20)) > 0) {
		char *q = buf;
		while (n > 0) {
			ssize_t w = write(out, q, (size_t)n);
			if (w < 0)
				goto done;
			q += w;
			n -= w;
		}
	}
	ok = n == 0 && fsync(out) == 0;
done:
	if (!ok)
		snprintf(err, errlen, "cannot copy %s to %s: %s", from, to, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && ok) {
		snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
		ok = 0;
	}
	free(buf);
	return ok ? 0 : -1;
}

/* What restore moves: the databases and the log files (not regions, not other files). */
int admin_env_file(const char *name)
{
	return is_db_file(name) || log_number(name) != 0;
}

/* The old environment's files: databases, logs, and region files (but not the registry). */
static int old_env_file(const char *name)
{
	return admin_env_file(name) || (strncmp(name, "__db.", 5) == 0 && strcmp(name, "__db.register"));
}

/*
 * A process with the environment open holds an fcntl lock on its slot of __db.register (the
 * DB_REGISTER registry every store_open joins; the kernel drops the lock when the process
 * dies, however it dies). A write lock on the whole file is granted only when no process
 * holds one: that is the test, and holding it for the whole restore makes a service started
 * meanwhile wait in its open until the restore is done. Returns the file, or -1 with err.
 */
static int lock_registry(const char *data_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct flock fl;
	int fd;
	snprintf(path, sizeof(path), "%s/__db.register", data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return fd;
	if (errno == EACCES || errno == EAGAIN) {
		pid_t holder = lockfile_holder(fd, 0, 0);
		if (holder > 0)
			snprintf(err, errlen, "%s is in use (process %ld has the environment open); "
				 "stop the service and any other followctl first", data_dir,
				 (long)holder);
		else
			snprintf(err, errlen, "%s is in use; stop the service and any other "
				 "followctl first", data_dir);
	} else {
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
	}
	close(fd);
	return -1;
}

int admin_restore(const char *source, const char *data_dir, char *err, size_t errlen)
{
	char stage[PATH_MAX], path[PATH_MAX], to[PATH_MAX];
	unsigned long lo, hi, count;
	struct dirent *d;
	struct stat sb;
	DIR *dp = NULL;
	int lock = -1, ret = -1;

	/* Is it a backup? */
	snprintf(path, sizeof(path), "%s/accounts.db", source);
	if (stat(path, &sb) != 0 || log_range(source, &lo, &hi, &count) != 0 || !count) {
		snprintf(err, errlen, "%s is not a followctl backup (no accounts.db and log files)",
			 source);
		return -1;
	}
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	if ((lock = lock_registry(data_dir, err, errlen)) < 0)
		return -1;
	/* Recover a copy beside the old environment; only a good copy replaces it. */
	if (snprintf(stage, sizeof(stage), "%s/%s", data_dir, ADMIN_RESTORE_STAGE) >=
	    (int)sizeof(stage)) {
		snprintf(err, errlen, "%s: path too long", data_dir);
		goto out;
	}
	if (dir_fresh(stage, err, errlen) != 0) /* one left by a failed restore is emptied */
		goto out;
	if (!(dp = opendir(source))) {
		snprintf(err, errlen, "cannot list %s: %s", source, strerror(errno));
		goto out;
	}
	while ((d = readdir(dp)))
		if (admin_env_file(d->d_name) && copy_file(source, stage, d->d_name, err, errlen) != 0)
			goto out;
	closedir(dp);
	dp = NULL;
	if (recover_fatal(stage, err, errlen) != 0)
		goto out;
	/* Swap: the old environment out, the recovered copy in. */
	if (dir_clear(data_dir, old_env_file, err, errlen) != 0)
		goto out;
	if (!(dp = opendir(stage))) {
		snprintf(err, errlen, "cannot list %s: %s", stage, strerror(errno));
		goto out;
	}
	while ((d = readdir(dp))) {
		if (!dir_any_file(d->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", stage, d->d_name) >= (int)sizeof(path) ||
		    snprintf(to, sizeof(to), "%s/%s", data_dir, d->d_name) >= (int)sizeof(to))
			errno = ENAMETOOLONG;
		else if (rename(path, to) == 0)
			continue;
		snprintf(err, errlen, "cannot move %s/%s into %s: %s", stage, d->d_name, data_dir,
			 strerror(errno));
		goto out;
	}
	closedir(dp);
	dp = NULL;
	if (rmdir(stage) != 0 || dir_sync(data_dir) != 0) {
		snprintf(err, errlen, "cannot finish %s: %s", data_dir, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (dp)
		closedir(dp);
	close(lock); /* drops the lock */
	return ret;
}
