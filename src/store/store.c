/* store.c - every Berkeley DB call: environment, tables, transactions, retries. */
#include "store/store.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>

#include "common/log.h"
#include "store/store_int.h"

/*
 * Tables, all hash, all in one transactional environment:
 *   accounts  id -> counters (following, followers, mutual), 12 bytes little-endian
 *   edges     from NUL to -> FollowTime (4 bytes little-endian); the primary record of a follow
 *   following from -> sorted duplicates of  ~time(4, big-endian) . to
 *   fans      to   -> sorted duplicates of  ~time . from            (the fan index)
 *   mutual    user -> sorted duplicates of  ~time . other           (time the pair became mutual)
 * The three lists are secondary indexes kept by hand in the same transaction as the edge: a
 * DB->associate secondary would sort its duplicates by the primary key (the account), while a
 * list must come out newest first, so the inverted time leads the bytes the duplicates sort on.
 * A page then starts with DB_GET_BOTH_RANGE at the cursor's (time, id): O(log n + page).
 */

#define MAX_TRIES 40

static const char *const table_files[T_COUNT] = {
	"accounts.db", "edges.db", "following.db", "fans.db",
	"mutual.db",   "profiles.db", "outbox.db", "deadletter.db"};

/* ---- encoding ---- */

void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void dbt_init(DBT *d, const void *data, size_t size)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)data;
	d->size = (u_int32_t)size;
}

void dbt_user(DBT *d, void *buf, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->data = buf;
	d->ulen = (u_int32_t)cap;
	d->flags = DB_DBT_USERMEM;
}

/* Index entry: newest first means the largest time must sort first, hence ~time big-endian. */
size_t idx_encode(unsigned char *buf, uint32_t time, const char *id)
{
	uint32_t inv = ~time;
	size_t len = strlen(id);
	buf[0] = (inv >> 24) & 0xff;
	buf[1] = (inv >> 16) & 0xff;
	buf[2] = (inv >> 8) & 0xff;
	buf[3] = inv & 0xff;
	memcpy(buf + 4, id, len);
	return 4 + len;
}

static int idx_decode(const DBT *d, struct store_item *it)
{
	const unsigned char *p = d->data;
	size_t len;
	if (d->size < 5 || d->size > IDX_MAX)
		return EINVAL;
	it->time = ~((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
	len = d->size - 4;
	memcpy(it->id, p + 4, len);
	it->id[len] = '\0';
	return 0;
}

size_t edge_key(char *buf, const char *from, const char *to)
{
	size_t a = strlen(from), b = strlen(to);
	memcpy(buf, from, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, to, b);
	return a + 1 + b;
}

/* ---- environment ---- */

static void db_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	log_msg(__FILE__, __LINE__, "berkeley db: %s", msg);
}

static void close_handles(struct store *s)
{
	int i, ret;
	for (i = 0; i < T_COUNT; i++) {
		if (s->db[i] && (ret = s->db[i]->close(s->db[i], 0)) != 0) {
			LOG("close %s: %s", table_files[i], db_strerror(ret));
			s->abandoned = 1;
		}
		s->db[i] = NULL;
	}
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
 * The kernel drops the lock when its holder dies, so a killed opener never blocks the others.
 * Not a __db.* name: recovery removes those.
 */
#define OPEN_LOCK_FILE "open.lock"
#define OPEN_LOCK_WAIT_MS 120000 /* recovery of a long log can take this long */

static int open_lock(const struct store *s, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct flock fl;
	unsigned waited = 0, step = 1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->dir, OPEN_LOCK_FILE);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return fd;
		if ((errno != EACCES && errno != EAGAIN && errno != EINTR) ||
		    waited >= OPEN_LOCK_WAIT_MS) {
			snprintf(err, errlen, "%s: %s", path,
				 waited >= OPEN_LOCK_WAIT_MS ? "another process has been opening the "
							      "database for too long"
							    : strerror(errno));
			close(fd);
			return -1;
		}
		/* Polled, not F_SETLKW: the wait stays bounded without a signal. */
		usleep(step * 1000);
		waited += step;
		step = step < 8 ? step * 2 : 8;
	}
}

