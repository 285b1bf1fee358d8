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
#include "common/populate.h"

#define HUGE_PAGE (2u << 20)
#define SMALL_PAGE 4096u

/* Asks for huge pages under a large array (the kernel gives them only to madvised memory here):
 * the id and edge tables of 1M accounts are read at random, and with 4 KB pages each lookup
 * also missed the TLB and each first touch faulted. The advice covers the block's whole mapping
 * (malloc maps blocks this large on their own): advice on a part splits the mapping, and then
 * realloc's mremap fails and copies. A refusal only costs speed. */
static void *huge(void *p, size_t bytes, int on)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(SMALL_PAGE - 1);
	uintptr_t end = ((uintptr_t)p + bytes + SMALL_PAGE - 1) & ~(uintptr_t)(SMALL_PAGE - 1);
	if (on && p && bytes >= 2 * HUGE_PAGE)
		(void)madvise((void *)a, end - a, MADV_HUGEPAGE);
	return p;
}

/* realloc, for blocks that may grow large; on huge pages when huge. */
static void *big_realloc(void *v, size_t bytes, int huge_pages)
{
	static int fixed;
	/* Large blocks from mmap always, so the tables grow by mremap instead of by a copy (glibc
	 * raises its threshold after each free of one, and the copies were a quarter of verify's
	 * page faults), and keep their huge pages. */
	if (!fixed)
		fixed = mallopt(M_MMAP_THRESHOLD, HUGE_PAGE);
	return huge(realloc(v, bytes), bytes, huge_pages);
}

void *grow(void *v, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t c = *cap ? *cap : first;
	if (v && need <= *cap)
		return v;
	while (c < need)
		c *= 2;
	if (!(v = big_realloc(v, c * size, 0)))
		return NULL;
	*cap = c;
	return v;
}

/* Room for need elements of size bytes exactly (grow doubles: up to twice what a table holds),
 * and in *r the part past the used ones; -1 when out of memory (*v untouched). */
static int reserve(void **v, size_t *cap, size_t used, size_t need, size_t size,
		   struct populate_range *r)
{
	void *p = *v;
	if (!p || need > *cap) {
		if (!(p = big_realloc(p, need * size, 1)))
			return -1;
		*v = p;
		*cap = need;
	}
	r->start = (char *)p + used * size;
	r->len = (*cap - used) * size;
	return 0;
}

int tables_reserve(struct accts *a, size_t na, struct vedges *e, size_t ne,
		   struct populate_range r[2])
{
	void *av = a->v, *ev = e->v;
	int ret = reserve(&av, &a->cap, a->n, na, sizeof(*a->v), &r[0]) != 0 ||
		  reserve(&ev, &e->cap, e->n, ne, sizeof(*e->v), &r[1]) != 0 ? -1 : 0;
	a->v = av;
	e->v = ev;
	a->huge = e->huge = 1;
	return ret;
}

/* ---- accounts in memory ---- */

/* Eight bytes at a time, then a finalizer that spreads every bit into the low ones (the slot).
 * A byte at a time (FNV) took a tenth of verify's visits: each id is hashed three times, twice
 * by the peeks ahead and once by the lookup. */
