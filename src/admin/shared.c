/* shared.c - what the admin files share: an id table and an edge list for whole-store walks,
 * the walk itself, the read transaction it runs in, and the names of data_dir's files. */
#include <db.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/log.h"

#define HUGE_PAGE (2u << 20)
#define SMALL_PAGE 4096u

/* Asks for huge pages under a large array (the kernel gives them only to madvised memory here):
 * the id and edge tables of 1M accounts are read at random, and with 4 KB pages each lookup
 * also missed the TLB and each first touch faulted. The advice covers the block's whole mapping
 * (malloc maps blocks this large on their own): advice on a part splits the mapping, and then
 * realloc's mremap fails and copies. A refusal only costs speed. */
static void *huge(void *p, size_t bytes)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(SMALL_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + bytes + SMALL_PAGE - 1) & ~(uintptr_t)(SMALL_PAGE - 1);
	if (p && bytes >= 2 * HUGE_PAGE)
		(void)madvise((void *)a, end - a, MADV_HUGEPAGE);
	return p;
}

void *grow(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
	static int fixed;
	size_t c = *cap ? *cap : first;
	if (v && need <= *cap)
		return v;
	/* Large blocks from mmap always, so the tables grow by mremap instead of by a copy (glibc
	 * raises its threshold after each free of one, and the copies were a quarter of verify's
	 * page faults), and keep their huge pages. */
	if (!fixed)
		fixed = mallopt(M_MMAP_THRESHOLD, HUGE_PAGE);
	while (c < need)
		c *= 2;
	if (!(v = realloc(v, c * size)))
		return NULL;
	*cap = c;
	return huge(v, c * size);
}

/* ---- accounts in memory ---- */

static uint32_t hash_id(const char *id, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)id[i]) * 16777619u;
	return h;
}

void accts_free(struct accts *a)
{
	free(a->v);
	free(a->slot);
	memset(a, 0, sizeof(*a));
}

static int accts_rehash(struct accts *a, size_t nslot)
{
	uint64_t *slot = huge(calloc(nslot, sizeof(*slot)), nslot * sizeof(uint64_t));
	size_t i, h;
	if (!slot)
		return -1;
	for (i = 0; i < a->nslot; i++) {
		uint64_t e = a->slot[i];
		if (!e)
			continue;
		for (h = (e >> 32) & (nslot - 1); slot[h]; h = (h + 1) & (nslot - 1))
			;
		slot[h] = e;
	}
	free(a->slot);
	a->slot = slot;
	a->nslot = nslot;
	return 0;
}

long accts_find(const struct accts *a, const void *id, size_t len)
{
	uint32_t hash = hash_id(id, len);
	size_t h;
	if (!a->nslot)
		return -1;
	for (h = hash & (a->nslot - 1); a->slot[h]; h = (h + 1) & (a->nslot - 1)) {
		const struct acct *x;
		if ((uint32_t)(a->slot[h] >> 32) != hash)
			continue;
		x = &a->v[(uint32_t)a->slot[h] - 1];
		if (x->len == len && memcmp(x->id, id, len) == 0)
			return (long)(uint32_t)a->slot[h] - 1;
	}
	return -1;
}

long accts_append(struct accts *a, const void *id, size_t len)
{
	struct acct *x;
	if (!(x = grow(a->v, &a->cap, a->n + 1, sizeof(*x), 512)))
		return -1;
	a->v = x;
	x = &a->v[a->n];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, id, len);
	x->len = (unsigned char)len;
	return (long)a->n++;
}

static void slot_put(struct accts *a, uint32_t hash, size_t i)
{
	size_t h;
	for (h = hash & (a->nslot - 1); a->slot[h]; h = (h + 1) & (a->nslot - 1))
		;
	a->slot[h] = (uint64_t)hash << 32 | ((uint32_t)i + 1);
}

#define INDEX_AHEAD 32 /* accounts hashed ahead of their insertion: their slots are fetched */

int accts_index(struct accts *a)
{
	uint32_t ahead[INDEX_AHEAD];
	size_t nslot = 1024, i;
	while (nslot < 2 * (a->n + 1))
		nslot *= 2;
	free(a->slot);
	a->nslot = 0;
	if (!(a->slot = huge(calloc(nslot, sizeof(*a->slot)), nslot * sizeof(*a->slot))))
		return -1;
	a->nslot = nslot;
	for (i = 0; i < a->n + INDEX_AHEAD; i++) {
		if (i >= INDEX_AHEAD) /* its hash's place in ahead is i's next */
			slot_put(a, ahead[i % INDEX_AHEAD], i - INDEX_AHEAD);
		if (i < a->n) {
			ahead[i % INDEX_AHEAD] = hash_id(a->v[i].id, a->v[i].len);
			__builtin_prefetch(&a->slot[ahead[i % INDEX_AHEAD] & (nslot - 1)], 1);
		}
	}
	return 0;
}