static void open_unlock(int fd)
{
	close(fd); /* drops the lock */
}

static int open_env_locked(struct store *s, char *err, size_t errlen);

static int open_env(struct store *s, char *err, size_t errlen)
{
	int fd, ret;
	if ((fd = open_lock(s, err, errlen)) < 0)
		return EAGAIN;
	ret = open_env_locked(s, err, errlen);
	open_unlock(fd);
	return ret;
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
	int ret, i, tries;
	DB_ENV *env;

	s->region_ino = 0; /* not orphaned while (re)opening: recovery may be running */
	if ((ret = db_env_create(&s->env, 0)) != 0)
		goto err;
	env = s->env;
	env->set_errcall(env, db_errcall);
	/* Sizes apply when the environment is created; every process asks for the same. */
	if ((ret = env->set_cachesize(env, 0, 64 * 1024 * 1024, 1)) != 0 ||
	    (ret = env->set_lk_max_locks(env, 200000)) != 0 ||
	    (ret = env->set_lk_max_objects(env, 200000)) != 0 ||
	    (ret = env->set_lk_max_lockers(env, 4000)) != 0 ||
	    (ret = env->set_lg_bsize(env, 1024 * 1024)) != 0 ||
	    (ret = env->set_lk_detect(env, DB_LOCK_DEFAULT)) != 0)
		goto err;
	if (s->opts.durability == STORE_NOSYNC)
		ret = env->set_flags(env, DB_TXN_NOSYNC, 1);
	else if (s->opts.durability == STORE_WRITE)
		ret = env->set_flags(env, DB_TXN_WRITE_NOSYNC, 1);
	if (ret != 0 || (ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0)
		goto err;
	if ((ret = env->open(env, s->dir, flags, 0600)) != 0)
		goto err;
	{
		struct stat st;
		if (stat(s->region, &st) != 0) {
			ret = errno;
			goto err;
		}
		s->region_ino = st.st_ino;
	}

	for (i = 0; i < T_COUNT; i++) {
		/* Opens are one at a time (open_lock), but a running writer can still pick this
		 * open's locks as a deadlock victim. */
		for (tries = 0;; tries++) {
			DB *db;
			if ((ret = db_create(&db, env, 0)) != 0)
				goto err;
			if ((i >= T_FOLLOWING && i <= T_MUTUAL &&
			     (ret = db->set_flags(db, DB_DUPSORT)) != 0) ||
			    (i == T_OUTBOX && (ret = db->set_re_len(db, STORE_EVENT_BYTES)) != 0)) {
				db->close(db, 0);
				goto err;
			}
			/* The outbox is a queue: record numbers only grow, so they are event ids. */
			ret = db->open(db, NULL, table_files[i], NULL,
				       i == T_OUTBOX ? DB_QUEUE : DB_HASH, DB_CREATE | DB_AUTO_COMMIT,
				       0600);
			if (ret == 0) {
				s->db[i] = db;
				break;
			}
			db->close(db, 0);
			if (tries >= 20 || ret != DB_LOCK_DEADLOCK)
				goto err;
			usleep(20000);
		}
	}
	return 0;
err:
	snprintf(err, errlen, "cannot open the database in %s: %s", s->dir, db_strerror(ret));
	close_handles(s);
	return ret;
}

struct store *store_open(const struct store_opts *opts, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(opts->dir))) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->opts = *opts;
	s->opts.dir = s->dir;
	snprintf(s->region, sizeof(s->region), "%s/__db.001", s->dir);
	s->seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	if (open_env(s, err, errlen) != 0) {
		free(s->dir);
		free(s);
		return NULL;
	}
	return s;
}

