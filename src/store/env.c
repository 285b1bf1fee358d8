/* env.c - the environment every process shares: opening it (one opener at a time), closing
 * it, and running transactions with deadlock retries and reopening after a recovery. */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/dirfiles.h"
#include "common/lockfile.h"
#include "common/log.h"
#include "store/holdwatch.h"
#include "store/profcache.h"
#include "store/repl_int.h"
#include "store/store_int.h"

#define MAX_TRIES 40 /* attempts of one transaction (deadlocks, a recovery elsewhere) */
#define ENV_CACHE_REGION_MB 2048 /* a bigger cache is made of several regions this size */
#define ENV_MAX_LOCKS 200000 /* locks and lock objects: a whole-store verify holds many */
#define ENV_MAX_LOCKERS 4000
/* Buckets of the lock objects' hash table. Left to Berkeley DB it is sized from ENV_MAX_LOCKS:
 * 42 MB of __db.001, and each lock a plain CGI call takes lands on a page of it that process
 * never touched (a page fault each). A few dozen objects are live at once (a verify's many
 * only make longer chains); 4096 buckets make it 1.6 MB. */
#define ENV_LOCK_BUCKETS 4096
/* Mutexes guarding the cache's hash buckets, shared by modulo. One per bucket (Berkeley DB's
 * default) put 120,000 of them in __db.002 at a 256 MB cache, one page fault per page read in a
 * plain CGI call; a bucket is held for a chain walk, so a thousand do not contend. */
#define ENV_MP_MUTEXES 1024
#define ENV_LOG_BUFFER (1024 * 1024)
#define CKP_KB 1024 /* a commit checkpoints once this much log was written since the last */
#define CKP_CHECK_MS 1000 /* and a process asks at most this often */
#define TABLE_OPEN_TRIES 20
#define TABLE_OPEN_BACKOFF_US 20000
#define REPL_OPEN_POLL_US 10000 /* a worker looks this often whether its site is ready */
#define REPL_OPEN_HOLD_MS 10000 /* then holds the open lock at most this long */

const char *const store_table_files[T_COUNT] = {
	"accounts.db", "edges.db", "following.db", "fans.db",
	"mutual.db",   "profiles.db", "outbox.db", "deadletter.db"};

/* ---- environment ---- */

static void db_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	/* A replicated site looks for databases by opening every file of the folder: the
	 * service's own files (locks, shared counters) are none. */
	if (strstr(msg, "fop_read_meta") && strstr(msg, "unexpected file type or format"))
		return;
	log_msg(__FILE__, __LINE__, "berkeley db: %s", msg);
}

static int db_verbose; /* FOLLOW_DB_VERBOSE is set */
uint64_t store_recoveries_run;

/* Registry messages are always asked for: "recovery required" tells the open-lock watchdog
 * that this process is the one recovering, and may take long (holdwatch.c). */
static void db_msgcall(const DB_ENV *env, const char *msg)
{
	(void)env;
	if (strstr(msg, "recovery required")) {
		holdwatch_recovering();
		store_recoveries_run++;
	}
	if (db_verbose)
		log_msg(__FILE__, __LINE__, "berkeley db: %s", msg);
}

int env_configure(DB_ENV *env, unsigned cache_mb)
{
	int ret;
	if (!cache_mb)
		cache_mb = STORE_CACHE_MB_DEFAULT;
	env->set_errcall(env, db_errcall);
	/* FOLLOW_DB_VERBOSE=1 logs each open's registry decisions and recoveries: who recovered
	 * the environment, and why, is otherwise invisible. */
	db_verbose = getenv("FOLLOW_DB_VERBOSE") != NULL;
	env->set_msgcall(env, db_msgcall);
	if ((ret = env->set_verbose(env, DB_VERB_REGISTER, 1)) != 0 ||
	    (db_verbose && (ret = env->set_verbose(env, DB_VERB_RECOVERY, 1)) != 0))
		return ret;
	/* Sizes apply when the environment is created; every process asks for the same. */
	if ((ret = env->set_cachesize(env, cache_mb / 1024, (cache_mb % 1024) * 1024u * 1024u,
				      (int)(1 + (cache_mb - 1) / ENV_CACHE_REGION_MB))) != 0 ||
	    (ret = env->set_lk_max_locks(env, ENV_MAX_LOCKS)) != 0 ||
	    (ret = env->set_lk_max_objects(env, ENV_MAX_LOCKS)) != 0 ||
	    (ret = env->set_lk_max_lockers(env, ENV_MAX_LOCKERS)) != 0 ||
	    (ret = env->set_lk_tablesize(env, ENV_LOCK_BUCKETS)) != 0 ||
	    (ret = env->set_mp_mtxcount(env, ENV_MP_MUTEXES)) != 0)
		return ret;
	return env->set_lg_bsize(env, ENV_LOG_BUFFER);
}

