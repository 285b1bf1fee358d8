/* bulk.c - followctl import into an empty store that no other process uses: the file's accounts
 * and edges are gathered in memory, then written once each, without transactions, into a store
 * of their own (data_dir/import.tmp), which then replaces the empty one (store_bulk_install).
 * All or nothing: until the replacement the store is untouched.
 *
 * Why: the transactional import costs 7 to 8 Berkeley DB calls per edge (reads of the edge,
 * its reverse and both accounts, with locks and log records), about 40k lines/s at 10M edges.
 * Here an edge is three writes (edge, following entry, fan entry), duplicates and mutual pairs
 * are found in memory, and each account's counters are written once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/dirfiles.h"
#include "common/log.h"

#define STAGE_DIR "import.tmp"
/* The stage's cache is its own (private, gone with the import): a quarter of the machine's
 * memory up to STAGE_CACHE_MB_MAX, or cache_mb when that is more. Writing 10M edges through the
 * default 64 MB took twice as long as through one that held them. Untouched memory costs
 * nothing: the cache grows as pages come in. */
#define STAGE_CACHE_MB_MAX (8 * 1024)
#define TICK_EDGES 65536 /* edges written between two calls of the progress callback */

struct admin_bulk {
	struct store *live, *stage;
	char dir[PATH_MAX]; /* the stage's folder */
	struct accts a;     /* every account of the file; stored: its counters as they will be */
	struct vedges e;    /* the edges in file order; seen: the position, so the first wins */
	long last_from;     /* the index of the previous edge's from (edges come grouped by it) */
};

/* Empties dir (a stage left by an import that died) or makes it. */
static int fresh_dir(const char *dir, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	return dir_clear(dir, dir_any_file, err, errlen);
}

static unsigned stage_cache_mb(unsigned cache_mb)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	unsigned long long quarter = pages > 0 && size > 0
		? (unsigned long long)pages * (unsigned long long)size / 4 / (1024 * 1024) : 0;
	if (quarter > STAGE_CACHE_MB_MAX)
		quarter = STAGE_CACHE_MB_MAX;
	return quarter > cache_mb ? (unsigned)quarter : cache_mb;
}

static void drop(struct admin_bulk *b)
{
	accts_free(&b->a);
	vedges_free(&b->e);
	free(b);
}

struct admin_bulk *admin_bulk_begin(struct store *live, const struct store_opts *opts, int *failed,
				    char *err, size_t errlen)
{
	struct admin_bulk *b;
	struct store_opts so = *opts;
	int alone, empty = 0;

	*failed = 1;
	if (store_exclusive(live, &alone) != STORE_OK) {
		snprintf(err, errlen, "cannot open the database (see above)");
		return NULL;
	}
	*failed = 0;
	if (!alone)
		return NULL;
	if (store_is_empty(live, &empty) != STORE_OK || !empty) {
		store_release(live);
		*failed = !empty ? 0 : 1;
		if (*failed)
			snprintf(err, errlen, "cannot read the database (see above)");
		return NULL;
	}
	*failed = 1;
	if (!(b = calloc(1, sizeof(*b)))) {
		snprintf(err, errlen, "out of memory");
		store_release(live);
		return NULL;
	}
	b->live = live;
	snprintf(b->dir, sizeof(b->dir), "%s/%s", opts->dir, STAGE_DIR);
	so.dir = b->dir;
	so.bulk = 1;
	so.cache_mb = stage_cache_mb(opts->cache_mb);
	so.lazy_tables = 0;
	if (fresh_dir(b->dir, err, errlen) != 0 || !(b->stage = store_open(&so, err, errlen))) {
		store_release(live);
		free(b);
		return NULL;
	}
	*failed = 0;
	return b;
}

enum store_status admin_bulk_accounts(struct admin_bulk *b, const struct store_import *items,
				      size_t n)
{
	enum store_status st = store_accounts_import(b->stage, items, n);
	size_t i;
	for (i = 0; i < n && st == STORE_OK; i++) {
		long k = accts_intern(&b->a, items[i].id, strlen(items[i].id));
		if (k < 0)
			return STORE_FAIL;
		b->a.v[k].present = 1;
	}
	return st;
}