int store_orphaned(const struct store *s)
{
	struct stat st;
	return s->region_ino && (stat(s->region, &st) != 0 || st.st_ino != s->region_ino);
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
	close_handles(s);
	abandoned = s->abandoned;
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

/*
 * Runs body in a transaction until it commits, retrying deadlocks with backoff and reopening
 * the environment when another process's recovery made it unusable. body must start from
 * scratch on each call. Returns 0, the body's own verdict (TXN_VERDICT: it chose to abort) or a
 * Berkeley DB error.
 */
int run_txn(struct store *s, txn_body body, void *arg, int readonly)
{
	int attempt, ret = 0;
	char err[256];

	for (attempt = 0; attempt < MAX_TRIES; attempt++) {
		DB_TXN *txn = NULL;
		if (!s->env) {
			if ((ret = open_env(s, err, sizeof(err))) != 0) {
				/* After a panic of its own (a failed log write: disk full), DB_REGISTER
				 * refuses this process a second handle; only a new process can recover. */
				LOG("%s; this process will be replaced", err);
				s->needs_restart = 1;
				return ret;
			}
		}
		ret = s->env->txn_begin(s->env, NULL, &txn, readonly ? DB_READ_COMMITTED : 0);
		if (ret == 0) {
			ret = body(s, txn, arg);
			if (ret == 0) {
				ret = txn->commit(txn, 0);
			} else {
				int t_ret = txn->abort(txn);
				if (t_ret != 0 && TXN_VERDICT(ret))
					ret = t_ret;
			}
		}
		if (ret == 0 || TXN_VERDICT(ret)) {
			if (ret == 0 && !readonly &&
			    (ret = s->env->txn_checkpoint(s->env, 1024, 1, 0)) != 0)
				LOG("checkpoint: %s", db_strerror(ret)); /* the commit stands */
			return TXN_VERDICT(ret) ? ret : 0;
		}
		if (ret == DB_RUNRECOVERY) {
			LOG("environment needs recovery; reopening");
			close_handles(s);
		} else if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED) {
			LOG("transaction failed: %s", db_strerror(ret));
			return ret;
		}
		backoff(s, attempt);
	}
	LOG("transaction gave up after %d tries: %s", MAX_TRIES, db_strerror(ret));
	return ret;
}

enum store_status status_of(int ret)
{
	return ret == 0 ? STORE_OK : ret == TXN_ROLLBACK ? STORE_NO_ACCOUNT : STORE_FAIL;
}

/* ---- record helpers (inside a transaction) ---- */

/* Reads an account; *found says whether it exists. RMW locks it for update when writing. */
int account_get(struct store *s, DB_TXN *txn, const char *id, struct account *a,
		       int *found, int rmw)
{
	unsigned char buf[12];
	DBT key, val;
	int ret;
	dbt_init(&key, id, strlen(id));
	dbt_user(&val, buf, sizeof(buf));
	ret = s->db[T_ACCOUNTS]->get(s->db[T_ACCOUNTS], txn, &key, &val, rmw ? DB_RMW : 0);
	memset(a, 0, sizeof(*a));
	*found = ret == 0;
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	if (val.size != sizeof(buf))
		return EINVAL;
	a->following = get_le32(buf);
	a->followers = get_le32(buf + 4);
	a->mutual = get_le32(buf + 8);
	return 0;
}

int account_put(struct store *s, DB_TXN *txn, const char *id, const struct account *a)
{
	unsigned char buf[12];
	DBT key, val;
	put_le32(buf, a->following);
	put_le32(buf + 4, a->followers);
	put_le32(buf + 8, a->mutual);
	dbt_init(&key, id, strlen(id));
	dbt_init(&val, buf, sizeof(buf));
	return s->db[T_ACCOUNTS]->put(s->db[T_ACCOUNTS], txn, &key, &val, 0);
}

/* Reads the edge from->to; *time is 0 when there is none (FollowTime 0 is never stored). */
int edge_get(struct store *s, DB_TXN *txn, const char *from, const char *to,
		    uint32_t *time, int rmw)
{
	char kbuf[EDGE_KEY_MAX];
	unsigned char vbuf[4];
	DBT key, val;
	int ret;
	dbt_init(&key, kbuf, edge_key(kbuf, from, to));
	dbt_user(&val, vbuf, sizeof(vbuf));
	ret = s->db[T_EDGES]->get(s->db[T_EDGES], txn, &key, &val, rmw ? DB_RMW : 0);
	*time = 0;
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	if (val.size != 4)
		return EINVAL;
	*time = get_le32(vbuf);
	return 0;
}