/* DB_NOSYNC: every change is in the log, so a table's pages need not reach its file when a
 * process lets go of it (checkpoints write them, and backups checkpoint first). Without it each
 * close synced the file: two fdatasync calls per plain CGI call, made while holding the open
 * lock, so every other CGI process queued behind the disk. */
static void close_tables(struct store *s)
{
	/* A bulk store has no log: its pages must reach the files. */
	u_int32_t flags = s->opts.bulk ? 0 : DB_NOSYNC;
	int i, ret;
	for (i = 0; i < T_COUNT; i++) {
		if (s->db[i] && (ret = s->db[i]->close(s->db[i], flags)) != 0) {
			LOG("close %s: %s", store_table_files[i], db_strerror(ret));
			s->abandoned = 1;
		}
		s->db[i] = NULL;
	}
}

/* A bulk store's files, once closed, get their pages' log sequence numbers cleared: an
 * environment accepts a file made elsewhere only so (its own log knows nothing of them). */
static void reset_lsns(struct store *s)
{
	int i, ret;
	for (i = 0; i < T_COUNT && !s->abandoned; i++)
		if (!(s->foreign & 1u << i) &&
		    (ret = s->env->lsn_reset(s->env, store_table_files[i], 0)) != 0) {
			LOG("%s/%s: cannot clear its log sequence numbers: %s", s->dir,
			    store_table_files[i], db_strerror(ret));
			s->abandoned = 1;
		}
}

static void close_handles(struct store *s)
{
	int ret;
	close_tables(s);
	if (s->opts.bulk && s->env)
		reset_lsns(s);
	if (s->env && (ret = s->env->close(s->env, 0)) != 0) {
		LOG("close environment: %s", db_strerror(ret));
		s->abandoned = 1;
	}
	s->env = NULL;
}

/*
 * Why opens take a lock of our own: DB_REGISTER's registry lock covers only the decision to
 * recover. When no recovery is needed (a brand-new folder after its first opener, a restored
 * backup, a clean stop) Berkeley DB drops that lock before the region files exist, so several
 * openers create and join __db.00N at once: a joiner reads a region whose size its creator has
 * not yet written and fails with "mmap: Invalid argument", or joins an environment that a
 * concurrent recovery is removing and blocks forever on one of its mutexes. The reference
 * guide puts creating and recovering an environment on the application: one opener at a time.
 * Closes take the same lock: an opener scans the registry reading each slot's pid and then
 * trying its lock, and a process that closes meanwhile empties its slot and drops the lock
 * between the two, so the opener takes it for a dead process, recovers, and panics the
 * environment under every process still using it ("fatal region error detected").
 * The kernel drops the lock when its holder dies, so a killed opener never blocks the others.
 * Not a __db.* name: recovery removes those.
 */
#define OPEN_LOCK_FILE "open.lock"
#define OPEN_LOCK_WAIT_MS 120000 /* recovery of a long log can take this long */
#define OPEN_LOCK_POLL_MIN_US 50
#define OPEN_LOCK_POLL_MAX_US 1000

static int open_lock(const struct store *s, char *err, size_t errlen)
{
	unsigned long waited_us = 0, step_us = OPEN_LOCK_POLL_MIN_US;
	int fd, held;

	if ((fd = lockfile_open(s->dir, OPEN_LOCK_FILE, err, errlen)) < 0)
		return -1;
	while ((held = lockfile_try(fd, err, errlen)) == 1 &&
	       waited_us < OPEN_LOCK_WAIT_MS * 1000UL) {
		/* Polled, not F_SETLKW: the wait stays bounded without a signal. Short steps: plain
		 * CGI opens and closes the environment on every call, and each holds the lock for
		 * well under a millisecond. */
		usleep((useconds_t)step_us);
		waited_us += step_us;
		step_us = step_us < OPEN_LOCK_POLL_MAX_US ? step_us * 2 : OPEN_LOCK_POLL_MAX_US;
	}
	if (held == 0)
		return fd;
	if (held == 1)
		snprintf(err, errlen, "%s/%s: another process has been opening the database for "
				      "too long", s->dir, OPEN_LOCK_FILE);
	close(fd);
	return -1;
}

static void open_unlock(int fd)
{
	close(fd); /* drops the lock */
}

/* The tables' handles, under the open lock's watchdog (a close can block on a mutex that a
 * killed process held) but outside the lock: closing a handle is no registry business. */
static void close_tables_watched(struct store *s)
{
	holdwatch_start();
	close_tables(s);
	holdwatch_stop();
}

/* Closes the environment (unregistering this process) under the open lock; the tables before
 * it (close_tables_watched). */
