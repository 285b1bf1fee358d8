/* store.h - the follow graph in Berkeley DB; the only way into the database. */
#ifndef STORE_H
#define STORE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ID_MAX 32     /* bytes in a UserID, without the terminating NUL */
/* cache_mb when the config does not say. It costs what it holds: the cache region grows as pages
 * come in; only the hash table that finds its pages, a mutex per bucket, is made whole at once
 * (16 MB of region file at 256 MB, 4 MB at 64). At 64 MB, make bench's 100 MB of tables did not
 * fit: follow_add evicted pages, and a fifth of a worker's time went to finding and writing them. */
#define STORE_CACHE_MB_DEFAULT 256
#define STORE_CACHE_MB_MIN 16
#define STORE_CACHE_MB_MAX (1024 * 1024) /* a terabyte: far past any machine it runs on */
#define STORE_CHANGE_MAX 20 /* targets of one follow_add or follow_delete (one webhook event) */

/* What a whole store call did. */
enum store_status {
	STORE_OK = 0,
	STORE_NO_ACCOUNT, /* the acting account (From_Account / the one to delete) is not imported */
	STORE_FAIL,       /* storage failure, or deadlocks still after every retry */
	STORE_FULL        /* a profile would hold more than STORE_TAGS_MAX tags */
};

/* What happened to one target of a batch. */
enum store_result {
	STORE_DONE = 0,        /* changed, or already in the asked-for state */
	STORE_TARGET_MISSING,  /* target not imported */
	STORE_MAX_FOLLOWING,   /* From_Account follows the maximum already */
	STORE_MAX_FOLLOWERS,   /* target has the maximum of fans already */
	STORE_MAX_MUTUAL_FROM, /* would become mutual, From_Account has the maximum of mutuals */
	STORE_MAX_MUTUAL_TO    /* would become mutual, target has the maximum of mutuals */
};

enum store_durability { STORE_NOSYNC, STORE_WRITE, STORE_SYNC };

/* Which list follow_get walks; the values are the API's FollowType. */
enum store_list { STORE_FANS = 1, STORE_FOLLOWING = 2, STORE_MUTUAL = 3 };

/* Replication (several sites, one master; see repl.c). */
#define STORE_REPL_SITES_MAX 9  /* sites of one group */
#define STORE_REPL_HOST_MAX 255 /* bytes of a site's host name or address */
#define STORE_REPL_URL_MAX 512  /* bytes of a site's base URL */

/* repl_ack: how many sites must have a change before the master says OK. */
enum store_repl_ack { STORE_ACK_QUORUM, STORE_ACK_ALL, STORE_ACK_ONE, STORE_ACK_NONE };

struct store_repl_site {
	char host[STORE_REPL_HOST_MAX + 1];
	unsigned port;
	char url[STORE_REPL_URL_MAX + 1]; /* where its HTTP API answers, without a final / */
};

struct store_repl {
	struct store_repl_site sites[STORE_REPL_SITES_MAX]; /* every site, this one among them */
	size_t n_sites;
	size_t self; /* sites[self] is this site */
	enum store_repl_ack ack;
	unsigned priority; /* 0: never master */
	unsigned ack_timeout_ms, election_timeout_ms, heartbeat_ms, connect_retry_ms;
	unsigned master_wait_ms; /* a write waits this long for a master before it fails */
};

/* Which process of a replicated site this is. */
enum store_repl_role {
	STORE_REPL_WORKER = 0, /* joins the environment the site's replication process made */
	STORE_REPL_SITE        /* the one process that recovers it and runs the replication */
};

struct store_opts {
	const char *dir; /* environment home; must exist */
	/* NULL: a single site. Otherwise the group this site belongs to, and this process's part. */
	const struct store_repl *repl;
	enum store_repl_role repl_role;
	enum store_durability durability;
	uint32_t max_following; /* 0 = no limit */
	uint32_t max_followers; /* 0 = no limit */
	uint32_t max_mutual;    /* 0 = no limit */
	/* Berkeley DB's page cache, shared by every process; 0 = STORE_CACHE_MB_DEFAULT. Applied
	 * when the environment's regions are made: by the first opener, or by an opener that
	 * finds the regions sized otherwise and nobody else using them (see env.c). */
	unsigned cache_mb;
	/* Open each table at its first use rather than all at once: plain CGI serves one call per
	 * process, and a call reads two or three of the eight tables. */
	int lazy_tables;
	/* Keep a copy of the profiles follow_get pages read, checked against one record per page
	 * (store/profcache.c): for a process that serves many calls. */
	int keep_profiles;
	/* A store that followctl import builds in a folder of its own before it replaces an empty
	 * one (store_bulk_install): a private environment with no transactions, locks or log, so
	 * every call runs once, directly. Only one process ever opens it; when it closes, its
	 * files are synced and made ready to join another environment. */
	int bulk;
};

struct store_counts {
	uint32_t followers, following, mutual;
};