long accts_add(struct accts *a, const void *id, size_t len)
{
	long i;
	if ((a->n + 1) * 2 > a->nslot && accts_rehash(a, a->nslot ? a->nslot * 2 : 1024) != 0)
		return -1;
	if ((i = accts_append(a, id, len)) >= 0)
		slot_put(a, hash_id(id, len), (size_t)i);
	return i;
}

void accts_prefetch(const struct accts *a, const void *id, size_t len, int stage)
{
	size_t h;
	if (!a->nslot)
		return;
	h = hash_id(id, len) & (a->nslot - 1);
	if (stage == 0)
		__builtin_prefetch(&a->slot[h]);
	else if (a->slot[h] && (uint32_t)a->slot[h] - 1 < a->n)
		__builtin_prefetch(&a->v[(uint32_t)a->slot[h] - 1]);
}

long accts_intern(struct accts *a, const void *id, size_t len)
{
	long i = accts_find(a, id, len);
	return i >= 0 ? i : accts_add(a, id, len);
}

/* ---- edges in memory ---- */

int vedges_push(struct vedges *e, uint32_t from, uint32_t to, uint32_t time)
{
	struct vedge *v = grow(e->v, &e->cap, e->n + 1, sizeof(*v), 4096);
	if (!v)
		return -1;
	e->v = v;
	e->v[e->n].from = from;
	e->v[e->n].to = to;
	e->v[e->n].time = time;
	e->v[e->n].seen = 0;
	e->n++;
	return 0;
}

void vedges_free(struct vedges *e)
{
	free(e->v);
	free(e->first);
	memset(e, 0, sizeof(*e));
}

int vedge_cmp(const void *a, const void *b)
{
	const struct vedge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

int vedges_index(struct vedges *e, size_t accounts)
{
	size_t i;
	free(e->first);
	e->first = NULL;
	e->nfirst = 0;
	for (i = 1; i < e->n && vedge_cmp(&e->v[i - 1], &e->v[i]) <= 0; i++)
		; /* sorted already (a bulk import's list): a sort would only cost */
	if (i < e->n)
		qsort(e->v, e->n, sizeof(*e->v), vedge_cmp);
	if (!(e->first = calloc(accounts + 1, sizeof(*e->first))))
		return -1;
	for (i = 0; i < e->n; i++)
		if (e->v[i].from < accounts)
			e->first[e->v[i].from + 1]++;
	for (i = 0; i < accounts; i++)
		e->first[i + 1] += e->first[i];
	e->nfirst = accounts;
	return 0;
}

struct vedge *vedges_find(const struct vedges *e, uint32_t from, uint32_t to)
{
	struct vedge k = {from, to, 0, 0};
	size_t lo = 0, hi = e->n;
	if (e->first) {
		if (from >= e->nfirst)
			return NULL; /* an account numbered after the index: it has no edge */
		lo = e->first[from];
		hi = e->first[from + 1];
	}
	return hi > lo ? bsearch(&k, e->v + lo, hi - lo, sizeof(k), vedge_cmp) : NULL;
}

/* ---- walking the store ---- */

int walk(struct store *s, DB_TXN *txn, int table, visit_fn fn, void *arg)
{
	return walk_ahead(s, txn, table, fn, NULL, arg);
}

#define WALK_BULK_BYTES (1024 * 1024) /* records read per cursor call: a few thousand */
#define WALK_BUFFERS 3 /* buffers read ahead of the visits, at most */
#define PEEK_FAR 16 /* records between peek's stage 0 and fn */
#define PEEK_NEAR 8 /* and between stage 1 and fn */

struct rec {
	DBT key, val;
};

static admin_tick progress_fn;
static void *progress_ctx;
static uint64_t walked; /* records read by this process's walks */

void admin_on_progress(admin_tick fn, void *ctx)
{
	progress_fn = fn;
	progress_ctx = ctx;
	walked = 0;
}

/* Visits the n records of one buffer, peeking ahead. */
static int visit_batch(struct rec *r, size_t n, visit_fn fn, peek_fn peek, void *arg)
{
	size_t i;
	int ret;
	for (i = 0; i < n; i++) {
		if (peek && i + PEEK_FAR < n)
			peek(arg, &r[i + PEEK_FAR].key, &r[i + PEEK_FAR].val, 0);
		if (peek && i + PEEK_NEAR < n)
			peek(arg, &r[i + PEEK_NEAR].key, &r[i + PEEK_NEAR].val, 1);
		if ((ret = fn(arg, &r[i].key, &r[i].val)) != 0)
			return ret;
	}
	walked += n;
	if (progress_fn)
		progress_fn(progress_ctx, walked, 0);
	return 0;
}

/* A buffer of records read by one cursor call, and where each record lies in it. */
struct batch {
	void *buf;
	size_t cap;
	struct rec *recs;
	size_t nrec, caprec;
};

/* Reads the next buffer of a hash table's records (DB_MULTIPLE_KEY: one cursor call per
 * thousands of records instead of one each, which was half of verify's time); a record larger
 * than the buffer grows it. 0, DB_NOTFOUND at the end, or an error. */
static int fill(DBC *c, struct batch *b)
{
	DBT key, val;
	void *p, *k, *d, *grown;
	u_int32_t klen, dlen;
	int ret;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	val.flags = DB_DBT_USERMEM;
	for (;;) {
		if (!b->buf && !(b->buf = malloc(b->cap = WALK_BULK_BYTES)))
			return ENOMEM;
		val.data = b->buf;
		val.ulen = (u_int32_t)b->cap;
		ret = c->get(c, &key, &val, DB_NEXT | DB_MULTIPLE_KEY);
		if (ret != DB_BUFFER_SMALL)
			break;
		b->cap = val.size > b->cap * 2 ? val.size : b->cap * 2;
		if (!(grown = realloc(b->buf, b->cap)))
			return ENOMEM;
		b->buf = grown;
	}
	if (ret != 0)
		return ret;
	DB_MULTIPLE_INIT(p, &val);
	for (b->nrec = 0;; b->nrec++) {
		struct rec *r;
		DB_MULTIPLE_KEY_NEXT(p, &val, k, klen, d, dlen);
		if (!p)
			return 0;
		if (!(r = grow(b->recs, &b->caprec, b->nrec + 1, sizeof(*r), 1024)))
			return ENOMEM;
		b->recs = r;
		memset(&r[b->nrec], 0, sizeof(*r));
		r[b->nrec].key.data = k;
		r[b->nrec].key.size = klen;
		r[b->nrec].val.data = d;
		r[b->nrec].val.size = dlen;
	}
}

/* The walk in two threads: this one reads buffers (every Berkeley DB call stays in it, and in
 * the caller's transaction), the visitor visits them, WALK_BUFFERS apart at most. Reading was
 * a third of verify's time and the visits the rest; on two cores they overlap. */
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct batch b[WALK_BUFFERS];
	size_t filled, visited; /* batches handed over, and visited, since the start */
	int done;               /* the reader has handed over its last batch */
	int ret;                /* the visits' verdict: the first non-zero fn result */
	visit_fn fn;
	peek_fn peek;
	void *arg;
};

