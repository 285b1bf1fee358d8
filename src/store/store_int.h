/* store_int.h - what the storage layer's files share: handles, tables, transactions, record
 * helpers. Only src/store/ and src/admin/ include it (and <db.h>). */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <db.h>
#include <limits.h>
#include <sys/types.h>

#include "store/store.h"

/* A transaction body's verdicts: abort, but nothing failed. (Berkeley DB's errors are below
 * -30000 or positive errno values.) */
#define TXN_ROLLBACK (-1) /* the acting account does not exist */
#define TXN_FULL (-2)     /* a profile would hold too many tags */
#define IDX_MAX (4 + STORE_ID_MAX)          /* an index entry: ~time(4, big-endian) . id */
#define EDGE_KEY_MAX (2 * STORE_ID_MAX + 1) /* an edge key: from NUL to */

#define TXN_VERDICT(ret) ((ret) <= -1 && (ret) >= -99)

enum {
	T_ACCOUNTS,
	T_EDGES,
	T_FOLLOWING,
	T_FANS,
	T_MUTUAL,
	T_PROFILES,
	T_OUTBOX, /* DB_QUEUE of webhook events, fixed-size records */
	T_DEAD,   /* hash: event id -> events that exhausted their retries */
	T_COUNT
};

struct store {
	struct store_opts opts;
	char *dir;
	char region[PATH_MAX]; /* the environment's first region file */
	ino_t region_ino;      /* its inode when this process opened the environment */
	char registry[PATH_MAX]; /* Berkeley DB's registry of the processes using it */
	int registry_fd;         /* store_dead_opener's descriptor of it; -1 until then */
	DB_ENV *env;
	DB *db[T_COUNT];
	unsigned seed;
	uint64_t ckp_checked_ms; /* when this process last asked for a checkpoint; 0: never */
	unsigned ckp_kb; /* a commit since the last store_deferred asks for a checkpoint after this
			  * much log; 0: none */
	int abandoned; /* a handle failed to close (a panicked environment): its memory is lost */
	int needs_restart; /* the environment could not be reopened by this process */
	int excl_fd; /* store_exclusive's hold on the open lock; -1 when not held */
	uint64_t retries; /* transactions this process ran again */
	/* Replication. */
	int member_fd;  /* a worker's entry among the site's processes (sitefiles.c); -1: none */
	int not_master; /* a write failed because this site is not (or no longer) the master */
	int unacked;    /* a commit did not reach the ack policy (PERM_FAILED) */
	int reconnect;  /* and so this process's connections are suspect */
	/* A bulk store's tables that another process wrote (bit i: table i): this one's cache may
	 * hold their old pages, so its close leaves their LSNs alone (their writer cleared them). */
	unsigned foreign;
	/* A worker's copy of the profiles its pages read (profcache.h); NULL until the first. */
	struct profcache *profiles_seen;
	int profiles_changed; /* the running transaction wrote the profiles table (run_txn_as) */
};

struct account {
	uint32_t following, followers, mutual;
};

/* Recoveries this process ran (Berkeley DB said "recovery required" while it opened). */
extern uint64_t store_recoveries_run;

/* The file of table i in the store's folder. */
extern const char *const store_table_files[T_COUNT];

/* Table i's handle, opened now when the store's tables are lazy; 0 or a Berkeley DB error (a
 * deadlock: the transaction retries). Every use of a table inside src/store/ goes through it. */
int store_table(struct store *s, int i, DB **db);
/* Opens the environment when this process has it closed; 0 or an error (logged). */
int env_ensure(struct store *s);
/* Creates table i's file when missing, and closes the handle again; 0 or a Berkeley DB
 * error. */
int store_table_make(struct store *s, int i);

/* Faults this process's mappings of the region files in, up to bytes of each, from a thread
 * of its own (prefault.c says why); NULL when there was nothing to do or no thread. Join it
 * (populate_join) before the environment closes. */
struct populate; /* common/populate.h */
struct populate *store_prefault_start(struct store *s, uint64_t bytes);

/* A transaction's work; it must start from scratch each time it is called (retries). */
typedef int (*txn_body)(struct store *s, DB_TXN *txn, void *arg);

/* How a transaction runs. */
struct txn_mode {
	/* DB_ENV->txn_begin's isolation: 0, DB_READ_COMMITTED (reads hold no locks till the end)
	 * or DB_TXN_SNAPSHOT (see run_snapshot). */
	u_int32_t begin_flags;
	unsigned ckp_kb; /* after a commit, checkpoint once this much log was written; 0: never */
	int no_txn; /* lookups without a transaction: see run_lookups */
};

/* Runs body in a transaction, retrying deadlocks and reopening the environment after another
 * process's recovery; 0, the body's verdict (TXN_VERDICT) or a Berkeley DB error. */
int run_txn_as(struct store *s, txn_body body, void *arg, const struct txn_mode *m);
/* The service's two modes: readonly (read committed, no checkpoint) or a write. */
int run_txn(struct store *s, txn_body body, void *arg, int readonly);
/* Point reads without a transaction, retried like one: each read holds its lock while it runs,
 * which is all a read-committed transaction gives its reads too. The begin and commit each took
 * the transaction region's mutex, shared by every worker: without them a follow_check cost its
 * worker 13-17% less CPU (perf stat, three alternating runs). */