int idx_add(struct store *s, DB_TXN *txn, int table, const char *owner, uint32_t time,
		   const char *other)
{
	unsigned char buf[IDX_MAX];
	DBT key, val;
	dbt_init(&key, owner, strlen(owner));
	dbt_init(&val, buf, idx_encode(buf, time, other));
	return s->db[table]->put(s->db[table], txn, &key, &val, DB_NODUPDATA);
}

static int idx_del(struct store *s, DB_TXN *txn, int table, const char *owner, uint32_t time,
		   const char *other)
{
	unsigned char buf[IDX_MAX];
	DBT key, val;
	DBC *c;
	int ret, t_ret;
	dbt_init(&key, owner, strlen(owner));
	dbt_init(&val, buf, idx_encode(buf, time, other));
	if ((ret = s->db[table]->cursor(s->db[table], txn, &c, 0)) != 0)
		return ret;
	ret = c->get(c, &key, &val, DB_GET_BOTH | DB_RMW);
	if (ret == 0)
		ret = c->del(c, 0);
	else if (ret == DB_NOTFOUND)
		ret = EINVAL; /* an edge without its index entry: the store is inconsistent */
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

static uint32_t later(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Adds edge from->to at time now; both accounts' counters are in memory and the caller writes
 * them back. back is the time of to->from (0 when none). */
static int edge_add(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t now,
		    uint32_t back, struct account *fa, struct account *ta)
{
	char kbuf[EDGE_KEY_MAX];
	unsigned char vbuf[4];
	DBT key, val;
	int ret;

	dbt_init(&key, kbuf, edge_key(kbuf, from, to));
	put_le32(vbuf, now);
	dbt_init(&val, vbuf, 4);
	if ((ret = s->db[T_EDGES]->put(s->db[T_EDGES], txn, &key, &val, 0)) != 0 ||
	    (ret = idx_add(s, txn, T_FOLLOWING, from, now, to)) != 0 ||
	    (ret = idx_add(s, txn, T_FANS, to, now, from)) != 0)
		return ret;
	fa->following++;
	ta->followers++;
	if (back) {
		uint32_t since = later(now, back);
		if ((ret = idx_add(s, txn, T_MUTUAL, from, since, to)) != 0 ||
		    (ret = idx_add(s, txn, T_MUTUAL, to, since, from)) != 0)
			return ret;
		fa->mutual++;
		ta->mutual++;
	}
	return 0;
}

/* Removes edge from->to made at time t; back as in edge_add. */
static int edge_del(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t t,
		    uint32_t back, struct account *fa, struct account *ta)
{
	char kbuf[EDGE_KEY_MAX];
	DBT key;
	int ret;

	dbt_init(&key, kbuf, edge_key(kbuf, from, to));
	if ((ret = s->db[T_EDGES]->del(s->db[T_EDGES], txn, &key, 0)) != 0 ||
	    (ret = idx_del(s, txn, T_FOLLOWING, from, t, to)) != 0 ||
	    (ret = idx_del(s, txn, T_FANS, to, t, from)) != 0)
		return ret;
	fa->following--;
	ta->followers--;
	if (back) {
		uint32_t since = later(t, back);
		if ((ret = idx_del(s, txn, T_MUTUAL, from, since, to)) != 0 ||
		    (ret = idx_del(s, txn, T_MUTUAL, to, since, from)) != 0)
			return ret;
		fa->mutual--;
		ta->mutual--;
	}
	return 0;
}

/* ---- accounts ---- */

struct import_arg {
	const char *const *ids;
	size_t n;
};

int account_create(struct store *s, DB_TXN *txn, const char *id)
{
	struct account a;
	int ret, found;
	if ((ret = account_get(s, txn, id, &a, &found, 1)) != 0 || found)
		return ret;
	return account_put(s, txn, id, &a);
}

static int import_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct import_arg *arg = argp;
	size_t i;
	int ret;
	for (i = 0; i < arg->n; i++)
		if ((ret = account_create(s, txn, arg->ids[i])) != 0)
			return ret;
	return 0;
}

enum store_status store_account_import(struct store *s, const char *const *ids, size_t n)
{
	struct import_arg arg = {ids, n};
	return status_of(run_txn(s, import_body, &arg, 0));
}

struct check_arg {
	struct store_target *t;
	size_t n;
};

static int account_check_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct check_arg *arg = argp;
	struct account a;
	size_t i;
	int ret;
	for (i = 0; i < arg->n; i++)
		if ((ret = account_get(s, txn, arg->t[i].id, &a, &arg->t[i].exists, 0)) != 0)
			return ret;
	return 0;
}