int admin_bulk_edge(struct admin_bulk *b, const char *from, const char *to, uint32_t time)
{
	size_t flen = strlen(from);
	long f, t;
	if (b->e.n && flen == b->a.v[b->last_from].len &&
	    memcmp(b->a.v[b->last_from].id, from, flen) == 0)
		f = b->last_from;
	else
		f = b->last_from = accts_find(&b->a, from, flen);
	t = accts_find(&b->a, to, strlen(to));
	if (f < 0 || t < 0)
		return -1;
	if (vedges_push(&b->e, (uint32_t)f, (uint32_t)t, time) != 0)
		return -2;
	b->e.v[b->e.n - 1].seen = (uint32_t)(b->e.n - 1);
	return 0;
}

static int by_pair_then_position(const void *x, const void *y)
{
	const struct vedge *a = x, *b = y;
	int c = vedge_cmp(a, b);
	return c ? c : a->seen < b->seen ? -1 : a->seen > b->seen;
}

struct build_arg {
	struct admin_bulk *b;
	void (*tick)(void *ctx, size_t done, size_t total);
	void *ctx;
};

/* Writes every edge with its entries, then the counters. An edge's reverse is looked up in the
 * sorted list; the pair's two mutual entries are written with the second of its edges to be
 * written (edge_add's back), as the service does when the second follow arrives. */
static int build_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct build_arg *arg = argp;
	struct admin_bulk *b = arg->b;
	size_t i;
	int ret;
	for (i = 0; i < b->e.n; i++) {
		const struct vedge *e = &b->e.v[i];
		struct acct *f = &b->a.v[e->from], *t = &b->a.v[e->to];
		const struct vedge *r = e->to < e->from ? vedges_find(&b->e, e->to, e->from) : NULL;
		if ((ret = edge_add(s, txn, f->id, t->id, e->time, r ? r->time : 0, &f->stored,
				    &t->stored)) != 0)
			return ret;
		f->dirty = t->dirty = 1;
		if (arg->tick && i % TICK_EDGES == 0)
			arg->tick(arg->ctx, i, b->e.n);
	}
	for (i = 0; i < b->a.n; i++)
		if (b->a.v[i].dirty && (ret = account_put(s, txn, b->a.v[i].id, &b->a.v[i].stored)) != 0)
			return ret;
	return 0;
}

enum store_status admin_bulk_finish(struct admin_bulk *b, size_t *edges, size_t *added,
				    void (*tick)(void *ctx, size_t done, size_t total), void *ctx,
				    char *err, size_t errlen)
{
	struct build_arg arg = {b, tick, ctx};
	size_t i, n = 0;
	int ret;

	*edges = b->e.n;
	/* In order of (from, to), the first line of each pair first: it is the one kept, as an
	 * import into a live store keeps the edge that exists. */
	if (b->e.n)
		qsort(b->e.v, b->e.n, sizeof(*b->e.v), by_pair_then_position);
	for (i = 0; i < b->e.n; i++)
		if (!n || vedge_cmp(&b->e.v[i], &b->e.v[n - 1]) != 0)
			b->e.v[n++] = b->e.v[i];
	b->e.n = n;
	*added = n;
	if (vedges_index(&b->e, b->a.n) != 0) {
		snprintf(err, errlen, "out of memory");
		admin_bulk_abort(b);
		return STORE_FAIL;
	}
	ret = run_txn(b->stage, build_body, &arg, 0);
	if (store_close(b->stage) != 0 && ret == 0)
		ret = EIO; /* a file of the stage could not be closed or made ready */
	b->stage = NULL;
	if (ret != 0) {
		snprintf(err, errlen, "cannot write %s: %s", b->dir, db_strerror(ret));
		admin_bulk_abort(b);
		return STORE_FAIL;
	}
	if (store_bulk_install(b->live, b->dir, err, errlen) != STORE_OK) {
		drop(b);
		return STORE_FAIL;
	}
	drop(b);
	return STORE_OK;
}

void admin_bulk_abort(struct admin_bulk *b)
{
	char err[256];
	if (!b)
		return;
	store_close(b->stage);
	if (fresh_dir(b->dir, err, sizeof(err)) != 0 || rmdir(b->dir) != 0)
		LOG("%s: cannot remove the unfinished import: %s", b->dir, strerror(errno));
	store_release(b->live);
	drop(b);
}
