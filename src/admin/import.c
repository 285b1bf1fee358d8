/* import.c - the edges of followctl import: each added with the store's own edge_add (edge,
 * index entries, mutual entries, counters), 10,000 per transaction, and the final log flush. */
#include <db.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/log.h"

#define EDGES_PER_TXN 10000
/*
 * Log written between an import's checkpoints. A checkpoint writes the whole dirty cache and
 * syncs every file, which after each 10,000 edges would cost more than the edges: the import
 * checkpoints after this much log, not after each commit as the service does (whose own
 * commits, if it runs, still checkpoint as usual).
 */
#define IMPORT_CKP_KB (256 * 1024)

static const struct txn_mode import_mode = {.ckp_kb = IMPORT_CKP_KB};

struct edges_arg {
	const struct admin_edge *e;
	const uint32_t *order; /* indexes into e: by from, then position */
	size_t lo, hi;         /* this transaction's slice of order */
	size_t added, bad;
	struct accts a;        /* the accounts the slice touches, with their counters as they will be */
};

/* The slice's copy of id's counters, read (locked for update when rmw) on first use. */
static int cached(struct store *s, DB_TXN *txn, struct edges_arg *arg, const char *id, int rmw,
		  long *idx)
{
	size_t len = strlen(id);
	struct account a;
	int ret, found;
	if ((*idx = accts_find(&arg->a, id, len)) >= 0)
		return 0;
	if ((ret = account_get(s, txn, id, &a, &found, rmw)) != 0)
		return ret;
	if ((*idx = accts_add(&arg->a, id, len)) < 0)
		return TXN_NOMEM;
	arg->a.v[*idx].present = (unsigned char)found;
	arg->a.v[*idx].stored = a;
	return 0;
}

/* Before any write: every account the edges name is imported (else bad = the first edge, in
 * the caller's order, that names one that is not). */
static int check_accounts_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct edges_arg *arg = argp;
	size_t i;
	int ret;
	accts_free(&arg->a);
	for (i = 0; i < arg->hi; i++) {
		long fi, ti;
		if ((ret = cached(s, txn, arg, arg->e[i].from, 0, &fi)) != 0 ||
		    (ret = cached(s, txn, arg, arg->e[i].to, 0, &ti)) != 0)
			return ret;
		if (!arg->a.v[fi].present || !arg->a.v[ti].present) {
			arg->bad = i;
			return TXN_ROLLBACK;
		}
	}
	return 0;
}

static int add_edges_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct edges_arg *arg = argp;
	size_t i, k;
	int ret;

	arg->added = 0;
	accts_free(&arg->a);
	if ((ret = txn->set_priority(txn, ADMIN_PRIORITY)) != 0)
		return ret;
	for (k = arg->lo; k < arg->hi; k++) {
		const struct admin_edge *e = &arg->e[arg->order[k]];
		struct acct *f, *t;
		uint32_t cur, back;
		long fi, ti;
		if ((ret = cached(s, txn, arg, e->from, 1, &fi)) != 0 ||
		    (ret = cached(s, txn, arg, e->to, 1, &ti)) != 0)
			return ret;
		if (!arg->a.v[fi].present || !arg->a.v[ti].present) {
			arg->bad = arg->order[k]; /* deleted since the check */
			return TXN_ROLLBACK;
		}
		if ((ret = edge_get(s, txn, e->from, e->to, &cur, 1)) != 0)
			return ret;
		if (cur)
			continue; /* an existing edge keeps its time */
		if ((ret = edge_get(s, txn, e->to, e->from, &back, 0)) != 0)
			return ret;
		f = &arg->a.v[fi];
		t = &arg->a.v[ti];
		if ((ret = edge_add(s, txn, e->from, e->to, e->time, back, &f->stored,
				    &t->stored)) != 0)
			return ret;
		f->dirty = t->dirty = 1;
		arg->added++;
	}
	for (i = 0; i < arg->a.n; i++) {
		const struct acct *x = &arg->a.v[i];
		if (x->dirty && (ret = account_put(s, txn, x->id, &x->stored)) != 0)
			return ret;
	}
	return 0;
}

static const struct admin_edge *sort_edges; /* qsort has no context argument */

static int by_from(const void *a, const void *b)
{
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	int c = strcmp(sort_edges[i].from, sort_edges[j].from);
	return c ? c : i < j ? -1 : i > j;
}

enum store_status admin_add_edges(struct store *s, const struct admin_edge *e, size_t n,
				  size_t *added, size_t *bad, size_t *done)
{
	struct edges_arg arg;
	uint32_t *order;
	size_t i;
	int ret;

	*added = *bad = *done = 0;
	if (!n)
		return STORE_OK;
	if (!(order = malloc(n * sizeof(*order))))
		return STORE_FAIL;
	memset(&arg, 0, sizeof(arg));
	arg.e = e;
	arg.order = order;
	arg.hi = n;
	ret = run_txn(s, check_accounts_body, &arg, 1);
	/* In order of from, each account's following list takes its entries together: the pages
	 * they touch stay in the cache. (Order does not change the result: the first of two
	 * lines for one edge still wins, being first for its from.) */
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	sort_edges = e;
	qsort(order, n, sizeof(*order), by_from);
	for (arg.lo = 0; ret == 0 && arg.lo < n; arg.lo = arg.hi) {
		arg.hi = arg.lo + EDGES_PER_TXN < n ? arg.lo + EDGES_PER_TXN : n;
		if ((ret = run_txn_as(s, add_edges_body, &arg, &import_mode)) == 0) {
			*added += arg.added;
			*done = arg.hi;
			store_deferred(s);
		}
	}
	accts_free(&arg.a);
	free(order);
	*bad = arg.bad;
	if (ret == TXN_NOMEM)
		LOG("import: out of memory");
	return status_of(ret);
}

enum store_status admin_flush(struct store *s)
{
	int ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE);
	if (ret != 0)
		LOG("checkpoint: %s", db_strerror(ret));
	return ret == 0 ? STORE_OK : STORE_FAIL;
}