enum store_status store_account_check(struct store *s, struct store_target *t, size_t n)
{
	struct check_arg arg = {t, n};
	return status_of(run_txn(s, account_check_body, &arg, 1));
}

enum store_status store_account_exists(struct store *s, const char *id, int *exists)
{
	struct store_target t = {.id = id};
	enum store_status st = store_account_check(s, &t, 1);
	*exists = t.exists;
	return st;
}

/* Removes every edge of one of victim's lists; out = 1 walks whom victim follows, 0 its fans. */
static int delete_edges(struct store *s, DB_TXN *txn, const char *victim, struct account *va,
			int out)
{
	int table = out ? T_FOLLOWING : T_FANS;
	unsigned char kbuf[STORE_ID_MAX], vbuf[IDX_MAX];
	struct store_item it;
	struct account oa;
	DBT key, val;
	DBC *c;
	int ret, t_ret, found;
	uint32_t back;

	/* Each pass re-reads the first entry: edge_del removes it, so the list shrinks to empty. */
	for (;;) {
		if ((ret = s->db[table]->cursor(s->db[table], txn, &c, 0)) != 0)
			return ret;
		memcpy(kbuf, victim, strlen(victim));
		dbt_user(&key, kbuf, sizeof(kbuf));
		key.size = (u_int32_t)strlen(victim);
		dbt_user(&val, vbuf, sizeof(vbuf));
		ret = c->get(c, &key, &val, DB_SET | DB_RMW);
		if (ret == 0)
			ret = idx_decode(&val, &it);
		if ((t_ret = c->close(c)) != 0 && (ret == 0 || ret == DB_NOTFOUND))
			return t_ret;
		if (ret == DB_NOTFOUND)
			return 0;
		if (ret != 0)
			return ret;
		if ((ret = account_get(s, txn, it.id, &oa, &found, 1)) != 0)
			return ret;
		if (out) {
			if ((ret = edge_get(s, txn, it.id, victim, &back, 1)) != 0 ||
			    (ret = edge_del(s, txn, victim, it.id, it.time, back, va, &oa)) != 0)
				return ret;
		} else {
			/* Outgoing edges went first, so no mutual pair is left to undo here. */
			if ((ret = edge_del(s, txn, it.id, victim, it.time, 0, &oa, va)) != 0)
				return ret;
		}
		if (found && (ret = account_put(s, txn, it.id, &oa)) != 0)
			return ret;
	}
}

struct delete_arg {
	const char *id;
	int existed;
};

static int account_delete_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct delete_arg *arg = argp;
	struct account a;
	DBT key;
	int ret;
	if ((ret = account_get(s, txn, arg->id, &a, &arg->existed, 1)) != 0)
		return ret;
	if (!arg->existed)
		return TXN_ROLLBACK;
	if ((ret = delete_edges(s, txn, arg->id, &a, 1)) != 0 ||
	    (ret = delete_edges(s, txn, arg->id, &a, 0)) != 0)
		return ret;
	dbt_init(&key, arg->id, strlen(arg->id));
	if ((ret = s->db[T_PROFILES]->del(s->db[T_PROFILES], txn, &key, 0)) != 0 &&
	    ret != DB_NOTFOUND)
		return ret;
	return s->db[T_ACCOUNTS]->del(s->db[T_ACCOUNTS], txn, &key, 0);
}

enum store_status store_account_delete(struct store *s, const char *id, int *existed)
{
	struct delete_arg arg = {id, 0};
	int ret = run_txn(s, account_delete_body, &arg, 0);
	*existed = arg.existed;
	return ret == TXN_ROLLBACK ? STORE_OK : status_of(ret);
}