int run_lookups(struct store *s, txn_body body, void *arg);
/* A transaction that only reads the profiles table, as a snapshot (DB_TXN_SNAPSHOT over its
 * DB_MULTIVERSION handle): it takes no locks at all. A hash table's every lookup locks its
 * meta page, so the hundred profile lookups of a follow_get page from two processes queued on
 * one lock's mutex, and a page cost a worker twice the CPU it cost alone. Only profiles keep
 * versions: a table under MVCC makes each write copy the pages it touches (tried on all of
 * them, a follow_add took about 30% more), and profiles are rarely written. */
int run_snapshot(struct store *s, txn_body body, void *arg);
/* Sets the sizes and error log every process opening the environment must agree on; cache_mb
 * 0 is the default. */
int env_configure(DB_ENV *env, unsigned cache_mb);
enum store_status status_of(int ret);

/* DB_RMW when rmw (a read that locks for the update to come), but never in a bulk store, which
 * has no locks (Berkeley DB refuses the flag there). */
u_int32_t rmw_flag(const struct store *s, int rmw);

void put_le32(unsigned char *p, uint32_t v);
uint32_t get_le32(const unsigned char *p);
void dbt_init(DBT *d, const void *data, size_t size);
void dbt_user(DBT *d, void *buf, size_t cap);
/* Reads an account's counters; *found says whether it is imported. rmw locks it for update. */
int account_get(struct store *s, DB_TXN *txn, const char *id, struct account *a, int *found,
		int rmw);
/* The record encodings (records.c), shared with followctl's admin layer. */
size_t idx_encode(unsigned char *buf, uint32_t time, const char *id);
int idx_decode(const DBT *d, struct store_item *it); /* EINVAL when malformed */
size_t edge_key(char *buf, const char *from, const char *to);
/* Splits an edge key: from is its first *flen bytes, then a NUL, then the *tlen bytes of to;
 * EINVAL without a NUL. (The ids are not checked.) */
int edge_key_split(const void *key, size_t size, size_t *flen, size_t *tlen);
/* Decodes an accounts record (12 bytes: following, followers, mutual); EINVAL otherwise. */
int account_decode(const void *rec, size_t size, struct account *a);
/* The acting account of a transaction: its counters (locked for update when rmw), or
 * TXN_ROLLBACK when it is not imported. */
int account_acting(struct store *s, DB_TXN *txn, const char *id, struct account *a, int rmw);
int account_put(struct store *s, DB_TXN *txn, const char *id, const struct account *a);
/* Reads the edge from->to; *time is 0 when there is none. rmw locks it for update. */
int edge_get(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t *time,
	     int rmw);
/* Every write of the profiles table goes through these two (profile.c): they note it for
 * run_txn_as, which then gives the table a new mark as the transaction's last write. */
int profile_put(struct store *s, DB_TXN *txn, const char *id, const void *rec, size_t size);
int profile_del(struct store *s, DB_TXN *txn, const char *id); /* DB_NOTFOUND: it had none */
/* The profiles table's mark: a copy of profiles read at one mark is good while the mark stays
 * (profcache.h). profiles_mark reads it through c; *known 0: it cannot be trusted (copy
 * nothing). */
int profiles_remark(struct store *s, DB_TXN *txn);
int profiles_mark(DBC *c, uint64_t *mark, int *known);
/* Whether a profiles key is the mark's rather than an account's (walks skip it). */
int profiles_key_is_mark(const void *key, size_t size);
/* Adds one index entry (table T_FOLLOWING, T_FANS or T_MUTUAL). */
int idx_add(struct store *s, DB_TXN *txn, int table, const char *owner, uint32_t time,
	    const char *other);

/* Removes one index entry; EINVAL when it is missing (the store is inconsistent). */
int idx_del(struct store *s, DB_TXN *txn, int table, const char *owner, uint32_t time,
	    const char *other);
/* Writes the edges record from->to alone (edge_add's first step). */
int edge_put(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t time);
/* Adds edge from->to at time now with its index entries (and the mutual ones when back, the
 * time of to->from, is not 0), counting it in fa and ta, which the caller writes back. */
int edge_add(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t now,
	     uint32_t back, struct account *fa, struct account *ta);
/* Removes edge from->to made at time t; back as in edge_add. */
int edge_del(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t t,
	     uint32_t back, struct account *fa, struct account *ta);

/* Imports id when it is new. */
int account_create(struct store *s, DB_TXN *txn, const char *id);
/* Appends the event of a follow change (the targets of t[] that changed) to the outbox. */
int outbox_append(struct store *s, DB_TXN *txn, int add, const char *from,
		  const struct store_target *t, size_t n, const struct store_origin *origin);

/* Decodes an outbox record; EINVAL unless it is exactly what outbox_append writes. */
int event_decode(const unsigned char *rec, size_t size, struct store_event *ev);
/* The number of tags a profile record says it holds (0 for one too short to say): the room
 * profile_decode needs. */
size_t profile_tag_count(const void *rec, size_t size);
/* Decodes a profile record into p, its tags into room (cap entries); the strings point into
 * rec. -1 unless it is exactly what the store writes, and fits. */
int profile_decode(const void *rec, size_t size, struct store_profile *p, struct store_tag *room,
		   size_t cap);

#endif