static void *visitor(void *argp)
{
	struct pipe *p = argp;
	size_t k;
	int ret = 0;
	for (k = 0; ret == 0; k++) {
		struct batch *b = &p->b[k % WALK_BUFFERS];
		int more;
		pthread_mutex_lock(&p->mu);
		while (p->filled == k && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		more = p->filled > k;
		pthread_mutex_unlock(&p->mu);
		if (!more)
			break; /* done, and nothing more handed over */
		ret = visit_batch(b->recs, b->nrec, p->fn, p->peek, p->arg);
		pthread_mutex_lock(&p->mu);
		p->visited = k + 1;
		p->ret = ret;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static int walk_bulk(DBC *c, visit_fn fn, peek_fn peek, void *arg)
{
	struct pipe p;
	pthread_t t;
	size_t k, i;
	int ret = 0, threaded;

	memset(&p, 0, sizeof(p));
	p.fn = fn;
	p.peek = peek;
	p.arg = arg;
	threaded = pthread_mutex_init(&p.mu, NULL) == 0;
	if (threaded && pthread_cond_init(&p.cv, NULL) != 0) {
		pthread_mutex_destroy(&p.mu);
		threaded = 0;
	}
	if (threaded && pthread_create(&t, NULL, visitor, &p) != 0) {
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
		threaded = 0; /* no thread to be had: read and visit in turn */
	}
	for (k = 0; ret == 0; k++) {
		struct batch *b = &p.b[threaded ? k % WALK_BUFFERS : 0];
		if (threaded) {
			pthread_mutex_lock(&p.mu);
			while (k - p.visited >= WALK_BUFFERS && p.ret == 0)
				pthread_cond_wait(&p.cv, &p.mu);
			ret = p.ret;
			pthread_mutex_unlock(&p.mu);
			if (ret != 0)
				break;
		}
		if ((ret = fill(c, b)) != 0)
			break;
		if (!threaded) {
			ret = visit_batch(b->recs, b->nrec, fn, peek, arg);
			continue;
		}
		pthread_mutex_lock(&p.mu);
		p.filled = k + 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
	}
	if (threaded) {
		pthread_mutex_lock(&p.mu);
		p.done = 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		pthread_join(t, NULL);
		if (p.ret != 0 && (ret == 0 || ret == DB_NOTFOUND))
			ret = p.ret; /* the visits' verdict before the end of the table's */
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
	}
	for (i = 0; i < WALK_BUFFERS; i++) {
		free(p.b[i].buf);
		free(p.b[i].recs);
	}
	return ret;
}

int walk_ahead(struct store *s, DB_TXN *txn, int table, visit_fn fn, peek_fn peek, void *arg)
{
	DBT key, val;
	DBC *c;
	int ret, t_ret;
	if ((ret = s->db[table]->cursor(s->db[table], txn, &c, 0)) != 0)
		return ret;
	if (table != T_OUTBOX) { /* every table but the queue is a hash table */
		if ((ret = walk_bulk(c, fn, peek, arg)) == DB_NOTFOUND)
			ret = 0;
		if ((t_ret = c->close(c)) != 0 && ret == 0)
			ret = t_ret;
		return ret;
	}
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.flags = val.flags = DB_DBT_REALLOC;
	while ((ret = c->get(c, &key, &val, DB_NEXT)) == 0)
		if ((ret = fn(arg, &key, &val)) != 0)
			break;
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	free(key.data);
	free(val.data);
	return ret;
}

/* The pages and bytes of the store's tables; -1 when a table's file cannot be read. */
static int tables_size(struct store *s, uint64_t *pages, uint64_t *bytes)
{
	u_int32_t pagesize;
	const char *file, *name;
	char path[PATH_MAX];
	struct stat sb;
	int i;
	*pages = *bytes = 0;
	for (i = 0; i < T_COUNT; i++) {
		if (s->db[i]->get_dbname(s->db[i], &file, &name) != 0 ||
		    s->db[i]->get_pagesize(s->db[i], &pagesize) != 0 || !pagesize ||
		    snprintf(path, sizeof(path), "%s/%s", s->dir, file) >= (int)sizeof(path) ||
		    stat(path, &sb) != 0)
			return -1;
		*pages += (uint64_t)sb.st_size / pagesize + 1;
		*bytes += (uint64_t)sb.st_size;
	}
	return 0;
}

/* 1 when a read lock on every page of the store would take at most half of the environment's
 * lock table (shared with the service, whose transactions need locks meanwhile). */
static int lockable(struct store *s, uint64_t pages)
{
	u_int32_t max_locks = 0, max_objects = 0;
	if (s->env->get_lk_max_locks(s->env, &max_locks) != 0 ||
	    s->env->get_lk_max_objects(s->env, &max_objects) != 0)
		return 0;
	return pages <= (max_locks < max_objects ? max_locks : max_objects) / 2;
}

int run_read(struct store *s, txn_body body, void *arg, int *degree3)
{
	struct store_prefault *pf = NULL;
	uint64_t pages = 0, bytes = 0;
	int ret = ENOMEM, sized = s->env && tables_size(s, &pages, &bytes) == 0;
	/* The walk will read about the tables' bytes into the cache. */
	if (sized)
		pf = store_prefault_start(s, bytes + bytes / 8);
	/* (No environment: a recovery elsewhere closed it; run_txn reopens it.) */
	if ((*degree3 = !s->env || (sized && lockable(s, pages))))
		ret = run_txn(s, body, arg, 0);
	if (ret == ENOMEM) { /* too large, or the lock table ran out after all */
		LOG("the store is too large to read under read locks: reading it at read committed, "
		    "so writes racing the walk may show as transient differences");
		*degree3 = 0;
		ret = run_txn(s, body, arg, 1);
	}
	store_prefault_join(pf);
	return ret;
}

int err_of(int ret, const char *what, char *err, size_t errlen)
{
	if (ret == TXN_NOMEM)
		snprintf(err, errlen, "%s: out of memory", what);
	else
		snprintf(err, errlen, "%s: %s", what, db_strerror(ret));
	return -1;
}

/* ---- the files of data_dir ---- */

unsigned long log_number(const char *name)
{
	char *end;
	unsigned long n;
	if (strncmp(name, "log.", 4) != 0 || strlen(name) != 14)
		return 0;
	n = strtoul(name + 4, &end, 10);
	return *end ? 0 : n;
}

int is_db_file(const char *name)
{
	size_t len = strlen(name);
	return len > 3 && strcmp(name + len - 3, ".db") == 0 && strncmp(name, "__db", 4) != 0;
}

