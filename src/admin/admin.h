/* admin.h - whole-store operations for cgi-bin/followctl: verify, stats, export, import,
 * hot backup and restore (one file each in src/admin/). They work on the environment the
 * service uses, live or not. */
#ifndef ADMIN_H
#define ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The invariants verify checks; each broken one is a problem of one kind. */
enum admin_problem {
	P_BAD_ACCOUNT,        /* an accounts record with a malformed key or value */
	P_BAD_EDGE,           /* an edges record that is not "from NUL to" -> FollowTime */
	P_BAD_INDEX,          /* a following / fans / mutual entry that does not decode */
	P_MISSING_ACCOUNT,    /* an edge or index entry names an account not in accounts */
	P_NO_FOLLOWING,       /* an edge without its following-index entry */
	P_NO_FAN,             /* an edge without its fan-index entry */
	P_ORPHAN_FOLLOWING,   /* a following-index entry without its edge */
	P_ORPHAN_FAN,         /* a fan-index entry without its edge */
	P_INDEX_TIME,         /* an index entry whose time is not the edge's (mutual: the later) */
	P_DUPLICATE_INDEX,    /* a second entry for the same edge in one index */
	P_NO_MUTUAL,          /* a -> b and b -> a exist, neither mutual list has the other */
	P_MUTUAL_ASYMMETRIC,  /* a's mutual list has b, b's lacks a */
	P_ORPHAN_MUTUAL,      /* a mutual entry without both edges */
	P_COUNTER,            /* an account's stored counter differs from its list's length */
	P_BAD_PROFILE,        /* a profile record that does not decode */
	P_ORPHAN_PROFILE,     /* a profile of an account not in accounts */
	P_BAD_OUTBOX,         /* a webhook outbox record that does not decode */
	P_BAD_DEAD,           /* a dead-letter record that does not decode */
	P_KINDS
};

#define ADMIN_SHOWN 20 /* messages kept per kind; the rest are only counted */

/* The short name of a kind ("counter-mismatch"). */
const char *admin_problem_name(enum admin_problem kind);

struct admin_verify {
	size_t accounts, edges, following, fans, mutual, profiles, outbox, dead; /* records walked */
	size_t found[P_KINDS];               /* problems of each kind */
	char *shown[P_KINDS][ADMIN_SHOWN];   /* the first ADMIN_SHOWN of each, described */
	int snapshot; /* 1: walked in one transaction holding read locks, a consistent snapshot;
		       * 0: the lock table could not hold the whole store, so read committed */
};

/* Checks every invariant of the store. Returns 0 when the check ran (problems or not; see
 * v->found), -1 with the reason in err when it could not. Free v with admin_verify_free. */
int admin_verify(struct store *s, struct admin_verify *v, char *err, size_t errlen);
void admin_verify_free(struct admin_verify *v);

struct admin_stats {
	size_t accounts, edges, mutual_pairs;
	char top_id[STORE_ID_MAX + 1]; /* the account with the most fans ("" when no edges) */
	size_t top_fans;
	uint64_t disk_db, disk_log, disk_region, disk_other; /* bytes of data_dir's files */
	size_t outbox_pending, outbox_dead;
	uint64_t cache_bytes;       /* the environment's page cache (cache_mb, as Berkeley DB sized it) */
	uint64_t cache_hits, cache_misses; /* page requests since the regions were made */
};

int admin_stats(struct store *s, struct admin_stats *st, char *err, size_t errlen);

/* The whole graph, sorted: accounts by id (each with its profile, n = 0 when it has none),
 * then edges by (from, to). A callback returning non-zero stops the export, which then returns
 * that value. Read in one transaction like verify, then written out. Edges that touch an
 * account missing from the accounts table cannot be exported: they are skipped and counted. */
struct admin_export {
	int (*account)(void *ctx, const char *id, const struct store_profile *p);
	int (*edge)(void *ctx, const char *from, const char *to, uint32_t time);
	void *ctx;
	size_t skipped; /* out: edges skipped */
};

int admin_export(struct store *s, struct admin_export *x, char *err, size_t errlen);

/* One edge to import. */
struct admin_edge {
	char from[STORE_ID_MAX + 1];
	char to[STORE_ID_MAX + 1];
	uint32_t time; /* FollowTime, not 0 */
};

/* Adds every edge of e[] the store lacks, with its time, its index entries, mutual entries
 * and counters; an edge that exists keeps its time (of two lines for one edge, the first
 * wins). Follow limits do not apply. All accounts are checked first: STORE_NO_ACCOUNT with
 * nothing written when e[*bad].from or .to is not imported. The edges are then written 10,000
 * per transaction, in order of from; *done counts those committed (less than n only after a
 * failure). */
enum store_status admin_add_edges(struct store *s, const struct admin_edge *e, size_t n,
				  size_t *added, size_t *bad, size_t *done);

/* How long work says how far it got: done so far of total (0: not known). */
typedef void (*admin_tick)(void *ctx, uint64_t done, uint64_t total);
/* Whole-store walks (verify, export) call fn now and then with the records read so far. */
void admin_on_progress(admin_tick fn, void *ctx);

/* The bulk import (bulk.c), into an empty store that no other process uses: all or nothing. */
struct admin_bulk;
/* Takes the store for itself and starts a stage beside it; NULL when it is not empty or is in
 * use (*failed 0: import as usual) or on an error (*failed 1, err set). */
struct admin_bulk *admin_bulk_begin(struct store *live, int *failed, char *err, size_t errlen);
/* Accounts with their profiles, as store_accounts_import. */
enum store_status admin_bulk_accounts(struct admin_bulk *b, const struct store_import *items,
				      size_t n);
/* One edge line: 0, -1 when an account it names was not imported before, -2 out of memory. */
int admin_bulk_edge(struct admin_bulk *b, const char *from, const char *to, uint32_t time);
/* Writes everything and puts it in place of the empty store; *added: edges (the first line of
 * a pair wins, as in an import into a live store). tick, when not NULL, is called now and then
 * while edges are written. Frees b. */
enum store_status admin_bulk_finish(struct admin_bulk *b, size_t *added, admin_tick tick,
				    void *ctx, char *err, size_t errlen);
/* Leaves the store as it was (empty) and frees b. */
void admin_bulk_abort(struct admin_bulk *b);

/* Writes the log and then every changed page to disk (a checkpoint): what was committed
 * survives a crash of the machine whatever the durability setting, the next recovery starts
 * after the import, and the log it wrote can go. */
enum store_status admin_flush(struct store *s);

/* A hot backup into target (a new or empty folder) while the service writes: the databases,
 * then the log files, then catastrophic recovery of the copy, so that target is a consistent,
 * self-contained environment. Returns 0 or -1 with err. */
int admin_backup(struct store *s, const char *target, char *err, size_t errlen);

/* 1 for the files a backup copies and a restore brings back: the tables and the log. */
int admin_env_file(const char *name);

/* Where a restore recovers its copy before the swap, in data_dir. */
#define ADMIN_RESTORE_STAGE "restore.tmp"

/* Replaces the environment in data_dir (created when missing) with the backup in source and
 * runs catastrophic recovery on it. Refuses (-1, reason in err) while any process has the
 * environment open. No store may be open in this process. */
int admin_restore(const char *source, const char *data_dir, char *err, size_t errlen);

/* For tests only: deliberate damage that verify must find. */
enum store_status admin_corrupt_counter(struct store *s, const char *id, uint32_t *was);
enum store_status admin_drop_fan(struct store *s, const char *from, const char *to);

#endif