static uint32_t hash_id(const char *id, size_t len)
{
	uint64_t h = len * 0x9e3779b97f4a7c15ull, w;
	size_t i = 0, j;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, id + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (i < len) {
		for (w = 0, j = 0; i + j < len; j++)
			w |= (uint64_t)(unsigned char)id[i + j] << (8 * j);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h;
}

void accts_free(struct accts *a)
{
	free(a->v);
	free(a->slot);
	memset(a, 0, sizeof(*a));
}

static int accts_rehash(struct accts *a, size_t nslot)
{
	uint64_t *slot = huge(calloc(nslot, sizeof(*slot)), nslot * sizeof(uint64_t), a->huge);
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
	if (!(a->slot = huge(calloc(nslot, sizeof(*a->slot)), nslot * sizeof(*a->slot), a->huge)))
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

#define PEEK_PROBES 8 /* slots a prefetch looks through: those after the first share its line */

/* The account of the first slot that holds id's hash (stage 1 and later: the slot is at hand),
 * or -1. Usually id's, which is all a prefetch needs. */
static long first_in_slot(const struct accts *a, const void *id, size_t len)
{
	uint32_t hash = hash_id(id, len);
	size_t h, k;
	if (!a->nslot)
		return -1;
	for (h = hash & (a->nslot - 1), k = 0; a->slot[h] && k < PEEK_PROBES;
	     h = (h + 1) & (a->nslot - 1), k++)
		if ((uint32_t)(a->slot[h] >> 32) == hash && (uint32_t)a->slot[h] - 1 < a->n)
			return (long)(uint32_t)a->slot[h] - 1;
	return -1;
}

void accts_prefetch(const struct accts *a, const void *id, size_t len, int stage)
{
	long i;
	if (stage == 0 && a->nslot)
		__builtin_prefetch(&a->slot[hash_id(id, len) & (a->nslot - 1)]);
	else if (stage == 1 && (i = first_in_slot(a, id, len)) >= 0)
		__builtin_prefetch(&a->v[i]);
}

void vedges_prefetch(const struct vedges *e, const struct accts *a, const void *from, size_t len,
		     int stage)
{
	long i;
	if (stage == 0 || !e->first || (i = first_in_slot(a, from, len)) < 0 || (size_t)i >= e->nfirst)
		return;
	if (stage == 1)
		__builtin_prefetch(&e->first[i]);
	else if (e->first[i] < e->n)
		__builtin_prefetch(&e->v[e->first[i]]);
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

static int by_to(const void *a, const void *b)
{
	const struct vedge *x = a, *y = b;
	return x->to < y->to ? -1 : x->to > y->to;
}

/* Sorts each account's run of edges by to: most runs are short, and insertion sort needs no
 * call per comparison. */
static void sort_runs(struct vedges *e)
{
	size_t f, i, j;
	for (f = 0; f < e->nfirst; f++) {
		struct vedge *r = e->v + e->first[f];
		size_t n = e->first[f + 1] - e->first[f];
		if (n > 16) {
			qsort(r, n, sizeof(*r), by_to);
			continue;
		}
		for (i = 1; i < n; i++) {
			struct vedge x = r[i];
			for (j = i; j > 0 && r[j - 1].to > x.to; j--)
				r[j] = r[j - 1];
			r[j] = x;
		}
	}
}

int vedges_index(struct vedges *e, size_t accounts)
{
	struct vedge *sorted;
	size_t i;
	int sorted_already;
	free(e->first);
	e->first = NULL;
	e->nfirst = 0;
	for (i = 0; i < e->n && e->v[i].from < accounts; i++)
		;
	if (i < e->n) { /* an edge of an account past the index: the old way, all sorted */
		qsort(e->v, e->n, sizeof(*e->v), vedge_cmp);
		sorted_already = 1;
	} else {
		for (i = 1; i < e->n && vedge_cmp(&e->v[i - 1], &e->v[i]) <= 0; i++)
			; /* sorted already (a bulk import's list): a sort would only cost */
		sorted_already = i >= e->n;
	}
	if (!(e->first = huge(calloc(accounts + 1, sizeof(*e->first)),
			      (accounts + 1) * sizeof(size_t), e->huge)))
		return -1;
	for (i = 0; i < e->n; i++)
		if (e->v[i].from < accounts)
			e->first[e->v[i].from + 1]++;
	for (i = 0; i < accounts; i++)
		e->first[i + 1] += e->first[i];
	e->nfirst = accounts;
	if (sorted_already)
		return 0;
	/* By from, in one pass (a counting sort: qsort took a tenth of verify's time), then each
	 * account's edges by to. first[f] is where the next edge of f goes, then past f's last. */
	if (!(sorted = huge(malloc(e->n * sizeof(*sorted)), e->n * sizeof(*sorted), e->huge))) {
		qsort(e->v, e->n, sizeof(*e->v), vedge_cmp);
		return 0;
	}
	for (i = 0; i < e->n; i++)
		sorted[e->first[e->v[i].from]++] = e->v[i];
	memmove(e->first + 1, e->first, accounts * sizeof(*e->first));
	e->first[0] = 0;
	free(e->v);
	e->v = sorted;
	e->cap = e->n;
	sort_runs(e);
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

#define WALK_BULK_BYTES (1024 * 1024) /* records read per cursor call: a few thousand */
#define WALK_JOBS 4 /* buffers read ahead of the visits (and calls queued among them), at most */
#define PEEK_FAR 32 /* records between peek's stage 0 and fn */
#define PEEK_MID 16 /* stage 1 */
#define PEEK_NEAR 8 /* stage 2 */

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
		if (peek && i + PEEK_MID < n)
			peek(arg, &r[i + PEEK_MID].key, &r[i + PEEK_MID].val, 1);
		if (peek && i + PEEK_NEAR < n)
			peek(arg, &r[i + PEEK_NEAR].key, &r[i + PEEK_NEAR].val, 2);
		if ((ret = fn(arg, &r[i].key, &r[i].val)) != 0)
			return ret;
	}
	walked += n;
	if (progress_fn)
		progress_fn(progress_ctx, walked, 0);
	return 0;
}

/* A buffer of records read by one cursor call and how to visit them, or a call. */
struct job {
	void *buf;
	size_t cap;
	struct rec *recs;
	size_t nrec, caprec;
	visit_fn fn;
	peek_fn peek;
	call_fn call; /* instead of visits */
	void *arg;
};

/* Every Berkeley DB call of a walk stays in the thread that reads (and in its transaction); the
 * visits run in order in one thread of their own, WALK_JOBS buffers behind at most. Reading was
 * a third of verify's time and the visits the rest: on two cores they overlap, also across
 * tables, since a walk returns once its last buffer is read. */
struct walker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int threaded; /* 0: no thread could be had; the reader visits each buffer in turn */
	struct job job[WALK_JOBS];
	size_t queued, done; /* jobs handed over, and finished, since the start */
	int closing;         /* walker_end: no more jobs */
	int ret;             /* the first non-zero result of a visit or call; later jobs are skipped */
};

static int run_job(struct job *j)
{
	return j->call ? j->call(j->arg) : visit_batch(j->recs, j->nrec, j->fn, j->peek, j->arg);
}

static void *visitor(void *argp)
{
	struct walker *w = argp;
	size_t k;
	for (k = 0;; k++) {
		int ret = 0, skip;
		pthread_mutex_lock(&w->mu);
		while (w->queued == k && !w->closing)
			pthread_cond_wait(&w->cv, &w->mu);
		skip = w->ret;
		if (w->queued == k) { /* closing, and nothing more handed over */
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		pthread_mutex_unlock(&w->mu);
		if (!skip)
			ret = run_job(&w->job[k % WALK_JOBS]);
		pthread_mutex_lock(&w->mu);
		w->done = k + 1;
		if (ret != 0 && w->ret == 0)
			w->ret = ret;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
}

struct walker *walker_start(void)
{
	struct walker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	if (pthread_mutex_init(&w->mu, NULL) != 0)
		return w; /* not threaded */
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		return w;
	}
	if (pthread_create(&w->thread, NULL, visitor, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		return w;
	}
	w->threaded = 1;
	return w;
}

/* The next job's room, once the visitor is done with it; NULL when a visit or call failed
 * (its result in w->ret). */
static struct job *job_room(struct walker *w)
{
	struct job *j;
	if (!w->threaded)
		return w->ret ? NULL : &w->job[0];
	pthread_mutex_lock(&w->mu);
	while (w->queued - w->done >= WALK_JOBS && w->ret == 0)
		pthread_cond_wait(&w->cv, &w->mu);
	j = w->ret ? NULL : &w->job[w->queued % WALK_JOBS];
	pthread_mutex_unlock(&w->mu);
	return j;
}

/* Hands the job job_room gave over; without a thread, runs it. */
static void job_hand(struct walker *w, struct job *j)
{
	if (!w->threaded) {
		w->ret = run_job(j);
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->queued++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Waits until every job handed over is finished; the first failure's result, or 0. */
static int walker_idle(struct walker *w)
{
	int ret;
	if (!w->threaded)
		return w->ret;
	pthread_mutex_lock(&w->mu);
	while (w->done < w->queued)
		pthread_cond_wait(&w->cv, &w->mu);
	ret = w->ret;
	pthread_mutex_unlock(&w->mu);
	return ret;
}

int walker_call(struct walker *w, call_fn call, void *arg)
{
	struct job *j = job_room(w);
	if (!j)
		return w->ret;
	j->call = call;
	j->arg = arg;
	job_hand(w, j);
	return 0;
}

int walker_end(struct walker *w)
{
	size_t i;
	int ret;
	if (!w)
		return TXN_NOMEM;
	ret = walker_idle(w);
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		w->closing = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
	for (i = 0; i < WALK_JOBS; i++) {
		free(w->job[i].buf);
		free(w->job[i].recs);
	}
	free(w);
	return ret;
}

/* Reads the next buffer of a hash table's records (DB_MULTIPLE_KEY: one cursor call per
 * thousands of records instead of one each, which was half of verify's time); a record larger
 * than the buffer grows it. 0, DB_NOTFOUND at the end, or an error (TXN_NOMEM for this
 * process's own memory: Berkeley DB's ENOMEM means a full lock table, which run_read answers
 * by reading again without read locks). */
static int fill(DBC *c, struct job *j)
{
	DBT key, val;
	void *p, *k, *d, *grown;
	u_int32_t klen, dlen;
	int ret;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	val.flags = DB_DBT_USERMEM;
	for (;;) {
		if (!j->buf && !(j->buf = malloc(j->cap = WALK_BULK_BYTES)))
			return TXN_NOMEM;
		val.data = j->buf;
		val.ulen = (u_int32_t)j->cap;
		ret = c->get(c, &key, &val, DB_NEXT | DB_MULTIPLE_KEY);
		if (ret != DB_BUFFER_SMALL)
			break;
		j->cap = val.size > j->cap * 2 ? val.size : j->cap * 2;
		if (!(grown = realloc(j->buf, j->cap)))
			return TXN_NOMEM;
		j->buf = grown;
	}
	if (ret != 0)
		return ret;
	DB_MULTIPLE_INIT(p, &val);
	for (j->nrec = 0;; j->nrec++) {
		struct rec *r;
		DB_MULTIPLE_KEY_NEXT(p, &val, k, klen, d, dlen);
		if (!p)
			return 0;
		if (!(r = grow(j->recs, &j->caprec, j->nrec + 1, sizeof(*r), 1024)))
			return TXN_NOMEM;
		j->recs = r;
		memset(&r[j->nrec], 0, sizeof(*r));
		r[j->nrec].key.data = k;
		r[j->nrec].key.size = klen;
		r[j->nrec].val.data = d;
		r[j->nrec].val.size = dlen;
	}
}

/* The outbox, a queue: a record per cursor call, visited here once the visitor is idle. */
static int walk_queue(DBC *c, visit_fn fn, void *arg)
{
	DBT key, val;
	int ret;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.flags = val.flags = DB_DBT_REALLOC;
	while ((ret = c->get(c, &key, &val, DB_NEXT)) == 0)
		if ((ret = fn(arg, &key, &val)) != 0)
			break;
	free(key.data);
	free(val.data);
	return ret;
}

int walk_async(struct walker *w, struct store *s, DB_TXN *txn, int table, visit_fn fn,
	       peek_fn peek, void *arg)
{
	struct job *j;
	DBC *c;
	int ret, t_ret;
	if (!w)
		return TXN_NOMEM;
	if ((ret = s->db[table]->cursor(s->db[table], txn, &c, 0)) != 0)
		return ret;
	if (table == T_OUTBOX) { /* every table but the queue is a hash table */
		if ((ret = walker_idle(w)) == 0)
			ret = walk_queue(c, fn, arg);
	} else {
		while ((j = job_room(w)) && (ret = fill(c, j)) == 0) {
			j->fn = fn;
			j->peek = peek;
			j->call = NULL;
			j->arg = arg;
			job_hand(w, j);
		}
		if (!j)
			ret = w->ret;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

int walk(struct store *s, DB_TXN *txn, int table, visit_fn fn, void *arg)
{
	struct walker *w = walker_start();
	int ret = walk_async(w, s, txn, table, fn, NULL, arg), t_ret = walker_end(w);
	return ret != 0 ? ret : t_ret;
}

uint64_t table_bytes(struct store *s, int table, u_int32_t *pagesize)
{
	const char *file, *name;
	char path[PATH_MAX];
	struct stat sb;
	if (s->db[table]->get_dbname(s->db[table], &file, &name) != 0 ||
	    s->db[table]->get_pagesize(s->db[table], pagesize) != 0 || !*pagesize ||
	    snprintf(path, sizeof(path), "%s/%s", s->dir, file) >= (int)sizeof(path) ||
	    stat(path, &sb) != 0)
		return 0;
	return (uint64_t)sb.st_size;
}

/* The pages and bytes of the store's tables; -1 when a table's file cannot be read. */
static int tables_size(struct store *s, uint64_t *pages, uint64_t *bytes)
{
	u_int32_t pagesize = 0;
	uint64_t b;
	int i;
	*pages = *bytes = 0;
	for (i = 0; i < T_COUNT; i++) {
		if (!(b = table_bytes(s, i, &pagesize)))
			return -1;
		*pages += b / pagesize + 1;
		*bytes += b;
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
	struct populate *pf = NULL;
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
	populate_join(pf);
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

