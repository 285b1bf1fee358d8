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
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/dirfiles.h"
#include "common/log.h"

#define STAGE_DIR "import.tmp"
/* The stage's cache is its own (private, gone with the import): a quarter of the machine's
 * memory up to STAGE_CACHE_MB_MAX, or cache_mb when that is more. Writing 10M edges through the
 * old default 64 MB took twice as long as through one that held them. Untouched memory costs
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

struct admin_bulk *admin_bulk_begin(struct store *live, int *failed, char *err, size_t errlen)
{
	struct store_opts so = live->opts;
	struct admin_bulk *b = NULL;
	int alone, empty;

	*failed = 0;
	/* A replicated site's changes must go through its log to the other sites. */
	if (so.repl)
		return NULL;
	if (store_exclusive(live, &alone) != STORE_OK) {
		snprintf(err, errlen, "cannot open the database (see above)");
		*failed = 1;
		return NULL;
	}
	if (!alone)
		return NULL; /* nothing is held */
	if (store_is_empty(live, &empty) != STORE_OK) {
		snprintf(err, errlen, "cannot read the database (see above)");
		*failed = 1;
	} else if (!empty) {
		/* not for a bulk build: import as usual */
	} else if (!(b = calloc(1, sizeof(*b)))) {
		snprintf(err, errlen, "out of memory");
		*failed = 1;
	} else {
		b->live = live;
		snprintf(b->dir, sizeof(b->dir), "%s/%s", live->dir, STAGE_DIR);
		so.dir = b->dir;
		so.bulk = 1;
		so.cache_mb = stage_cache_mb(live->opts.cache_mb);
		so.lazy_tables = 0;
		if (dir_fresh(b->dir, err, errlen) == 0 && (b->stage = store_open(&so, err, errlen)))
			return b;
		*failed = 1;
		free(b);
	}
	store_release(live);
	return NULL;
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

/* The reverse of e when the pair's mutual entries go with e: e is the second of its pair in
 * the list's order, as the service writes them with the second follow. */
static const struct vedge *pair_of(const struct admin_bulk *b, const struct vedge *e)
{
	return e->to < e->from ? vedges_find(&b->e, e->to, e->from) : NULL;
}

/* The index entries: following, fans and mutual. */
static int write_entries(struct store *s, const struct admin_bulk *b)
{
	size_t i;
	int ret;
	for (i = 0; i < b->e.n; i++) {
		const struct vedge *e = &b->e.v[i], *r = pair_of(b, e);
		const char *f = b->a.v[e->from].id, *t = b->a.v[e->to].id;
		uint32_t since = r && r->time > e->time ? r->time : e->time;
		if ((ret = idx_add(s, NULL, T_FOLLOWING, f, e->time, t)) != 0 ||
		    (ret = idx_add(s, NULL, T_FANS, t, e->time, f)) != 0 ||
		    (r && ((ret = idx_add(s, NULL, T_MUTUAL, f, since, t)) != 0 ||
			   (ret = idx_add(s, NULL, T_MUTUAL, t, since, f)) != 0)))
			return ret;
	}
	return 0;
}

/* The edges records, then each account's counters. */
static int write_edges(struct store *s, struct admin_bulk *b, admin_tick tick, void *ctx)
{
	size_t i;
	int ret;
	for (i = 0; i < b->e.n; i++) {
		const struct vedge *e = &b->e.v[i];
		struct acct *f = &b->a.v[e->from], *t = &b->a.v[e->to];
		if ((ret = edge_put(s, NULL, f->id, t->id, e->time)) != 0)
			return ret;
		f->stored.following++;
		t->stored.followers++;
		if (pair_of(b, e))
			f->stored.mutual++, t->stored.mutual++;
		f->dirty = t->dirty = 1;
		if (tick && i % TICK_EDGES == 0)
			tick(ctx, i, b->e.n);
	}
	for (i = 0; i < b->a.n; i++)
		if (b->a.v[i].dirty && (ret = account_put(s, NULL, b->a.v[i].id, &b->a.v[i].stored)) != 0)
			return ret;
	return 0;
}

/*
 * The index entries are two thirds of the writes, and their tables none of the edges': a child
 * process writes them, in a private store of its own over the same folder that opens only
 * those three tables, while this one writes the edges and the counters (about 20 s less at 10M
 * edges on two cores). The stage closes its own handles of them first; the child syncs and
 * closes its three and clears their LSNs itself. The stage's cache may still hold their pages
 * as they were before the child wrote them, so the stage never touches those files again
 * (store foreign). Without fork, this process writes them too.
 */
static int write_all(struct admin_bulk *b, admin_tick tick, void *ctx)
{
	struct store_opts so = b->stage->opts;
	int i, ret, status;
	pid_t pid;
	for (i = T_FOLLOWING; i <= T_MUTUAL; i++) {
		DB *db = b->stage->db[i];
		b->stage->db[i] = NULL;
		if (db && (ret = db->close(db, 0)) != 0)
			return ret;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		char err[256];
		struct store *c;
		int ok;
		/* A killed import leaves nothing behind writing (the next one clears the stage). */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
			_exit(1);
		so.lazy_tables = 1;
		ok = (c = store_open(&so, err, sizeof(err))) != NULL && write_entries(c, b) == 0;
		if (!c)
			LOG("%s", err);
		for (i = T_FOLLOWING; c && i <= T_MUTUAL; i++) {
			if (c->db[i] && c->db[i]->close(c->db[i], 0) != 0)
				ok = 0;
			c->db[i] = NULL;
			if (ok && c->env->lsn_reset(c->env, store_table_files[i], 0) != 0)
				ok = 0;
		}
		_exit(ok ? 0 : 1); /* nothing else of the child's store may reach the files */
	}
	ret = write_edges(b->stage, b, tick, ctx);
	if (pid < 0)
		return ret ? ret : write_entries(b->stage, b);
	for (i = T_FOLLOWING; i <= T_MUTUAL; i++)
		b->stage->foreign |= 1u << i;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	if (ret == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		LOG("the index entries' writer failed (status %d)", status);
		ret = EIO;
	}
	return ret;
}

enum store_status admin_bulk_finish(struct admin_bulk *b, size_t *added, admin_tick tick,
				    void *ctx, char *err, size_t errlen)
{
	size_t i, n = 0;
	int ret;

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
	ret = write_all(b, tick, ctx);
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
	if (dir_clear(b->dir, dir_any_file, err, sizeof(err)) != 0 || rmdir(b->dir) != 0)
		LOG("%s: cannot remove the unfinished import: %s", b->dir, strerror(errno));
	store_release(b->live);
	drop(b);
}