/* ---- follow batches ---- */

struct batch_arg {
	const char *from;
	struct store_target *t;
	size_t n;
	uint32_t now;   /* changes: FollowTime of new edges; 0 when removing */
	int counts;     /* reads: counters rather than relations */
};

static void batch_reset(struct batch_arg *arg)
{
	size_t i;
	for (i = 0; i < arg->n; i++) {
		struct store_target *t = &arg->t[i];
		t->result = STORE_DONE;
		t->changed = t->exists = t->follow_type = 0;
		memset(&t->counts, 0, sizeof(t->counts));
	}
}

static int over(uint32_t count, uint32_t max)
{
	return max != 0 && count >= max;
}

/* A follow limit that adding from->to would break, or STORE_DONE. */
static enum store_result limit_hit(const struct store *s, const struct account *fa,
				   const struct account *ta, int makes_mutual)
{
	if (over(fa->following, s->opts.max_following))
		return STORE_MAX_FOLLOWING;
	if (over(ta->followers, s->opts.max_followers))
		return STORE_MAX_FOLLOWERS;
	if (makes_mutual && over(fa->mutual, s->opts.max_mutual))
		return STORE_MAX_MUTUAL_FROM;
	if (makes_mutual && over(ta->mutual, s->opts.max_mutual))
		return STORE_MAX_MUTUAL_TO;
	return STORE_DONE;
}

/* follow_add and follow_delete: each target's edge made or removed, counters kept in step. */
static int follow_change_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct batch_arg *arg = argp;
	int adding = arg->now != 0;
	struct account fa, ta;
	int ret, found;
	size_t i;

	batch_reset(arg);
	if ((ret = account_get(s, txn, arg->from, &fa, &found, 1)) != 0)
		return ret;
	if (!found)
		return TXN_ROLLBACK;
	for (i = 0; i < arg->n; i++) {
		struct store_target *t = &arg->t[i];
		uint32_t cur, back;
		if (strcmp(t->id, arg->from) == 0)
			continue; /* callers answer self-follows; never touch one record twice */
		if ((ret = account_get(s, txn, t->id, &ta, &found, 1)) != 0)
			return ret;
		if (!found) {
			t->result = STORE_TARGET_MISSING;
			continue;
		}
		if ((ret = edge_get(s, txn, arg->from, t->id, &cur, 1)) != 0)
			return ret;
		if (!cur == !adding)
			continue; /* already in the asked-for state: nothing changes */
		if ((ret = edge_get(s, txn, t->id, arg->from, &back, 0)) != 0)
			return ret;
		if (adding && (t->result = limit_hit(s, &fa, &ta, back != 0)) != STORE_DONE)
			continue;
		ret = adding ? edge_add(s, txn, arg->from, t->id, arg->now, back, &fa, &ta)
			     : edge_del(s, txn, arg->from, t->id, cur, back, &fa, &ta);
		if (ret != 0 || (ret = account_put(s, txn, t->id, &ta)) != 0)
			return ret;
		t->changed = 1;
	}
	if ((ret = account_put(s, txn, arg->from, &fa)) != 0)
		return ret;
	return s->origin ? outbox_append(s, txn, adding, arg->from, arg->t, arg->n, s->origin) : 0;
}

enum store_status store_follow_add(struct store *s, const char *from, struct store_target *t,
				   size_t n, uint32_t now)
{
	struct batch_arg arg = {from, t, n, now ? now : 1, 0};
	return status_of(run_txn(s, follow_change_body, &arg, 0));
}

enum store_status store_follow_delete(struct store *s, const char *from, struct store_target *t,
				      size_t n)
{
	struct batch_arg arg = {from, t, n, 0, 0};
	return status_of(run_txn(s, follow_change_body, &arg, 0));
}