static void close_env(struct store *s)
{
	char err[256];
	int fd = -1;
	if (!s->env)
		return;
	if (s->opts.bulk) {
		close_handles(s); /* private: no registry, no lock */
		return;
	}
	close_tables_watched(s);
	/* Under store_exclusive the lock is this process's already (and closing a second
	 * descriptor of the file would drop it). */
	if (s->excl_fd < 0 && (fd = open_lock(s, err, sizeof(err))) < 0)
		LOG("%s; closing without it", err);
	holdwatch_start();
	close_handles(s);
	holdwatch_stop();
	if (fd >= 0)
		open_unlock(fd);
	site_leave(s->dir, s->member_fd);
	s->member_fd = -1;
	store_release(s);
}

static int open_env_locked(struct store *s, char *err, size_t errlen);

/*
 * The profiles table's hash density, set when the table is made (an existing table keeps its
 * own). Left to Berkeley DB, the bench's 100,000 profiles (Nick and FaceUrl, about 110 bytes
 * with the key) settled at about 32 per bucket with a second page on a third of the buckets
 * (3,114 buckets, 1,060 overflow pages, 21 MB); and a page of fans looks up 100 profiles, most
 * of them misses for fans without one, and a miss reads the bucket's every page. The reference
 * guide's rule, (pagesize - 32) / (key + data + 8), gives 35: at 32, 4,044 buckets, 196
 * overflow pages, 18.5 MB. The same rule for the accounts and edges tables (100) doubled their
 * files and moved neither check nor add beyond the noise, so they keep Berkeley DB's choice.
 */
#define PROFILES_FFACTOR 32

/* Opens table i (flags: DB_CREATE or 0), trying up to tries times: a running writer can pick
 * an open's locks as a deadlock victim. */
static int table_open(struct store *s, int i, u_int32_t flags, int tries)
{
	int ret;
	for (;;) {
		DB *db;
		if ((ret = db_create(&db, s->env, 0)) != 0)
			return ret;
		if ((i == T_PROFILES && (ret = db->set_h_ffactor(db, PROFILES_FFACTOR)) != 0) ||
		    (i >= T_FOLLOWING && i <= T_MUTUAL && (ret = db->set_flags(db, DB_DUPSORT)) != 0) ||
		    (i == T_OUTBOX && (ret = db->set_re_len(db, STORE_EVENT_BYTES)) != 0)) {
			db->close(db, 0);
			return ret;
		}
		/* Profiles keep versions (run_snapshot), but not on a replicated site: a replica's
		 * replication process applies the master's log to the same files with handles of
		 * its own, opened without them, and Berkeley DB then refuses a handle with them.
		 * Snapshots there are read-committed reads. */
		if (!s->opts.bulk)
			flags |= DB_AUTO_COMMIT |
				 (i == T_PROFILES && !s->opts.repl ? DB_MULTIVERSION : 0);
		/* The outbox is a queue: record numbers only grow, so they are event ids. */
		ret = db->open(db, NULL, store_table_files[i], NULL, i == T_OUTBOX ? DB_QUEUE : DB_HASH,
			       flags, 0600);
		if (ret == 0) {
			s->db[i] = db;
			return 0;
		}
		db->close(db, 0);
		if (--tries <= 0 || ret != DB_LOCK_DEADLOCK)
			return ret;
		usleep(TABLE_OPEN_BACKOFF_US);
	}
}

static int table_exists(const struct store *s, int i)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", s->dir, store_table_files[i]);
	return access(path, F_OK) == 0;
}

int store_table_make(struct store *s, int i)
{
	int ret;
	if (s->db[i])
		return 0;
	if ((ret = table_open(s, i, DB_CREATE, TABLE_OPEN_TRIES)) != 0)
		return ret;
	if ((ret = s->db[i]->close(s->db[i], DB_NOSYNC)) != 0)
		LOG("close %s: %s", store_table_files[i], db_strerror(ret));
	s->db[i] = NULL;
	return ret;
}

int store_table(struct store *s, int i, DB **db)
{
	int ret;
	/* Outside the open lock: the files exist, and opening a handle is an ordinary locked
	 * operation. A deadlock goes back to run_txn, which retries the whole transaction. */
	if (!s->db[i] && (ret = table_open(s, i, 0, 1)) != 0)
		return ret;
	*db = s->db[i];
	return 0;
}

static int open_bulk_env(struct store *s, char *err, size_t errlen)
{
	int ret, i;
	if ((ret = db_env_create(&s->env, 0)) != 0 ||
	    (ret = env_configure(s->env, s->opts.cache_mb)) != 0 ||
	    (ret = s->env->open(s->env, s->dir, DB_CREATE | DB_INIT_MPOOL | DB_PRIVATE, 0600)) != 0)
		goto err;
	for (i = 0; i < T_COUNT; i++)
		if ((!s->opts.lazy_tables || !table_exists(s, i)) &&
		    (ret = table_open(s, i, DB_CREATE, 1)) != 0)
			goto err;
	return 0;
err:
	snprintf(err, errlen, "cannot make a store in %s: %s", s->dir, db_strerror(ret));
	close_handles(s);
	return ret;
}

