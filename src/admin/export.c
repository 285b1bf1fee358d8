/* export.c - followctl export: the whole graph read in one transaction, then handed out sorted
 * (accounts by id with their profiles, then edges by from and to). */
#include <db.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/ids.h"

struct prof_ref {
	uint32_t acct;
	size_t off, len; /* in the arena */
};

struct export_arg {
	struct accts a;
	struct vedges e;
	unsigned char *arena; /* raw profile records */
	size_t alen, acap;
	struct prof_ref *p;
	size_t np, pcap;
	size_t skipped;
};

static void export_reset(struct export_arg *xa)
{
	accts_free(&xa->a);
	vedges_free(&xa->e);
	free(xa->arena);
	free(xa->p);
	memset(xa, 0, sizeof(*xa));
}

static int export_account(void *argp, const DBT *key, const DBT *val)
{
	struct export_arg *xa = argp;
	long i;
	(void)val;
	if (!id_valid(key->data, key->size))
		return 0; /* verify reports it */
	if ((i = accts_append(&xa->a, key->data, key->size)) < 0)
		return TXN_NOMEM;
	xa->a.v[i].present = 1;
	return 0;
}

static int export_profile(void *argp, const DBT *key, const DBT *val)
{
	struct export_arg *xa = argp;
	long i = accts_find(&xa->a, key->data, key->size);
	struct prof_ref *p;
	unsigned char *b;
	if (i < 0)
		return 0; /* a profile without its account */
	if (!(p = grow(xa->p, &xa->pcap, xa->np + 1, sizeof(*p), 256)))
		return TXN_NOMEM;
	xa->p = p;
	if (!(b = grow(xa->arena, &xa->acap, xa->alen + val->size, 1, 65536)))
		return TXN_NOMEM;
	xa->arena = b;
	memcpy(xa->arena + xa->alen, val->data, val->size);
	xa->p[xa->np].acct = (uint32_t)i;
	xa->p[xa->np].off = xa->alen;
	xa->p[xa->np].len = val->size;
	xa->np++;
	xa->alen += val->size;
	return 0;
}

static int export_edge(void *argp, const DBT *key, const DBT *val)
{
	struct export_arg *xa = argp;
	const char *k = key->data;
	size_t flen, tlen;
	long fi, ti;
	if (edge_key_split(k, key->size, &flen, &tlen) != 0 || val->size != 4) {
		xa->skipped++;
		return 0;
	}
	fi = accts_find(&xa->a, k, flen);
	ti = accts_find(&xa->a, k + flen + 1, tlen);
	if (fi < 0 || ti < 0 || fi == ti || get_le32(val->data) == 0) {
		xa->skipped++;
		return 0;
	}
	return vedges_push(&xa->e, (uint32_t)fi, (uint32_t)ti, get_le32(val->data)) ? TXN_NOMEM : 0;
}

static int export_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct export_arg *xa = argp;
	int ret;
	export_reset(xa);
	if ((ret = txn->set_priority(txn, ADMIN_PRIORITY)) != 0 ||
	    (ret = walk(s, txn, T_ACCOUNTS, export_account, xa)) != 0)
		return ret;
	if (accts_index(&xa->a) != 0)
		return TXN_NOMEM;
	if ((ret = walk(s, txn, T_PROFILES, export_profile, xa)) != 0)
		return ret;
	return walk(s, txn, T_EDGES, export_edge, xa);
}

static const struct acct *sort_accts; /* qsort has no context argument */

static int rank_cmp(const void *a, const void *b)
{
	const struct acct *x = &sort_accts[*(const uint32_t *)a], *y = &sort_accts[*(const uint32_t *)b];
	return strcmp(x->id, y->id);
}

int admin_export(struct store *s, struct admin_export *x, char *err, size_t errlen)
{
	struct export_arg xa;
	uint32_t *order = NULL, *rank = NULL;
	long *prof = NULL;
	size_t i;
	int ret, degree3;

	memset(&xa, 0, sizeof(xa));
	x->skipped = 0;
	if ((ret = run_read(s, export_body, &xa, &degree3)) != 0) {
		export_reset(&xa);
		return err_of(ret, "export", err, errlen);
	}
	/* Accounts in byte order; edges renumbered by that order sort by (from, to). */
	if (!(order = malloc((xa.a.n + 1) * sizeof(*order))) ||
	    !(rank = malloc((xa.a.n + 1) * sizeof(*rank))) ||
	    !(prof = malloc((xa.a.n + 1) * sizeof(*prof)))) {
		ret = TXN_NOMEM;
		goto out;
	}
	for (i = 0; i < xa.a.n; i++) {
		order[i] = (uint32_t)i;
		prof[i] = -1;
	}
	sort_accts = xa.a.v;
	if (xa.a.n)
		qsort(order, xa.a.n, sizeof(*order), rank_cmp);
	for (i = 0; i < xa.a.n; i++)
		rank[order[i]] = (uint32_t)i;
	for (i = 0; i < xa.e.n; i++) {
		xa.e.v[i].from = rank[xa.e.v[i].from];
		xa.e.v[i].to = rank[xa.e.v[i].to];
	}
	if (xa.e.n)
		qsort(xa.e.v, xa.e.n, sizeof(*xa.e.v), vedge_cmp);
	for (i = 0; i < xa.np; i++)
		prof[xa.p[i].acct] = (long)i;
	ret = 0;
	for (i = 0; i < xa.a.n && ret == 0; i++) {
		struct store_profile p;
		struct store_tag room[STORE_TAGS_MAX];
		long pi = prof[order[i]];
		memset(&p, 0, sizeof(p));
		if (pi >= 0 && profile_decode(xa.arena + xa.p[pi].off, xa.p[pi].len, &p, room,
					      STORE_TAGS_MAX) != 0)
			memset(&p, 0, sizeof(p)); /* verify reports it */
		ret = x->account(x->ctx, xa.a.v[order[i]].id, &p);
	}
	for (i = 0; i < xa.e.n && ret == 0; i++)
		ret = x->edge(x->ctx, xa.a.v[order[xa.e.v[i].from]].id, xa.a.v[order[xa.e.v[i].to]].id,
			      xa.e.v[i].time);
	x->skipped = xa.skipped;
out:
	free(order);
	free(rank);
	free(prof);
	export_reset(&xa);
	if (ret == TXN_NOMEM)
		return err_of(ret, "export", err, errlen);
	return ret;
}