/* follow_check and follow_info: the same walk, reading relations or counters. */
static int follow_read_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct batch_arg *arg = argp;
	struct account a;
	int ret, found;
	size_t i;

	batch_reset(arg);
	if ((ret = account_get(s, txn, arg->from, &a, &found, 0)) != 0)
		return ret;
	if (!found)
		return TXN_ROLLBACK;
	for (i = 0; i < arg->n; i++) {
		struct store_target *t = &arg->t[i];
		uint32_t out, in;
		if ((ret = account_get(s, txn, t->id, &a, &t->exists, 0)) != 0)
			return ret;
		if (!t->exists) {
			t->result = STORE_TARGET_MISSING;
			continue;
		}
		if (arg->counts) {
			t->counts.followers = a.followers;
			t->counts.following = a.following;
			t->counts.mutual = a.mutual;
			continue;
		}
		if (strcmp(t->id, arg->from) == 0)
			continue;
		if ((ret = edge_get(s, txn, arg->from, t->id, &out, 0)) != 0 ||
		    (ret = edge_get(s, txn, t->id, arg->from, &in, 0)) != 0)
			return ret;
		t->follow_type = (out ? 2 : 0) | (in ? 1 : 0);
	}
	return 0;
}

enum store_status store_follow_check(struct store *s, const char *from, struct store_target *t,
				     size_t n)
{
	struct batch_arg arg = {from, t, n, 0, 0};
	return status_of(run_txn(s, follow_read_body, &arg, 1));
}

enum store_status store_follow_info(struct store *s, const char *from, struct store_target *t,
				    size_t n)
{
	struct batch_arg arg = {from, t, n, 0, 1};
	return status_of(run_txn(s, follow_read_body, &arg, 1));
}

/* ---- list pages ---- */

struct page_arg {
	const char *who;
	int table;
	const struct store_item *after;
	size_t want;
	struct store_page *page;
};

static int page_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct page_arg *arg = argp;
	struct store_page *page = arg->page;
	unsigned char kbuf[STORE_ID_MAX], vbuf[IDX_MAX], start[IDX_MAX];
	size_t startlen = 0;
	struct account a;
	DBT key, val;
	DBC *c;
	int ret, t_ret, found;
	u_int32_t op;

	page->n = 0;
	page->more = 0;
	if ((ret = account_get(s, txn, arg->who, &a, &found, 0)) != 0)
		return ret;
	if (!found)
		return TXN_ROLLBACK;
	if ((ret = s->db[arg->table]->cursor(s->db[arg->table], txn, &c, 0)) != 0)
		return ret;
	memcpy(kbuf, arg->who, strlen(arg->who));
	dbt_user(&key, kbuf, sizeof(kbuf));
	key.size = (u_int32_t)strlen(arg->who);
	dbt_user(&val, vbuf, sizeof(vbuf));
	if (arg->after) {
		startlen = idx_encode(start, arg->after->time, arg->after->id);
		memcpy(vbuf, start, startlen);
		val.size = (u_int32_t)startlen;
		op = DB_GET_BOTH_RANGE;
	} else {
		op = DB_SET;
	}
	for (ret = c->get(c, &key, &val, op); ret == 0; ret = c->get(c, &key, &val, DB_NEXT_DUP)) {
		/* The cursor's own entry, if still there, was the last of the previous page. */
		if (startlen && val.size == startlen && memcmp(vbuf, start, startlen) == 0) {
			startlen = 0;
			continue;
		}
		startlen = 0;
		if (page->n == arg->want) {
			page->more = 1;
			break;
		}
		if ((ret = idx_decode(&val, &page->items[page->n])) != 0)
			break;
		page->n++;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_status store_list_page(struct store *s, const char *who, enum store_list kind,
				  const struct store_item *after, size_t want,
				  struct store_page *page)
{
	struct page_arg arg = {who, 0, after, want, page};
	int ret;
	arg.table = kind == STORE_FANS ? T_FANS : kind == STORE_FOLLOWING ? T_FOLLOWING : T_MUTUAL;
	page->n = 0;
	page->more = 0;
	page->items = calloc(want ? want : 1, sizeof(*page->items));
	if (!page->items)
		return STORE_FAIL;
	ret = run_txn(s, page_body, &arg, 1);
	if (ret != 0 && ret != TXN_ROLLBACK)
		store_page_free(page);
	return status_of(ret);
}

void store_page_free(struct store_page *page)
{
	free(page->items);
	page->items = NULL;
	page->n = 0;
}