/* Joins generation gen of the site: a member first, then the environment. The site process
 * recovers only after a member's death, and an open leaves a transaction, table names and
 * replication counts in the regions before it returns: a process that died inside its open
 * (killed, or its watchdog's exit) was no member yet, and what it left wedged a replica
 * (t1600, 1 run in 14). EAGAIN when the environment was panicked or recovered meanwhile: the
 * site process is on it. */
static int join_and_open(struct store *s, ino_t gen, char *err, size_t errlen)
{
	int ret;
	if ((s->member_fd = site_join(s->dir, gen)) < 0) {
		snprintf(err, errlen, "%s: cannot register this process: %s", s->dir,
			 strerror(errno));
		return EIO;
	}
	ret = open_env_locked(s, err, errlen);
	if (ret == DB_RUNRECOVERY ||
	    (ret == 0 && (s->region_ino != gen || site_ready(s->dir) != gen)))
		ret = EAGAIN;
	return ret;
}

/* A worker of a replicated site joins the environment its site process made ready, and only
 * that one: never one that is being recovered, nor one without replication started (its
 * commits would be local only). It waits up to the config's master_wait_ms for it. */
static int open_worker(struct store *s, char *err, size_t errlen)
{
	uint64_t until = clock_mono_ms() + s->opts.repl->master_wait_ms;
	int fd, ret;
	for (;;) {
		ino_t gen = site_ready(s->dir);
		if (gen) {
			if ((fd = open_lock(s, err, errlen)) < 0)
				return EAGAIN;
			/* A longer watchdog than a single site's: a replica's open waits for a
			 * sync in progress to end. But not for ever: an open blocked on a mutex of a
			 * process that died holds the open lock that the site process needs to
			 * recover after that death (a failover test found the site stuck so). */
			holdwatch_start_for(REPL_OPEN_HOLD_MS);
			ret = join_and_open(s, gen, err, errlen);
			if (ret != 0) {
				close_handles(s);
				site_leave(s->dir, s->member_fd);
				s->member_fd = -1;
			}
			holdwatch_stop();
			open_unlock(fd);
			if (ret != EAGAIN)
				return ret;
		}
		if (clock_mono_ms() >= until) {
			snprintf(err, errlen, "%s: the site's replication process (FOLLOW_ROLE="
					      "replication) is not running or not ready", s->dir);
			return EAGAIN;
		}
		usleep(REPL_OPEN_POLL_US);
	}
}

static int open_env(struct store *s, char *err, size_t errlen)
{
	int fd, ret;
	if (s->opts.bulk)
		return open_bulk_env(s, err, errlen);
	if (s->opts.repl && s->opts.repl_role == STORE_REPL_WORKER)
		return open_worker(s, err, errlen);
	if ((fd = open_lock(s, err, errlen)) < 0)
		return EAGAIN;
	holdwatch_start();
	ret = open_env_locked(s, err, errlen);
	holdwatch_stop();
	open_unlock(fd);
	return ret;
}

/* 1 when no other process has the environment open: each holds an fcntl lock on its slot of
 * __db.register. Only while this process has it closed: closing the descriptor drops every
 * fcntl lock the process holds on the file, its own registry slot's among them (and a process
 * without its slot lock looks dead to the next opener, who recovers under it). */
