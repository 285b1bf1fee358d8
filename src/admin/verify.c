/* verify.c - followctl verify: walks every table of the store in one transaction and checks
 * every invariant between them (admin.h lists them); each broken one is a problem of a kind. */
#include <db.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "admin/admin_int.h"
#include "common/ids.h"

/* ---- problems ---- */

static const char *const problem_names[P_KINDS] = {
	"bad-account-record",
	"bad-edge-record",
	"bad-index-entry",
	"missing-account",
	"edge-without-following-entry",
	"edge-without-fan-entry",
	"following-entry-without-edge",
	"fan-entry-without-edge",
	"index-time-mismatch",
	"duplicate-index-entry",
	"mutual-entries-missing",
	"mutual-asymmetric",
	"mutual-entry-without-edges",
	"counter-mismatch",
	"bad-profile",
	"profile-without-account",
	"bad-outbox-record",
	"bad-dead-letter",
};

const char *admin_problem_name(enum admin_problem kind)
{
	return (unsigned)kind < P_KINDS ? problem_names[kind] : "?";
}

static void problem(struct admin_verify *v, enum admin_problem k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct admin_verify *v, enum admin_problem k, const char *fmt, ...)
{
	size_t i = v->found[k]++;
	char buf[512];
	va_list ap;
	if (i >= ADMIN_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v->shown[k][i] = strdup(buf); /* out of memory: counted, not described */
}

void admin_verify_free(struct admin_verify *v)
{
	size_t k, i;
	for (k = 0; k < P_KINDS; k++)
		for (i = 0; i < ADMIN_SHOWN; i++) {
			free(v->shown[k][i]);
			v->shown[k][i] = NULL;
		}
}

/* Bytes from the store as printable text: control bytes and backslashes as \xNN, at most 48
 * bytes. buf must hold 4 * 48 + 4. */
#define ESC_BUF (4 * 48 + 4)
static const char *esc(char *buf, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i, o = 0;
	for (i = 0; i < len && i < 48; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			o += (size_t)sprintf(buf + o, "\\x%02x", p[i]);
		else
			buf[o++] = (char)p[i];
	}
	if (i < len)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

/* ---- the walk ---- */

enum { C_FOLLOWING, C_FOLLOWERS, C_MUTUAL }; /* an index, by the counter it counts */
enum { F_FOLLOWING = 1, F_FAN = 2, F_MUTUAL = 4 }; /* an edge's entries found (vedge.seen) */

static uint32_t *counter(struct account *a, int which)
{
	return which == C_FOLLOWING ? &a->following : which == C_FOLLOWERS ? &a->followers
									   : &a->mutual;
}

struct verify_arg;

/* One walk's own state (the walks' visits may run while the next table is read). */
struct table_walk {
	struct verify_arg *va;
	int table; /* an index, the outbox or the dead letters */
	long owner; /* the index walk's last key, as an account index (its duplicates come together) */
};

struct verify_arg {
	struct admin_verify *v;
	struct accts a;
	struct vedges e;
	struct table_walk tw[T_COUNT];
	int degree3;
};

/* ---- looking ahead: the accounts that records further on name, fetched early ---- */

static void peek_edge(void *argp, const DBT *key, const DBT *val, int stage)
{
	struct verify_arg *va = argp;
	const char *k = key->data, *nul = memchr(k, '\0', key->size);
	(void)val;
	if (!nul)
		return;
	accts_prefetch(&va->a, k, (size_t)(nul - k), stage);
	accts_prefetch(&va->a, nul + 1, key->size - (size_t)(nul - k) - 1, stage);
}

static void peek_index(void *argp, const DBT *key, const DBT *val, int stage)
{
	struct table_walk *tw = argp;
	struct verify_arg *va = tw->va;
	const char *item = (const char *)val->data + 4;
	if (val->size <= 4)
		return;
	accts_prefetch(&va->a, key->data, key->size, stage);
	accts_prefetch(&va->a, item, val->size - 4, stage);
	/* The edge it names: from the item to the owner in the fan index, else the other way. */
	if (tw->table == T_FANS)
		vedges_prefetch(&va->e, &va->a, item, val->size - 4, stage);
	else
		vedges_prefetch(&va->e, &va->a, key->data, key->size, stage);
}

static int visit_account(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	struct account a;
	char b1[ESC_BUF];
	long i;
	va->v->accounts++;
	if (!id_valid(key->data, key->size)) {
		problem(va->v, P_BAD_ACCOUNT, "accounts record '%s': the key is not an account id",
			esc(b1, key->data, key->size));
		return 0;
	}
	if (account_decode(val->data, val->size, &a) != 0) {
		problem(va->v, P_BAD_ACCOUNT, "account %s: its record holds %u bytes, not 12",
			esc(b1, key->data, key->size), (unsigned)val->size);
		return 0;
	}
	if ((i = accts_append(&va->a, key->data, key->size)) < 0)
		return TXN_NOMEM;
	va->a.v[i].present = 1;
	va->a.v[i].stored = a;
	return 0;
}

static int visit_edge(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	const char *k = key->data, *to;
	size_t flen, tlen;
	char b1[ESC_BUF], b2[ESC_BUF];
	long fi, ti;
	uint32_t time;

	va->v->edges++;
	if (edge_key_split(k, key->size, &flen, &tlen) != 0)
		flen = tlen = 0; /* no NUL: not "from NUL to" (an empty from is no id) */
	to = k + flen + 1;
	if (!id_valid(k, flen) || !id_valid(to, tlen) ||
	    (flen == tlen && memcmp(k, to, flen) == 0)) {
		problem(va->v, P_BAD_EDGE, "edges record '%s': the key is not from NUL to",
			esc(b1, k, key->size));
		return 0;
	}
	if (val->size != 4 || (time = get_le32(val->data)) == 0) {
		problem(va->v, P_BAD_EDGE, "edge %s -> %s: the value is not a FollowTime",
			esc(b1, k, flen), esc(b2, to, tlen));
		return 0;
	}
	if ((fi = accts_intern(&va->a, k, flen)) < 0 || (ti = accts_intern(&va->a, to, tlen)) < 0)
		return TXN_NOMEM;
	if (!va->a.v[fi].present || !va->a.v[ti].present)
		problem(va->v, P_MISSING_ACCOUNT, "edge %s -> %s: %s is not in the accounts table",
			va->a.v[fi].id, va->a.v[ti].id,
			va->a.v[va->a.v[fi].present ? ti : fi].id);
	return vedges_push(&va->e, (uint32_t)fi, (uint32_t)ti, time) ? TXN_NOMEM : 0;
}

static int visit_index(void *argp, const DBT *key, const DBT *val)
{
	struct table_walk *tw = argp;
	struct verify_arg *va = tw->va;
	static const char *const names[] = {"following", "fan", "mutual"};
	int which = tw->table == T_FOLLOWING ? C_FOLLOWING : tw->table == T_FANS ? C_FOLLOWERS
										  : C_MUTUAL;
	const char *name = names[which];
	char b1[ESC_BUF], b2[ESC_BUF];
	struct vedge *e = NULL, *r = NULL;
	struct store_item it;
	uint32_t time, want = 0, flag;
	const char *oid, *xid;
	long oi, xi;

	if (which == C_FOLLOWING)
		va->v->following++;
	else if (which == C_FOLLOWERS)
		va->v->fans++;
	else
		va->v->mutual++;
	if (!id_valid(key->data, key->size) || idx_decode(val, &it) != 0 ||
	    !id_valid(it.id, val->size - 4)) {
		problem(va->v, P_BAD_INDEX, "%s index of '%s': entry '%s' does not decode", name,
			esc(b1, key->data, key->size), esc(b2, val->data, val->size));
		return 0;
	}
	time = it.time;
	oi = tw->owner;
	if (oi < 0 || va->a.v[oi].len != key->size || memcmp(va->a.v[oi].id, key->data, key->size))
		oi = tw->owner = accts_intern(&va->a, key->data, key->size);
	if (oi < 0 || (xi = accts_intern(&va->a, it.id, val->size - 4)) < 0)
		return TXN_NOMEM;
	oid = va->a.v[oi].id;
	xid = va->a.v[xi].id;
	if (!va->a.v[oi].present)
		problem(va->v, P_MISSING_ACCOUNT, "%s index of %s: %s is not in the accounts table",
			name, oid, oid);
	else
		(*counter(&va->a.v[oi].counted, which))++;
	if (!va->a.v[xi].present)
		problem(va->v, P_MISSING_ACCOUNT,
			"%s index of %s lists %s, which is not in the accounts table", name, oid, xid);

	switch (which) {
	case C_FOLLOWING:
		flag = F_FOLLOWING;
		if (!(e = vedges_find(&va->e, (uint32_t)oi, (uint32_t)xi))) {
			problem(va->v, P_ORPHAN_FOLLOWING,
				"following index of %s lists %s (time %u) but there is no edge "
				"%s -> %s", oid, xid, time, oid, xid);
			return 0;
		}
		want = e->time;
		break;
	case C_FOLLOWERS:
		flag = F_FAN;
		if (!(e = vedges_find(&va->e, (uint32_t)xi, (uint32_t)oi))) {
			problem(va->v, P_ORPHAN_FAN,
				"fan index of %s lists %s (time %u) but there is no edge %s -> %s",
				oid, xid, time, xid, oid);
			return 0;
		}
		want = e->time;
		break;
	default:
		flag = F_MUTUAL;
		e = vedges_find(&va->e, (uint32_t)oi, (uint32_t)xi);
		r = vedges_find(&va->e, (uint32_t)xi, (uint32_t)oi);
		if (!e || !r) {
			problem(va->v, P_ORPHAN_MUTUAL,
				"mutual index of %s lists %s but the edge %s -> %s is missing", oid,
				xid, e ? xid : oid, e ? oid : xid);
			return 0;
		}
		want = e->time > r->time ? e->time : r->time;
	}
	if (e->seen & flag) {
		problem(va->v, P_DUPLICATE_INDEX, "%s index of %s lists %s more than once "
			"(this entry at time %u)", name, oid, xid, time);
		return 0;
	}
	e->seen |= flag;
	if (time != want)
		problem(va->v, P_INDEX_TIME, "%s index of %s lists %s at time %u; %s %u", name, oid,
			xid, time, flag == F_MUTUAL ? "the later of the two edges' times is"
						    : "the edge's FollowTime is", want);
	return 0;
}

static void check_edges(struct verify_arg *va)
{
	size_t i;
	for (i = 0; i < va->e.n; i++) {
		struct vedge *e = &va->e.v[i], *r;
		const char *f = va->a.v[e->from].id, *t = va->a.v[e->to].id;
		if (!(e->seen & F_FOLLOWING))
			problem(va->v, P_NO_FOLLOWING,
				"edge %s -> %s (time %u): the following index of %s lacks %s", f, t,
				e->time, f, t);
		if (!(e->seen & F_FAN))
			problem(va->v, P_NO_FAN, "edge %s -> %s (time %u): the fan index of %s lacks %s",
				f, t, e->time, t, f);
		if (e->from > e->to || !(r = vedges_find(&va->e, e->to, e->from)))
			continue; /* each pair once */
		if (!(e->seen & F_MUTUAL) && !(r->seen & F_MUTUAL))
			problem(va->v, P_NO_MUTUAL, "%s and %s follow each other but neither mutual "
				"index lists the other", f, t);
		else if (!(e->seen & F_MUTUAL) || !(r->seen & F_MUTUAL))
			problem(va->v, P_MUTUAL_ASYMMETRIC,
				"the mutual index of %s lists %s but that of %s lacks %s",
				e->seen & F_MUTUAL ? f : t, e->seen & F_MUTUAL ? t : f,
				e->seen & F_MUTUAL ? t : f, e->seen & F_MUTUAL ? f : t);
	}
}

static void check_counters(struct verify_arg *va)
{
	static const char *const counter_name[] = {"following", "followers", "mutual"};
	static const char *const list[] = {"following", "fan", "mutual"};
	size_t i;
	int c;
	for (i = 0; i < va->a.n; i++) {
		struct acct *x = &va->a.v[i];
		if (!x->present)
			continue;
		for (c = C_FOLLOWING; c <= C_MUTUAL; c++) {
			uint32_t stored = *counter(&x->stored, c), counted = *counter(&x->counted, c);
			if (stored != counted)
				problem(va->v, P_COUNTER,
					"account %s: %s counter is %u but its %s list holds %u",
					x->id, counter_name[c], stored, list[c], counted);
		}
	}
}

static int visit_profile(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	struct store_profile p;
	struct store_tag room[STORE_TAGS_MAX];
	char b1[ESC_BUF];
	long i;
	if (profiles_key_is_mark(key->data, key->size))
		return 0; /* not a profile: the table's mark (store/profile.c) */
	va->v->profiles++;
	if (!id_valid(key->data, key->size) ||
	    profile_decode(val->data, val->size, &p, room, STORE_TAGS_MAX) != 0) {
		problem(va->v, P_BAD_PROFILE, "profile of '%s' does not decode",
			esc(b1, key->data, key->size));
		return 0;
	}
	if ((i = accts_find(&va->a, key->data, key->size)) < 0 || !va->a.v[i].present)
		problem(va->v, P_ORPHAN_PROFILE, "profile of %s, which is not in the accounts table",
			esc(b1, key->data, key->size));
	return 0;
}

/* The outbox and the dead letters (tw->table): records of fixed-size events. */
static int visit_event(void *argp, const DBT *key, const DBT *val)
{
	struct table_walk *tw = argp;
	struct verify_arg *va = tw->va;
	int dead = tw->table == T_DEAD;
	struct store_event ev;
	db_recno_t id = 0;
	if (dead)
		va->v->dead++;
	else
		va->v->outbox++;
	if (key->size == sizeof(id))
		memcpy(&id, key->data, sizeof(id));
	if (key->size != sizeof(id) || event_decode(val->data, val->size, &ev) != 0)
		problem(va->v, dead ? P_BAD_DEAD : P_BAD_OUTBOX, "%s record %u does not decode",
			dead ? "dead-letter" : "outbox", id);
	return 0;
}

/* The steps between walks, run by the walker in turn with the visits. */
static int index_accounts(void *argp)
{
	return accts_index(&((struct verify_arg *)argp)->a) ? TXN_NOMEM : 0;
}

static int index_edges(void *argp)
{
	struct verify_arg *va = argp;
	return vedges_index(&va->e, va->a.n) ? TXN_NOMEM : 0;
}

static int check_all(void *argp)
{
	check_edges(argp);
	check_counters(argp);
	return 0;
}

#define RECORD_BYTES_LEAST 40 /* an accounts or edges record with its share of a page, at the
				* least: 42 in a 1M-account bulk build of 8-byte ids */

/* Room for the accounts and edges the tables' sizes promise, mapped in by a thread of its own
 * while the walks begin (populate.h): zeroing the pages was a fifth of the visits. NULL when
 * there is nothing to wait for. */
static struct populate *reserve_tables(struct store *s, struct verify_arg *va)
{
	struct populate_range r[2];
	u_int32_t pagesize;
	uint64_t na = table_bytes(s, T_ACCOUNTS, &pagesize) / RECORD_BYTES_LEAST;
	uint64_t ne = table_bytes(s, T_EDGES, &pagesize) / RECORD_BYTES_LEAST;
	if (na > UINT32_MAX || ne > UINT32_MAX ||
	    tables_reserve(&va->a, (size_t)na, &va->e, (size_t)ne, r) != 0)
		return NULL; /* they grow as they fill */
	return populate_start(r, 2);
}

/* Every table, in an order where each check has what it needs: the accounts, then the edges
 * (by account), then the indexes (against both). */
static int verify_walks(struct store *s, DB_TXN *txn, struct walker *w, struct verify_arg *va)
{
	int ret, t;
	for (t = 0; t < T_COUNT; t++) {
		va->tw[t].va = va;
		va->tw[t].table = t;
		va->tw[t].owner = -1;
	}
	if ((ret = walk_async(w, s, txn, T_ACCOUNTS, visit_account, NULL, va)) != 0 ||
	    (ret = walker_call(w, index_accounts, va)) != 0 ||
	    (ret = walk_async(w, s, txn, T_EDGES, visit_edge, peek_edge, va)) != 0 ||
	    (ret = walker_call(w, index_edges, va)) != 0)
		return ret;
	for (t = T_FOLLOWING; t <= T_MUTUAL; t++)
		if ((ret = walk_async(w, s, txn, t, visit_index, peek_index, &va->tw[t])) != 0)
			return ret;
	if ((ret = walker_call(w, check_all, va)) != 0 ||
	    (ret = walk_async(w, s, txn, T_PROFILES, visit_profile, NULL, va)) != 0)
		return ret;
	for (t = T_OUTBOX; t <= T_DEAD; t++)
		if ((ret = walk_async(w, s, txn, t, visit_event, NULL, &va->tw[t])) != 0)
			return ret;
	return 0;
}

static int verify_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct verify_arg *va = argp;
	struct admin_verify *v = va->v;
	struct walker *w;
	struct populate *pop;
	int ret, t_ret;

	/* A retry starts over. */
	admin_verify_free(v);
	memset(v, 0, sizeof(*v));
	accts_free(&va->a);
	vedges_free(&va->e);
	if ((ret = txn->set_priority(txn, ADMIN_PRIORITY)) != 0)
		return ret;
	pop = reserve_tables(s, va);
	w = walker_start();
	ret = verify_walks(s, txn, w, va);
	t_ret = walker_end(w); /* before anything returns: the visits use va */
	populate_join(pop);    /* and before the tables are freed */
	return ret != 0 ? ret : t_ret;
}

int admin_verify(struct store *s, struct admin_verify *v, char *err, size_t errlen)
{
	struct verify_arg va;
	int ret;
	memset(v, 0, sizeof(*v));
	memset(&va, 0, sizeof(va));
	va.v = v;
	ret = run_read(s, verify_body, &va, &va.degree3);
	v->snapshot = va.degree3;
	accts_free(&va.a);
	vedges_free(&va.e);
	return ret == 0 ? 0 : err_of(ret, "verify", err, errlen);
}