/* One target of a batch: id in, the rest out. */
struct store_target {
	const char *id;
	enum store_result result;
	int changed;              /* add/delete: the edge really changed */
	int exists;               /* check/info: target imported */
	int follow_type;          /* check: 0-3 as in follow_check */
	struct store_counts counts; /* info */
};

/* One entry of a list page; also the position a page continues after. */
struct store_item {
	char id[STORE_ID_MAX + 1];
	uint32_t time;
};

struct store_page {
	struct store_item *items;
	size_t n;
	int more; /* entries remain after the last item */
	struct store_profile *profiles; /* store_list_page_profiles: items[i]'s is profiles[i] */
	void *mem; /* what the profiles point into (freed with the page, not one by one) */
};

#define STORE_TAG_MAX 32   /* bytes in a profile tag's name */
#define STORE_TAGS_MAX 100 /* distinct tags one profile may hold */

/* One profile tag: an integer or a string (not NUL-terminated; len bytes). In a profile read
 * from the store, str points into that profile's own memory. */
struct store_tag {
	char name[STORE_TAG_MAX + 1];
	int is_int;
	uint32_t num;
	const char *str;
	size_t len;
};

struct store_profile {
	uint32_t seq; /* the profile's version: 0 until a tag is set, then +1 per change */
	size_t n;
	struct store_tag *tag; /* n tags; sized to the profile, not to STORE_TAGS_MAX (a page of
				* 1000 fans would otherwise allocate 6.4 MB) */
	void *mem;    /* what the strings point into */
};

#define STORE_EVENT_BYTES 1024 /* an outbox record (fixed size: the outbox is a DB_QUEUE) */

/* Who made a change: the webhook event of a follow change records it. */
struct store_origin {
	const char *client_ip;
	uint64_t time_ms;
};

/* A webhook event: the targets whose edge a follow_add / follow_delete really changed. */
struct store_event {
	uint32_t id; /* the outbox record number: grows with each event, never reused */
	int add;     /* 1 after follow_add, 0 after follow_delete */
	uint64_t time_ms;
	char client_ip[64];
	char from[STORE_ID_MAX + 1];
	size_t n;
	char to[STORE_CHANGE_MAX][STORE_ID_MAX + 1];
};

/* One account to import, with the profile tags it brings (Nick, FaceUrl); n may be 0. */
struct store_import {
	const char *id;
	const struct store_tag *tags;
	size_t n;
};

struct store;

/* Opens (creating and recovering when needed) the environment shared by every process. On
 * failure returns NULL and writes the reason into err. */
struct store *store_open(const struct store_opts *opts, char *err, size_t errlen);
/* Work the last calls left for a moment nobody waits (a checkpoint once enough log was written
 * since the last, at most once a second): the FastCGI loop calls it after each answer, and
 * store_close before it closes. */
void store_deferred(struct store *s);
/* Figures of the environment as a whole: every process's work since its regions were made. */
struct store_figures {
	uint64_t cache_bytes, cache_hits, cache_misses;
	uint64_t deadlocks;
	uint64_t log_bytes; /* the log files on disk */
};
enum store_status store_figures(struct store *s, struct store_figures *f);
/* What this process's store counted since the last call (transactions run again, recoveries
 * it ran), added to the shared metrics. */
struct metrics_shm;
struct store_seen {
	uint64_t txn_retries, recoveries;
};
void store_sync_metrics(const struct store *s, struct metrics_shm *m, struct store_seen *seen);

/* Makes this process the only user of the environment until store_close: holds the lock every
 * opener takes (others wait in their open), and checks that nobody else has it open. *alone is
 * 0 (and nothing is held) when somebody does. */
enum store_status store_exclusive(struct store *s, int *alone);
/* Lets the others open again (store_exclusive's hold ends). */
void store_release(struct store *s);
/* Whether every table is empty (no account, edge, profile or webhook event). */
enum store_status store_is_empty(struct store *s, int *empty);
/* With store_exclusive held: replaces the environment's tables with those of the closed bulk
 * store in stage (its folder, then removed), drops the old log and regions, and opens the new
 * environment in s. The old tables are lost: the caller made sure they were empty. */
enum store_status store_bulk_install(struct store *s, const char *stage, char *err, size_t errlen);
/* Returns 1 when Berkeley DB could not close a handle (after another process's recovery
 * panicked the environment): the library then keeps memory it can never free. */
int store_close(struct store *s);
/* 1 when another process has recovered (re-created) the environment since this one opened it:
 * a call blocked on a lock of the old one will never return. Async-signal-safe. */
int store_orphaned(const struct store *s);
/* 1 when Berkeley DB's registry names another process that died with the environment open:
 * a call blocked that long may wait on that process's lock, and only the next process to open
 * the environment recovers after it. For a process that serves one call and exits (plain
 * CGI): it keeps a descriptor of the registry to the end. Async-signal-safe. */
int store_dead_opener(struct store *s);
/* 1 when this process lost the environment for good (it panicked and cannot be reopened here):
 * the process should exit after its answer so that a fresh one recovers. */
int store_needs_restart(const struct store *s);