static int env_alone(const struct store *s)
{
	char path[PATH_MAX];
	int fd, alone;
	snprintf(path, sizeof(path), "%s/__db.register", s->dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	alone = lockfile_holder(fd, 0, 0) == 0;
	close(fd);
	return alone;
}

/* Bytes of cache the open environment has, or that env_configure asked for before an open. */
static unsigned long long cache_bytes(DB_ENV *env)
{
	u_int32_t gbytes = 0, bytes = 0;
	int ncache;
	if (env->get_cachesize(env, &gbytes, &bytes, &ncache) != 0)
		return 0;
	return (unsigned long long)gbytes << 30 | bytes;
}

#define CACHE_SLACK_BYTES (1024 * 1024) /* regions round the asked-for size up to pages */

/*
 * The regions keep the cache size they were made with, and an ordinary open (no recovery)
 * only joins them: a changed cache_mb would never apply. So when the size differs and nobody
 * else has the environment open, the opener (holding the open lock) leaves, removes the
 * registry and opens again: Berkeley DB runs recovery for a new registry, and recovery makes
 * the regions anew at the configured size. Otherwise the change waits for a moment the
 * service is stopped; a log line says so. Returns 1 when it closed the environment and the
 * caller should open it again.
 */
static int cache_resize(struct store *s, unsigned long long asked)
{
	char path[PATH_MAX];
	unsigned long long have = cache_bytes(s->env);
	if (have + CACHE_SLACK_BYTES > asked && asked + CACHE_SLACK_BYTES > have)
		return 0;
	close_handles(s); /* before env_alone: see there */
	if (!env_alone(s)) {
		LOG("cache_mb asks for %llu MB but the environment was made with %llu MB; it "
		    "changes when every process using it has stopped", asked >> 20, have >> 20);
		return 1; /* open again, as it is */
	}
	LOG("cache_mb asks for %llu MB, the environment has %llu MB: making its regions anew",
	    asked >> 20, have >> 20);
	snprintf(path, sizeof(path), "%s/__db.register", s->dir);
	if (unlink(path) != 0)
		LOG("%s: %s", path, strerror(errno));
	holdwatch_recovering();
	return 1;
}

static int open_env_locked(struct store *s, char *err, size_t errlen)
{
	/* A process killed inside a transaction leaves its locks behind. DB_REGISTER notices the
	 * dead process when the next one opens (lighttpd respawns it) and runs recovery, which
	 * marks the old environment panicked: live processes get DB_RUNRECOVERY and reopen (see
	 * run_txn), and one blocked on a dead process's lock notices through store_orphaned().
	 * (DB_FAILCHK would try to release the dead process's locks instead, but in 5.3 the
	 * opener can spin forever on a mutex the dead process held, with the registry locked.) */
	u_int32_t flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN |
			  DB_RECOVER | DB_REGISTER;
	int ret, i, resized = 0, repl = s->opts.repl != NULL;
	unsigned long long asked;
	DB_ENV *env;

	s->region_ino = 0; /* not orphaned while (re)opening: recovery may be running */
	if (s->profiles_seen) /* a restore or a full sync may bring other data under a mark */
		profcache_clear(s->profiles_seen);
again:
	if ((ret = db_env_create(&s->env, 0)) != 0)
		goto err;
	env = s->env;
	if ((ret = env_configure(env, s->opts.cache_mb)) != 0 ||
	    (ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0)
		goto err;
	if (s->opts.durability == STORE_NOSYNC)
		ret = env->set_flags(env, DB_TXN_NOSYNC, 1);
	else if (s->opts.durability == STORE_WRITE)
		ret = env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);
	if (ret != 0 || (ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0)
		goto err;
	/* Replicated, only the site process creates and recovers, and always does (see
	 * repl.c); its workers join what it made. repmgr needs a thread-safe handle. */
	if (repl) {
		flags = DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN | DB_INIT_REP |
			DB_THREAD;
		if (s->opts.repl_role == STORE_REPL_SITE)
			flags |= DB_CREATE | DB_RECOVER;
		if ((ret = repl_prepare(env)) != 0)
			goto err;
	}
	asked = cache_bytes(env);
	if ((ret = env->open(env, s->dir, flags, 0600)) != 0)
		goto err;
	if (repl && (ret = repl_configure(s)) != 0)
		goto err;
	/* Before any table opens: opening one logs, and the first log record of a process that
	 * has not started repmgr starts it by itself (a path that leaks in 5.3). */
	if (repl && s->opts.repl_role == STORE_REPL_WORKER && (ret = repl_worker_start(s)) != 0) {
		snprintf(err, errlen, "the site's replication process is not running");
		close_handles(s);
		return ret;
	}
	if (!repl && !resized && cache_resize(s, asked)) {
		resized = 1;
		goto again;
	}
	{
		struct stat st;
		if (stat(s->region, &st) != 0) {
			ret = errno;
			goto err;
		}
		s->region_ino = st.st_ino;
	}

	/* Lazy tables still need every file made once, by an opener holding the lock. A
	 * replicated site's tables are made by its master (site.c), and reach the others. */
	for (i = 0; i < T_COUNT && !repl; i++)
		if ((!s->opts.lazy_tables || !table_exists(s, i)) &&
		    (ret = table_open(s, i, DB_CREATE, TABLE_OPEN_TRIES)) != 0)
			goto err;
	/* A replica may not have them yet (its first sync): those open at their first use.
	 * The site process opens none: a handle opened before repmgr_start has given this site
	 * its role logs its open as a master would, in a log the next sync rolls back, and the
	 * rollback, run by this same process, takes the open handles for its own. */
	for (i = 0; i < T_COUNT && repl && s->opts.repl_role == STORE_REPL_WORKER &&
		    !s->opts.lazy_tables; i++)
		if (table_exists(s, i) && (ret = table_open(s, i, 0, TABLE_OPEN_TRIES)) != 0)
			goto err;
	return 0;
err:
	snprintf(err, errlen, "cannot open the database in %s: %s", s->dir, db_strerror(ret));
	close_handles(s);
	return ret;
}

int env_ensure(struct store *s)
{
	char err[512];
	int ret;
	if (s->env)
		return 0;
	if ((ret = open_env(s, err, sizeof(err))) != 0)
		LOG("%s", err);
	return ret;
}

struct store *store_open(const struct store_opts *opts, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	int ret;
	if (!s || !(s->dir = strdup(opts->dir))) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->opts = *opts;
	s->opts.dir = s->dir;
	s->excl_fd = -1;
	s->member_fd = -1;
	snprintf(s->region, sizeof(s->region), "%s/__db.001", s->dir);
	snprintf(s->registry, sizeof(s->registry), "%s/__db.register", s->dir);
	s->registry_fd = -1;
	s->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	if ((ret = open_env(s, err, errlen)) != 0) {
		/* A replicated site's worker waits for its site process: it opens at its first
		 * call once the site is ready. */
		if (ret == EAGAIN && s->opts.repl && s->opts.repl_role == STORE_REPL_WORKER) {
			LOG("%s; opening it later", err);
			return s;
		}
		free(s->dir);
		free(s);
		return NULL;
	}
	return s;
}

enum store_status store_exclusive(struct store *s, int *alone)
{
	char err[256];
	int ret;
	*alone = s->excl_fd >= 0;
	if (*alone)
		return STORE_OK;
	if ((s->excl_fd = open_lock(s, err, sizeof(err))) < 0) {
		LOG("%s", err);
		return STORE_FAIL;
	}
	/* Closed for the test (see env_alone), opened again under the lock: nobody can join
	 * between the two. */
	holdwatch_start();
	close_handles(s);
	*alone = env_alone(s);
	ret = open_env_locked(s, err, sizeof(err));
	holdwatch_stop();
	if (ret != 0)
		LOG("%s", err);
	if (ret != 0 || !*alone) {
		open_unlock(s->excl_fd);
		s->excl_fd = -1;
		*alone = 0;
	}
	return ret == 0 ? STORE_OK : STORE_FAIL;
}

void store_release(struct store *s)
{
	if (s->excl_fd >= 0) {
		open_unlock(s->excl_fd);
		s->excl_fd = -1;
	}
}

/* The environment's own files in dir: its log and regions (the registry among them). */
static int env_own_file(const char *name)
{
	return strncmp(name, "log.", 4) == 0 || strncmp(name, "__db.", 5) == 0;
}

/*
 * The order keeps every moment openable: first the old log and regions go (the tables, empty
 * and checkpointed by the close, then open without them as an empty store), then each table is
 * renamed over its old self. Only a death among those eight renames leaves a mix of new and
 * old (empty) tables; followctl verify says so, and a new import into a new folder is the cure.
 */
enum store_status store_bulk_install(struct store *s, const char *stage, char *err, size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	int i, ret;
	if (s->excl_fd < 0) {
		snprintf(err, errlen, "installing a bulk store needs the environment to itself");
		return STORE_FAIL;
	}
	if (s->env && (ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE)) != 0) {
		snprintf(err, errlen, "checkpoint: %s", db_strerror(ret));
		return STORE_FAIL;
	}
	holdwatch_start();
	close_handles(s);
	holdwatch_stop();
	if (dir_clear(s->dir, env_own_file, err, errlen) != 0)
		return STORE_FAIL;
	for (i = 0; i < T_COUNT; i++) {
		snprintf(from, sizeof(from), "%s/%s", stage, store_table_files[i]);
		snprintf(to, sizeof(to), "%s/%s", s->dir, store_table_files[i]);
		if (rename(from, to) != 0) {
			snprintf(err, errlen, "cannot move %s to %s: %s", from, to, strerror(errno));
			return STORE_FAIL;
		}
	}
	if (dir_sync(s->dir) != 0) {
		snprintf(err, errlen, "cannot sync %s: %s", s->dir, strerror(errno));
		return STORE_FAIL;
	}
	if (dir_clear(stage, dir_any_file, err, errlen) != 0)
		return STORE_FAIL;
	if (rmdir(stage) != 0) {
		snprintf(err, errlen, "cannot remove %s: %s", stage, strerror(errno));
		return STORE_FAIL;
	}
	/* A new registry: Berkeley DB recovers (an empty log) and makes new regions. */
	holdwatch_start();
	holdwatch_recovering();
	ret = open_env_locked(s, err, errlen);
	holdwatch_stop();
	return ret == 0 ? STORE_OK : STORE_FAIL;
}

int store_orphaned(const struct store *s)
{
	struct stat st;
	return s->region_ino && (stat(s->region, &st) != 0 || st.st_ino != s->region_ino);
}

/*
 * The registry (__db.register) is one fixed-size line per slot: a process id, or a line
 * starting with 'X' when free. A process holds an fcntl lock on its slot's first byte while it
 * has the environment open, taken before it writes its id and kept until it has blanked it, so
 * an id whose byte nobody locks belongs to a dead process. The descriptor stays open until
 * store_close: closing any descriptor of the file would drop every fcntl lock this process
 * holds on it, its own slot's among them.
 */
#define REGISTRY_SLOT 25    /* Berkeley DB's PID_LEN */
#define REGISTRY_SLOTS_READ 160 /* slots read at a time */
#define REGISTRY_SLOTS_MAX 4096 /* slots looked at, at most (one per process) */

static long slot_pid(const char *p)
{
	long pid = 0;
	int i;
	if (p[0] == 'X')
		return 0;
	for (i = 0; i < REGISTRY_SLOT - 1; i++)
		if (p[i] >= '0' && p[i] <= '9')
			pid = pid * 10 + (p[i] - '0');
		else if (p[i] != ' ')
			return 0;
	return pid;
}

int store_dead_opener(struct store *s)
{
	char buf[REGISTRY_SLOT * REGISTRY_SLOTS_READ];
	long self = (long)getpid();
	off_t at = 0;
	ssize_t got;
	if (s->registry_fd < 0 && (s->registry_fd = open(s->registry, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while (at < (off_t)REGISTRY_SLOT * REGISTRY_SLOTS_MAX &&
	       (got = pread(s->registry_fd, buf, sizeof(buf), at)) >= REGISTRY_SLOT) {
		ssize_t i;
		for (i = 0; i + REGISTRY_SLOT <= got; i += REGISTRY_SLOT) {
			long pid = slot_pid(buf + i);
			if (pid > 0 && pid != self && lockfile_holder(s->registry_fd, at + i, 1) == 0)
				return 1;
		}
		at += got - got % REGISTRY_SLOT;
	}
	return 0;
}

int store_needs_restart(const struct store *s)
{
	return s->needs_restart;
}

int store_close(struct store *s)
{
	int abandoned;
	if (!s)
		return 0;
	store_deferred(s);
	close_env(s);
	if (s->registry_fd >= 0)
		close(s->registry_fd); /* the environment is closed: no slot of ours to lose */
	abandoned = s->abandoned;
	profcache_free(s->profiles_seen);
	free(s->dir);
	free(s);
	return abandoned;
}

/* ---- transactions ---- */


static void backoff(struct store *s, int attempt)
{
	/* Randomised so that processes colliding on a hot account do not collide again in step. */
	unsigned cap = 500u << (attempt < 7 ? attempt : 7); /* up to 64 ms */
	usleep(100 + (unsigned)(rand_r(&s->seed) % cap));
}

/* Whether to ask for a checkpoint after this commit. Asking is not free: even when too little
 * log was written, DB_ENV->txn_checkpoint opened the log file and read 32 KB of it, a dozen
 * system calls on every follow_add. So a process asks at most once a CKP_CHECK_MS. */
static int checkpoint_due(struct store *s)
{
	uint64_t now = clock_mono_ms();
	if (s->ckp_checked_ms && now - s->ckp_checked_ms < CKP_CHECK_MS)
		return 0;
	s->ckp_checked_ms = now;
	return 1;
}

/*
 * Runs body in a transaction until it commits, retrying deadlocks with backoff and reopening
 * the environment when another process's recovery made it unusable. body must start from
 * scratch on each call. Returns 0, the body's own verdict (TXN_VERDICT: it chose to abort) or a
 * Berkeley DB error.
 */
/* Runs one attempt of body. A body that changed a profile (profile_put, profile_del) gets the
 * profiles table's new mark as its transaction's last write, here rather than in each writer,
 * so that no writer of the table can forget it (profcache.c trusts the mark). */
static int run_body(struct store *s, txn_body body, DB_TXN *txn, void *arg)
{
	int ret;
	s->profiles_changed = 0;
	ret = body(s, txn, arg);
	if (ret == 0 && s->profiles_changed)
		ret = profiles_remark(s, txn);
	return ret;
}

int run_txn_as(struct store *s, txn_body body, void *arg, const struct txn_mode *m)
{
	int attempt, ret = 0, reconnected = 0;
	char err[256];

	if (s->opts.bulk)
		return run_body(s, body, NULL, arg); /* nothing else uses it: no retries */
	for (attempt = 0; attempt < MAX_TRIES; attempt++) {
		DB_TXN *txn = NULL;
		if (!s->env) {
			if ((ret = open_env(s, err, sizeof(err))) != 0 && s->opts.repl) {
				/* A replicated worker never recovers: it waits for its site. */
				LOG("%s", err);
				return ret;
			}
			if (ret != 0) {
				/* After a panic of its own (a failed log write: disk full), DB_REGISTER
				 * refuses this process a second handle; only a new process can recover. */
				LOG("%s; this process will be replaced", err);
				s->needs_restart = 1;
				return ret;
			}
		}
		/* A write (only writes ask for checkpoints). Once per call: with the others really
		 * gone, the commit then fails on its acks. */
		if (s->opts.repl && m->ckp_kb && !reconnected && !repl_can_commit(s)) {
			LOG("replication: too few connections for a commit's acks; reconnecting");
			close_env(s);
			reconnected = 1;
			continue; /* reopened at the top, with its connections awaited */
		}
		if (m->no_txn)
			ret = run_body(s, body, NULL, arg);
		else if ((ret = s->env->txn_begin(s->env, NULL, &txn, m->begin_flags)) == 0) {
			ret = run_body(s, body, txn, arg);
			if (ret == 0) {
				/* The ack policy's verdict comes as an event during the commit. */
				uint64_t failed = s->opts.repl ? repl_perm_failed() : 0;
				ret = txn->commit(txn, 0);
				if (ret == 0 && s->opts.repl && repl_perm_failed() != failed)
					s->unacked = s->reconnect = 1;
			} else {
				int t_ret = txn->abort(txn);
				if (t_ret != 0 && TXN_VERDICT(ret))
					ret = t_ret;
			}
		}
		if (ret == 0 || TXN_VERDICT(ret)) {
			if (ret == 0 && m->ckp_kb)
				s->ckp_kb = m->ckp_kb;
			return ret;
		}
		if (ret == EACCES && s->opts.repl) {
			s->not_master = 1; /* a replica refuses writes: nothing was written */
			return ret;
		}
		if (ret == DB_RUNRECOVERY) {
			LOG("environment needs recovery; reopening");
			close_env(s);
		} else if (ret == DB_REP_HANDLE_DEAD) {
			/* A replica's sync rolled back or replaced what this process's table handles
			 * pointed at: those are closed, and open again at their next use. The
			 * environment stays (the reference guide's handling): closing it too shut
			 * down this process's replication and reconnected to every site. */
			LOG("replication replaced the tables; reopening them");
			close_tables_watched(s);
		} else if (ret == DB_REP_LOCKOUT) {
			/* a replica applying a sync: wait for it */
		} else if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED) {
			LOG("transaction failed: %s", db_strerror(ret));
			return ret;
		}
		backoff(s, attempt);
		s->retries++;
	}
	LOG("transaction gave up after %d tries: %s", MAX_TRIES, db_strerror(ret));
	return ret;
}

/*
 * A checkpoint writes every page changed since the last one and syncs each file: on a store of
 * millions of edges, tens of milliseconds to a few hundred. Made inside the call that committed,
 * it landed on that caller: follow_add's p99 was 300 ms at 10M edges. So commits only note it,
 * and the process makes it when nobody waits for it: after the answer was sent. And one process
 * at a time (CKP_LOCK_FILE, not waited for: a process that finds it held tries again later):
 * when every worker was checkpointing at once, none was left to take the next call.
 */
#define CKP_LOCK_FILE "checkpoint.lock"

void store_deferred(struct store *s)
{
	char err[256];
	int fd, ret;
	/* A worker's own connections to the other sites missed acknowledgements: it may have
	 * made them while those sites were still joining the group, and they stay useless. It
	 * leaves and joins again, with new ones. */
	if (s && s->reconnect) {
		s->reconnect = 0;
		LOG("replication: a commit was not acknowledged; reconnecting to the group");
		close_env(s);
		return;
	}
	if (!s || !s->env || !s->ckp_kb || !checkpoint_due(s))
		return;
	if ((fd = lockfile_open(s->dir, CKP_LOCK_FILE, err, sizeof(err))) < 0 ||
	    (ret = lockfile_try(fd, err, sizeof(err))) < 0) {
		LOG("%s; checkpointing without it", err);
		ret = 0;
	}
	if (ret == 0) {
		if ((ret = s->env->txn_checkpoint(s->env, s->ckp_kb, 1, 0)) != 0)
			LOG("checkpoint: %s", db_strerror(ret)); /* the commits stand */
		s->ckp_kb = 0;
	}
	if (fd >= 0)
		close(fd); /* drops the lock */
}

int run_txn(struct store *s, txn_body body, void *arg, int readonly)
{
	static const struct txn_mode write = {.ckp_kb = CKP_KB};
	static const struct txn_mode read = {.begin_flags = DB_READ_COMMITTED};
	return run_txn_as(s, body, arg, readonly ? &read : &write);
}

int run_lookups(struct store *s, txn_body body, void *arg)
{
	static const struct txn_mode lookups = {.no_txn = 1};
	return run_txn_as(s, body, arg, &lookups);
}

int run_snapshot(struct store *s, txn_body body, void *arg)
{
	static const struct txn_mode snapshot = {.begin_flags = DB_TXN_SNAPSHOT};
	static const struct txn_mode read = {.begin_flags = DB_READ_COMMITTED};
	return run_txn_as(s, body, arg, s->opts.repl ? &read : &snapshot);
}

enum store_status status_of(int ret)
{
	return ret == 0 ? STORE_OK : ret == TXN_ROLLBACK ? STORE_NO_ACCOUNT : STORE_FAIL;
}

