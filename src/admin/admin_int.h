/* admin_int.h - what followctl's admin files share (shared.c): the whole-store walk, the
 * in-memory account and edge tables it fills, and the admin transactions' conventions. Only
 * src/admin/ includes it. */
#ifndef ADMIN_INT_H
#define ADMIN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/populate.h"
#include "store/store_int.h"

#define TXN_NOMEM (-50)      /* a body's verdict: this process ran out of memory */
#define ADMIN_PRIORITY 1000u /* above the service's default 100: a deadlock aborts the other */

/* v, an array of *cap elements of size bytes, with room for need of them: v itself when it has
 * (and is not NULL), else reallocated to the first of first, 2 * first, ... (or 2 * *cap, ...)
 * elements that holds need, with *cap updated; NULL (v untouched) when out of memory. */
void *grow(void *v, size_t *cap, size_t need, size_t size, size_t first);

/* ---- accounts in memory: an id table for a whole-store walk ---- */

struct acct {
	char id[STORE_ID_MAX + 1];
	unsigned char len;
	unsigned char present; /* in the accounts table (else only named by an edge or entry) */
	unsigned char dirty;   /* import: counters to write back */
	struct account stored; /* the counters in the accounts record (import: as they will be) */
	struct account counted; /* verify: entries found under it in following, fans, mutual */
};

struct accts {
	struct acct *v;
	size_t n, cap;
	/* Open addressing: the id's 32-bit hash << 32 | its index + 1; 0 = free. With the hash
	 * beside the index a probe that meets another id rarely has to read that account (at 1M
	 * accounts each such read is a cache miss, and lookups were half of verify's time). */
	uint64_t *slot;
	size_t nslot; /* a power of two */
	int huge; /* on huge pages (tables_reserve) */
};

void accts_free(struct accts *a);
/* The index of id (len bytes, a valid id), or -1 when it is not in the table. */
long accts_find(const struct accts *a, const void *id, size_t len);
/* Adds id, which is not in the table yet (present = 0); its index or -1 when out of memory. */
long accts_add(struct accts *a, const void *id, size_t len);
/* Adds id, which is not in the table yet, without making it findable: a whole table's worth
 * (a walk of the accounts table, whose keys are unique) is then indexed at once by accts_index,
 * in a pass that fetches slots ahead instead of waiting on each. Its index, or -1. */
long accts_append(struct accts *a, const void *id, size_t len);
/* Makes every account findable; -1 when out of memory. */
int accts_index(struct accts *a);
/* The index of id, added when missing; -1 when out of memory. */
long accts_intern(struct accts *a, const void *id, size_t len);
/* Asks the CPU to fetch what a later accts_find of id reads, in stages called in order some
 * records apart: stage 0 its slot, stage 1 (the slot now at hand) the account it names; stage 2
 * nothing. At 1M accounts every lookup otherwise waits for memory twice. */
void accts_prefetch(const struct accts *a, const void *id, size_t len, int stage);

/* ---- edges in memory ---- */

struct vedge {
	uint32_t from, to, time; /* account indexes */
	uint32_t seen;           /* verify: which of its entries were found */
};

struct vedges {
	struct vedge *v;
	size_t n, cap;
	size_t *first; /* vedges_index: account i's edges are first[i] .. first[i + 1] - 1 */
	size_t nfirst; /* the accounts first covers */
	int huge; /* on huge pages (tables_reserve) */
};

int vedges_push(struct vedges *e, uint32_t from, uint32_t to, uint32_t time); /* -1: no memory */
/* Room for na accounts and ne edges in all, and in r[0] and r[1] the parts not yet used (to map
 * in ahead: populate.h); -1 when out of memory (the tables grow as they fill instead). Both are
 * then on huge pages, for a walk that reads them at random (verify): with 4 KB pages each
 * lookup also missed the TLB. Not for import: there, in this virtual machine, huge pages of
 * fresh memory made the 10M-edge bulk build a third slower. */
int tables_reserve(struct accts *a, size_t na, struct vedges *e, size_t ne,
		   struct populate_range r[2]);
void vedges_free(struct vedges *e);
/* By (from, to): the order vedges_find needs. */
int vedge_cmp(const void *a, const void *b);
/* Sorts the list (vedge_cmp) and indexes it by from, for the accounts numbered below accounts:
 * a search then looks through one account's edges, not all (at 10M edges a search over all was
 * a third of verify's time). -1 when out of memory (the list unindexed). */
int vedges_index(struct vedges *e, size_t accounts);
/* The same for a later vedges_find of an edge from the account id names (its slot fetched by
 * accts_prefetch's stage 0): stage 1 where its edges start, stage 2 the first of them. */
void vedges_prefetch(const struct vedges *e, const struct accts *a, const void *from, size_t len,
		     int stage);
/* The edge from -> to of a sorted list, or NULL. */
struct vedge *vedges_find(const struct vedges *e, uint32_t from, uint32_t to);

/* ---- walking the store ---- */

typedef int (*visit_fn)(void *arg, const DBT *key, const DBT *val);
/* A look at a record fn will visit later (stage as in accts_prefetch). */
typedef void (*peek_fn)(void *arg, const DBT *key, const DBT *val, int stage);

/* Calls fn on every record (every duplicate) of table, in the table's order; stops at the first
 * non-zero return of fn and returns it. */
int walk(struct store *s, DB_TXN *txn, int table, visit_fn fn, void *arg);

/* Walks whose visits run in a thread of their own, in the order they were asked for, while this
 * thread goes on reading (shared.c says why). Between walker_start and walker_end only the
 * visits and calls may touch what they use. */
struct walker;
typedef int (*call_fn)(void *arg);
/* NULL when out of memory (the walks then fail with TXN_NOMEM); without a thread, walks visit
 * in this one. */
struct walker *walker_start(void);
/* Reads table, asking for fn (and peek on records ahead, when not NULL) on every record; returns
 * once all are read: a reading error, or the result of a visit or call that failed before. */
int walk_async(struct walker *w, struct store *s, DB_TXN *txn, int table, visit_fn fn,
	       peek_fn peek, void *arg);
/* Asks for call(arg) after the visits asked for before; as walk_async. */
int walker_call(struct walker *w, call_fn call, void *arg);
/* Waits for every visit and call, and frees w; the first non-zero result of one, or 0. */
int walker_end(struct walker *w);

/* Runs a whole-store read in one transaction at degree 3: its read locks make it a consistent
 * snapshot (writers wait for it). A store too large for that is read at read committed;
 * *degree3 says which it was. */
int run_read(struct store *s, txn_body body, void *arg, int *degree3);

/* The bytes of table's file, and its page size; 0 when they cannot be read. */
uint64_t table_bytes(struct store *s, int table, u_int32_t *pagesize);

/* Puts "what: reason" for a transaction's result in err; returns -1. */
int err_of(int ret, const char *what, char *err, size_t errlen);

/* ---- the files of data_dir ---- */

/* 1 for a database file (*.db, not a region file __db*). */
int is_db_file(const char *name);
/* The number of a log file's name ("log.0000000012" -> 12), 0 when it is not one. */
unsigned long log_number(const char *name);

#endif