/* Replication. The site process (opts->repl_role STORE_REPL_SITE) of a replicated site: holds
 * the site until *stop is set (a signal handler sets it); -1 when another process holds it, 1
 * when a panicked environment kept memory Berkeley DB could not free (as store_close), else 0. */
int store_site_run(const struct store_opts *opts, volatile sig_atomic_t *stop);

/* What a replicated site's worker knows of the group. */
struct store_repl_state {
	int replicated; /* 0: a single site (the rest is 0) */
	int master;     /* the master's index in the config's sites, -1 when none is known */
	int is_master;  /* this site is the master */
};
/* Asks Berkeley DB now. STORE_FAIL when the environment is not open and cannot be. */
enum store_status store_repl_state(struct store *s, struct store_repl_state *st);
/* What followctl stats says of the group: the master, and each site as this one sees it. */
struct store_repl_report {
	int replicated;  /* 0: a single site (the rest is 0) */
	int master;      /* the master's index in the config's sites, -1 when none is known */
	int site_up;     /* this site's replication process runs */
	int connected[STORE_REPL_SITES_MAX]; /* by the config's index; this site's own is 1 */
	uint32_t lsn_file, lsn_offset; /* the end of this site's log */
};
enum store_status store_repl_report(struct store *s, struct store_repl_report *r);
/* Whether the last write failed because this site is not the master (then nothing was
 * written, and the call can go to the master), and clears it. */
int store_take_not_master(struct store *s);
/* Whether a commit since the last ask did not reach the ack policy (it is written here, but
 * the group may not keep it), and clears it. */
int store_take_unacked(struct store *s);

/* Accounts. Importing an account that exists succeeds and changes nothing here. */
enum store_status store_account_import(struct store *s, const char *const *ids, size_t n);
enum store_status store_account_exists(struct store *s, const char *id, int *exists);
/* Sets t[i].exists for each target; one transaction. */
enum store_status store_account_check(struct store *s, struct store_target *t, size_t n);
/* Removes the account and every edge touching it, fixing the counters of the other side. */
enum store_status store_account_delete(struct store *s, const char *id, int *existed);

/* Imports accounts and sets the tags they bring, all in one transaction; re-importing only
 * updates the given tags. STORE_FAIL also when a profile would exceed STORE_TAGS_MAX tags. */
enum store_status store_accounts_import(struct store *s, const struct store_import *items,
					size_t n);

/* Profiles. Setting replaces tags of the same name, keeps the others, and bumps the version;
 * STORE_NO_ACCOUNT when id is not imported, STORE_FULL when it would exceed STORE_TAGS_MAX. */
enum store_status store_profile_set(struct store *s, const char *id, const struct store_tag *tags,
				    size_t n);
/* Reads n profiles (exists[i]: imported) in one transaction; free each with store_profile_free
 * (also after a failure). out[] may hold anything before. */
enum store_status store_profile_get(struct store *s, const char *const *ids, size_t n,
				    struct store_profile *out, int *exists);
void store_profile_free(struct store_profile *p);

/* The outbox, oldest first. *found = 0 when it is empty. */
enum store_status store_outbox_head(struct store *s, struct store_event *ev, int *found);
/* Removes a delivered event. */
enum store_status store_outbox_done(struct store *s, uint32_t id);
/* Moves an event that exhausted its retries to the dead-letter table, in one transaction. */
enum store_status store_outbox_dead(struct store *s, const struct store_event *ev);
enum store_status store_outbox_counts(struct store *s, size_t *pending, size_t *dead);

/* Batches: targets must be distinct and differ from `from`; each gets its result. One
 * transaction per call. `now` is the FollowTime of new edges (Unix seconds). A change of at
 * most STORE_CHANGE_MAX targets with an origin (not NULL) that changes at least one edge
 * appends one webhook event to the outbox in the same transaction. */
enum store_status store_follow_add(struct store *s, const char *from, struct store_target *t,
				   size_t n, uint32_t now, const struct store_origin *origin);
enum store_status store_follow_delete(struct store *s, const char *from, struct store_target *t,
				      size_t n, const struct store_origin *origin);
/* Targets may include `from` here (its FollowType is 0). */
enum store_status store_follow_check(struct store *s, const char *from, struct store_target *t,
				     size_t n);
/* Reads each target's counters (t[i].exists, t[i].counts); `from` must be imported. */
enum store_status store_follow_info(struct store *s, const char *from, struct store_target *t,
				    size_t n);

/* One page of `who`'s list, newest first, starting after `after` (NULL: from the top). The cost
 * is O(want), whatever the list's length. Free with store_page_free. */
enum store_status store_list_page(struct store *s, const char *who, enum store_list kind,
				  const struct store_item *after, size_t want,
				  struct store_page *page);
/* The same, then each item's profile in a second transaction, a snapshot that takes no locks
 * (an account deleted in between shows an empty profile). */
enum store_status store_list_page_profiles(struct store *s, const char *who, enum store_list kind,
					   const struct store_item *after, size_t want,
					   struct store_page *page);
void store_page_free(struct store_page *page);

#endif
