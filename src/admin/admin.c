/* store_admin.c - whole-store work for followctl: verify, stats, export, import, hot backup and
 * restore. The records are those documented at the top of store.c, store_profile.c and
 * store_outbox.c; store.c's edge key, index entry and account helpers are shared through store_int.h. */
#include "admin/admin.h"

#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "store/store_int.h"

#define TXN_NOMEM (-50)      /* a body's verdict: this process ran out of memory */
#define ADMIN_PRIORITY 1000u /* above the service's default 100: a deadlock aborts the other */

/* ---- encodings (as in store.c) ---- */

static uint32_t idx_time(const unsigned char *p)
{
	return ~((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

/* 1 when rec is not exactly an outbox record as the store writes it. */
static int event_bad(const void *rec, size_t size)
{
	struct store_event ev;
	return event_decode(rec, size, &ev) != 0;
}

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

/* ---- accounts in memory: an id table for a whole-store walk ---- */

enum { C_FOLLOWING, C_FOLLOWERS, C_MUTUAL };

struct acct {
	char id[STORE_ID_MAX + 1];
	unsigned char len;
	unsigned char present; /* in the accounts table (else only named by an edge or entry) */
	unsigned char dirty;   /* import: counters to write back */
	uint32_t stored[3];    /* the counters in the accounts record */
	uint32_t counted[3];   /* entries found under it in following, fans, mutual */
};

struct accts {
	struct acct *v;
	size_t n, cap;
	uint32_t *slot; /* index + 1; 0 = free */
	size_t nslot;   /* a power of two */
};

static size_t hash_id(const char *id, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)id[i]) * 16777619u;
	return h;
}

static void accts_free(struct accts *a)
{
	free(a->v);
	free(a->slot);
	memset(a, 0, sizeof(*a));
}

static int accts_rehash(struct accts *a, size_t nslot)
{
	uint32_t *slot = calloc(nslot, sizeof(*slot));
	size_t i, h;
	if (!slot)
		return -1;
	for (i = 0; i < a->n; i++) {
		for (h = hash_id(a->v[i].id, a->v[i].len) & (nslot - 1); slot[h];
		     h = (h + 1) & (nslot - 1))
			;
		slot[h] = (uint32_t)i + 1;
	}
	free(a->slot);
	a->slot = slot;
	a->nslot = nslot;
	return 0;
}

/* The index of id (len bytes, a valid id), or -1 when it is not in the table. */
static long accts_find(const struct accts *a, const void *id, size_t len)
{
	size_t h;
	if (!a->nslot)
		return -1;
	for (h = hash_id(id, len) & (a->nslot - 1); a->slot[h]; h = (h + 1) & (a->nslot - 1)) {
		const struct acct *x = &a->v[a->slot[h] - 1];
		if (x->len == len && memcmp(x->id, id, len) == 0)
			return (long)a->slot[h] - 1;
	}
	return -1;
}

/* Adds id, which is not in the table yet (present = 0); its index or -1 when out of memory. */
static long accts_add(struct accts *a, const void *id, size_t len)
{
	struct acct *x;
	size_t h;
	if ((a->n + 1) * 2 > a->nslot && accts_rehash(a, a->nslot ? a->nslot * 2 : 1024) != 0)
		return -1;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 512;
		struct acct *v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	x = &a->v[a->n];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, id, len);
	x->len = (unsigned char)len;
	for (h = hash_id(id, len) & (a->nslot - 1); a->slot[h]; h = (h + 1) & (a->nslot - 1))
		;
	a->slot[h] = (uint32_t)a->n + 1;
	return (long)a->n++;
}

static long accts_intern(struct accts *a, const void *id, size_t len)
{
	long i = accts_find(a, id, len);
	return i >= 0 ? i : accts_add(a, id, len);
}

/* ---- edges in memory ---- */

enum { F_FOLLOWING = 1, F_FAN = 2, F_MUTUAL = 4 };

struct vedge {
	uint32_t from, to, time; /* account indexes */
	uint32_t seen;           /* F_*: its entries found */
};

struct vedges {
	struct vedge *v;
	size_t n, cap;
};

static int vedges_push(struct vedges *e, uint32_t from, uint32_t to, uint32_t time)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 4096;
		struct vedge *v = realloc(e->v, cap * sizeof(*v));
		if (!v)
			return -1;
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n].from = from;
	e->v[e->n].to = to;
	e->v[e->n].time = time;
	e->v[e->n].seen = 0;
	e->n++;
	return 0;
}

static void vedges_free(struct vedges *e)
{
	free(e->v);
	memset(e, 0, sizeof(*e));
}

static int vedge_cmp(const void *a, const void *b)
{
	const struct vedge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

/* The edge from -> to of a sorted list, or NULL. */
static struct vedge *vedges_find(const struct vedges *e, uint32_t from, uint32_t to)
{
	struct vedge k = {from, to, 0, 0};
	return e->n ? bsearch(&k, e->v, e->n, sizeof(k), vedge_cmp) : NULL;
}

/* ---- walking a table ---- */

typedef int (*visit_fn)(void *arg, const DBT *key, const DBT *val);

/* Calls fn on every record (every duplicate) of table, in the table's order. */
static int walk(struct store *s, DB_TXN *txn, int table, visit_fn fn, void *arg)
{
	DBT key, val;
	DBC *c;
	int ret, t_ret;
	if ((ret = s->db[table]->cursor(s->db[table], txn, &c, 0)) != 0)
		return ret;
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

/* 1 when a read lock on every page of the store would take at most half of the environment's
 * lock table (shared with the service, whose transactions need locks meanwhile). */
static int lockable(struct store *s)
{
	u_int32_t max_locks = 0, max_objects = 0, pagesize;
	uint64_t pages = 0;
	const char *file, *name;
	char path[PATH_MAX];
	struct stat sb;
	int i;
	if (s->env->get_lk_max_locks(s->env, &max_locks) != 0 ||
	    s->env->get_lk_max_objects(s->env, &max_objects) != 0)
		return 0;
	for (i = 0; i < T_COUNT; i++) {
		if (s->db[i]->get_dbname(s->db[i], &file, &name) != 0 ||
		    s->db[i]->get_pagesize(s->db[i], &pagesize) != 0 || !pagesize ||
		    snprintf(path, sizeof(path), "%s/%s", s->dir, file) >= (int)sizeof(path) ||
		    stat(path, &sb) != 0)
			return 0;
		pages += (uint64_t)sb.st_size / pagesize + 1;
	}
	return pages <= (max_locks < max_objects ? max_locks : max_objects) / 2;
}

/* Runs a whole-store read in one transaction at degree 3: its read locks make it a consistent
 * snapshot (writers wait for it). A store too large for that is read at read committed. */
static int run_read(struct store *s, txn_body body, void *arg, int *degree3)
{
	int ret = ENOMEM;
	/* (No environment: a recovery elsewhere closed it; run_txn reopens it.) */
	if ((*degree3 = !s->env || lockable(s)))
		ret = run_txn(s, body, arg, 0);
	if (ret == ENOMEM) { /* too large, or the lock table ran out after all */
		LOG("the store is too large to read under read locks: reading it at read committed, "
		    "so writes racing the walk may show as transient differences");
		*degree3 = 0;
		ret = run_txn(s, body, arg, 1);
	}
	return ret;
}

static int err_of(int ret, const char *what, char *err, size_t errlen)
{
	if (ret == TXN_NOMEM)
		snprintf(err, errlen, "%s: out of memory", what);
	else
		snprintf(err, errlen, "%s: %s", what, db_strerror(ret));
	return -1;
}

/* ---- verify ---- */

struct verify_arg {
	struct admin_verify *v;
	struct accts a;
	struct vedges e;
	int table; /* the index being walked */
	int degree3;
};

static int visit_account(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	const unsigned char *p = val->data;
	char b1[ESC_BUF];
	struct acct *x;
	long i;
	va->v->accounts++;
	if (!id_valid(key->data, key->size)) {
		problem(va->v, P_BAD_ACCOUNT, "accounts record '%s': the key is not an account id",
			esc(b1, key->data, key->size));
		return 0;
	}
	if (val->size != 12) {
		problem(va->v, P_BAD_ACCOUNT, "account %s: its record holds %u bytes, not 12",
			esc(b1, key->data, key->size), (unsigned)val->size);
		return 0;
	}
	if ((i = accts_add(&va->a, key->data, key->size)) < 0)
		return TXN_NOMEM;
	x = &va->a.v[i];
	x->present = 1;
	x->stored[C_FOLLOWING] = get_le32(p);
	x->stored[C_FOLLOWERS] = get_le32(p + 4);
	x->stored[C_MUTUAL] = get_le32(p + 8);
	return 0;
}

static int visit_edge(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	const char *k = key->data, *nul = memchr(k, '\0', key->size);
	size_t flen, tlen;
	char b1[ESC_BUF], b2[ESC_BUF];
	long fi, ti;
	uint32_t time;

	va->v->edges++;
	flen = nul ? (size_t)(nul - k) : 0;
	tlen = nul ? key->size - flen - 1 : 0;
	if (!nul || !id_valid(k, flen) || !id_valid(nul + 1, tlen) ||
	    (flen == tlen && memcmp(k, nul + 1, flen) == 0)) {
		problem(va->v, P_BAD_EDGE, "edges record '%s': the key is not from NUL to",
			esc(b1, k, key->size));
		return 0;
	}
	if (val->size != 4 || (time = get_le32(val->data)) == 0) {
		problem(va->v, P_BAD_EDGE, "edge %s -> %s: the value is not a FollowTime",
			esc(b1, k, flen), esc(b2, nul + 1, tlen));
		return 0;
	}
	if ((fi = accts_intern(&va->a, k, flen)) < 0 || (ti = accts_intern(&va->a, nul + 1, tlen)) < 0)
		return TXN_NOMEM;
	if (!va->a.v[fi].present || !va->a.v[ti].present)
		problem(va->v, P_MISSING_ACCOUNT, "edge %s -> %s: %s is not in the accounts table",
			va->a.v[fi].id, va->a.v[ti].id,
			va->a.v[va->a.v[fi].present ? ti : fi].id);
	return vedges_push(&va->e, (uint32_t)fi, (uint32_t)ti, time) ? TXN_NOMEM : 0;
}

static int visit_index(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	const unsigned char *p = val->data;
	static const char *const names[] = {"following", "fan", "mutual"};
	int which = va->table == T_FOLLOWING ? C_FOLLOWING : va->table == T_FANS ? C_FOLLOWERS
										  : C_MUTUAL;
	const char *name = names[which];
	char b1[ESC_BUF], b2[ESC_BUF];
	struct vedge *e = NULL, *r = NULL;
	uint32_t time, want = 0, flag;
	const char *oid, *xid;
	long oi, xi;

	if (which == C_FOLLOWING)
		va->v->following++;
	else if (which == C_FOLLOWERS)
		va->v->fans++;
	else
		va->v->mutual++;
	if (!id_valid(key->data, key->size) || val->size < 5 || val->size > IDX_MAX ||
	    !id_valid((const char *)p + 4, val->size - 4)) {
		problem(va->v, P_BAD_INDEX, "%s index of '%s': entry '%s' does not decode", name,
			esc(b1, key->data, key->size), esc(b2, p, val->size));
		return 0;
	}
	time = idx_time(p);
	if ((oi = accts_intern(&va->a, key->data, key->size)) < 0 ||
	    (xi = accts_intern(&va->a, p + 4, val->size - 4)) < 0)
		return TXN_NOMEM;
	oid = va->a.v[oi].id;
	xid = va->a.v[xi].id;
	if (!va->a.v[oi].present)
		problem(va->v, P_MISSING_ACCOUNT, "%s index of %s: %s is not in the accounts table",
			name, oid, oid);
	else
		va->a.v[oi].counted[which]++;
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
	static const char *const counter[] = {"following", "followers", "mutual"};
	static const char *const list[] = {"following", "fan", "mutual"};
	size_t i;
	int c;
	for (i = 0; i < va->a.n; i++) {
		const struct acct *x = &va->a.v[i];
		if (!x->present)
			continue;
		for (c = 0; c < 3; c++)
			if (x->stored[c] != x->counted[c])
				problem(va->v, P_COUNTER,
					"account %s: %s counter is %u but its %s list holds %u",
					x->id, counter[c], x->stored[c], list[c], x->counted[c]);
	}
}

static int visit_profile(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	struct store_profile p;
	char b1[ESC_BUF];
	long i;
	va->v->profiles++;
	if (!id_valid(key->data, key->size) || profile_decode(val->data, val->size, &p) != 0) {
		problem(va->v, P_BAD_PROFILE, "profile of '%s' does not decode",
			esc(b1, key->data, key->size));
		return 0;
	}
	if ((i = accts_find(&va->a, key->data, key->size)) < 0 || !va->a.v[i].present)
		problem(va->v, P_ORPHAN_PROFILE, "profile of %s, which is not in the accounts table",
			esc(b1, key->data, key->size));
	return 0;
}

static int visit_outbox(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	db_recno_t id = 0;
	va->v->outbox++;
	if (key->size == sizeof(id))
		memcpy(&id, key->data, sizeof(id));
	if (key->size != sizeof(id) || event_bad(val->data, val->size))
		problem(va->v, P_BAD_OUTBOX, "outbox record %u does not decode", id);
	return 0;
}

static int visit_dead(void *argp, const DBT *key, const DBT *val)
{
	struct verify_arg *va = argp;
	db_recno_t id = 0;
	va->v->dead++;
	if (key->size == sizeof(id))
		memcpy(&id, key->data, sizeof(id));
	if (key->size != sizeof(id) || event_bad(val->data, val->size))
		problem(va->v, P_BAD_DEAD, "dead-letter record %u does not decode", id);
	return 0;
}

static int verify_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct verify_arg *va = argp;
	struct admin_verify *v = va->v;
	int ret;

	/* A retry starts over. */
	admin_verify_free(v);
	memset(v, 0, sizeof(*v));
	accts_free(&va->a);
	vedges_free(&va->e);
	if ((ret = txn->set_priority(txn, ADMIN_PRIORITY)) != 0 ||
	    (ret = walk(s, txn, T_ACCOUNTS, visit_account, va)) != 0 ||
	    (ret = walk(s, txn, T_EDGES, visit_edge, va)) != 0)
		return ret;
	if (va->e.n)
		qsort(va->e.v, va->e.n, sizeof(*va->e.v), vedge_cmp);
	for (va->table = T_FOLLOWING; va->table <= T_MUTUAL; va->table++)
		if ((ret = walk(s, txn, va->table, visit_index, va)) != 0)
			return ret;
	check_edges(va);
	check_counters(va);
	if ((ret = walk(s, txn, T_PROFILES, visit_profile, va)) != 0 ||
	    (ret = walk(s, txn, T_OUTBOX, visit_outbox, va)) != 0 ||
	    (ret = walk(s, txn, T_DEAD, visit_dead, va)) != 0)
		return ret;
	return 0;
}

int store_admin_verify(struct store *s, struct admin_verify *v, char *err, size_t errlen)
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

/* ---- stats ---- */

struct stats_arg {
	struct admin_stats *st;
};

static int hash_counts(DB *db, DB_TXN *txn, size_t *keys, size_t *data)
{
	DB_HASH_STAT *sp = NULL;
	int ret = db->stat(db, txn, &sp, 0);
	if (ret != 0)
		return ret;
	*keys = sp->hash_nkeys;
	*data = sp->hash_ndata;
	free(sp);
	return 0;
}

static int stats_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct admin_stats *st = ((struct stats_arg *)argp)->st;
	size_t junk, mutual;
	DBT key, val;
	DBC *c;
	int ret, t_ret;

	st->top_id[0] = '\0';
	st->top_fans = 0;
	if ((ret = hash_counts(s->db[T_ACCOUNTS], txn, &st->accounts, &junk)) != 0 ||
	    (ret = hash_counts(s->db[T_EDGES], txn, &st->edges, &junk)) != 0 ||
	    (ret = hash_counts(s->db[T_MUTUAL], txn, &junk, &mutual)) != 0)
		return ret;
	st->mutual_pairs = mutual / 2;
	/* The longest fan list: one step per account, counting its duplicates. */
	if ((ret = s->db[T_FANS]->cursor(s->db[T_FANS], txn, &c, 0)) != 0)
		return ret;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.flags = DB_DBT_REALLOC;
	val.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM; /* the entries themselves are not needed */
	while ((ret = c->get(c, &key, &val, DB_NEXT_NODUP)) == 0) {
		db_recno_t n = 0;
		if ((ret = c->count(c, &n, 0)) != 0)
			break;
		if (n > st->top_fans && key.size <= STORE_ID_MAX) {
			st->top_fans = n;
			memcpy(st->top_id, key.data, key.size);
			st->top_id[key.size] = '\0';
		}
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	free(key.data);
	return ret;
}

static int disk_usage(const char *dir, struct admin_stats *st)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat sb;
	DIR *dp = opendir(dir);
	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		uint64_t size;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path) ||
		    lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		size = (uint64_t)sb.st_size;
		if (strncmp(d->d_name, "log.", 4) == 0)
			st->disk_log += size;
		else if (strncmp(d->d_name, "__db", 4) == 0)
			st->disk_region += size;
		else if (strlen(d->d_name) > 3 && strcmp(d->d_name + strlen(d->d_name) - 3, ".db") == 0)
			st->disk_db += size;
		else
			st->disk_other += size;
	}
	closedir(dp);
	return 0;
}

int store_admin_stats(struct store *s, struct admin_stats *st, char *err, size_t errlen)
{
	struct stats_arg arg = {st};
	int ret;
	memset(st, 0, sizeof(*st));
	if ((ret = run_txn(s, stats_body, &arg, 1)) != 0)
		return err_of(ret, "stats", err, errlen);
	if (store_outbox_counts(s, &st->outbox_pending, &st->outbox_dead) != STORE_OK) {
		snprintf(err, errlen, "stats: cannot count the webhook outbox");
		return -1;
	}
	if (disk_usage(s->dir, st) != 0) {
		snprintf(err, errlen, "stats: cannot list %s: %s", s->dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- export ---- */

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
	if ((i = accts_add(&xa->a, key->data, key->size)) < 0)
		return TXN_NOMEM;
	xa->a.v[i].present = 1;
	return 0;
}

static int export_profile(void *argp, const DBT *key, const DBT *val)
{
	struct export_arg *xa = argp;
	long i = accts_find(&xa->a, key->data, key->size);
	if (i < 0)
		return 0; /* a profile without its account */
	if (xa->np == xa->pcap) {
		size_t cap = xa->pcap ? xa->pcap * 2 : 256;
		struct prof_ref *p = realloc(xa->p, cap * sizeof(*p));
		if (!p)
			return TXN_NOMEM;
		xa->p = p;
		xa->pcap = cap;
	}
	if (xa->alen + val->size > xa->acap) {
		size_t cap = xa->acap ? xa->acap : 65536;
		unsigned char *b;
		while (cap < xa->alen + val->size)
			cap *= 2;
		if (!(b = realloc(xa->arena, cap)))
			return TXN_NOMEM;
		xa->arena = b;
		xa->acap = cap;
	}
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
	const char *k = key->data, *nul = memchr(k, '\0', key->size);
	long fi, ti;
	if (!nul || val->size != 4) {
		xa->skipped++;
		return 0;
	}
	fi = accts_find(&xa->a, k, (size_t)(nul - k));
	ti = accts_find(&xa->a, nul + 1, key->size - (size_t)(nul - k) - 1);
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
	    (ret = walk(s, txn, T_ACCOUNTS, export_account, xa)) != 0 ||
	    (ret = walk(s, txn, T_PROFILES, export_profile, xa)) != 0)
		return ret;
	return walk(s, txn, T_EDGES, export_edge, xa);
}

static const struct acct *sort_accts; /* qsort has no context argument */

static int rank_cmp(const void *a, const void *b)
{
	const struct acct *x = &sort_accts[*(const uint32_t *)a], *y = &sort_accts[*(const uint32_t *)b];
	return strcmp(x->id, y->id);
}

int store_admin_export(struct store *s, struct admin_export *x, char *err, size_t errlen)
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
		long pi = prof[order[i]];
		memset(&p, 0, sizeof(p));
		if (pi >= 0 && profile_decode(xa.arena + xa.p[pi].off, xa.p[pi].len, &p) != 0)
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

/* ---- import ---- */

#define EDGES_PER_TXN 10000
#define IMPORT_CKP_KB (256 * 1024) /* log written between an import's checkpoints */
#define MAX_TRIES 40

/*
 * Runs an import transaction, retrying deadlocks as run_txn (store.c) does, but checkpoints
 * only after IMPORT_CKP_KB of log, not after every commit: a checkpoint writes the whole dirty
 * cache and syncs every file, which after each 10,000 edges costs more than the edges (the
 * service's own commits, if it runs, still checkpoint as usual). An environment that another
 * process recovered meanwhile is an error here: run_txn reopens it, which only store.c can do;
 * the import is then simply run again (it merges).
 */
static int import_txn(struct store *s, txn_body body, void *arg)
{
	unsigned seed = (unsigned)getpid();
	int attempt, ret = 0, t_ret;
	for (attempt = 0; attempt < MAX_TRIES; attempt++) {
		DB_TXN *txn = NULL;
		if ((ret = s->env->txn_begin(s->env, NULL, &txn, 0)) == 0) {
			if ((ret = body(s, txn, arg)) == 0)
				ret = txn->commit(txn, 0);
			else if ((t_ret = txn->abort(txn)) != 0 && TXN_VERDICT(ret))
				ret = t_ret;
		}
		if (ret == 0) {
			if ((ret = s->env->txn_checkpoint(s->env, IMPORT_CKP_KB, 0, 0)) != 0)
				LOG("checkpoint: %s", db_strerror(ret)); /* the commit stands */
			return 0;
		}
		if (TXN_VERDICT(ret))
			return ret;
		if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED) {
			LOG("import transaction failed: %s", db_strerror(ret));
			return ret;
		}
		usleep(1000 + (unsigned)(rand_r(&seed) % (2000u << (attempt < 6 ? attempt : 6))));
	}
	LOG("import transaction gave up after %d tries: %s", MAX_TRIES, db_strerror(ret));
	return ret;
}

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
	arg->a.v[*idx].stored[C_FOLLOWING] = a.following;
	arg->a.v[*idx].stored[C_FOLLOWERS] = a.followers;
	arg->a.v[*idx].stored[C_MUTUAL] = a.mutual;
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
	char kbuf[EDGE_KEY_MAX];
	unsigned char vbuf[4];
	DBT key, val;
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
		dbt_init(&key, kbuf, edge_key(kbuf, e->from, e->to));
		put_le32(vbuf, e->time);
		dbt_init(&val, vbuf, 4);
		if ((ret = s->db[T_EDGES]->put(s->db[T_EDGES], txn, &key, &val, 0)) != 0 ||
		    (ret = idx_add(s, txn, T_FOLLOWING, e->from, e->time, e->to)) != 0 ||
		    (ret = idx_add(s, txn, T_FANS, e->to, e->time, e->from)) != 0)
			return ret;
		f = &arg->a.v[fi];
		t = &arg->a.v[ti];
		f->stored[C_FOLLOWING]++;
		t->stored[C_FOLLOWERS]++;
		f->dirty = t->dirty = 1;
		if (back) {
			uint32_t since = back > e->time ? back : e->time;
			if ((ret = idx_add(s, txn, T_MUTUAL, e->from, since, e->to)) != 0 ||
			    (ret = idx_add(s, txn, T_MUTUAL, e->to, since, e->from)) != 0)
				return ret;
			f->stored[C_MUTUAL]++;
			t->stored[C_MUTUAL]++;
		}
		arg->added++;
	}
	for (i = 0; i < arg->a.n; i++) {
		const struct acct *x = &arg->a.v[i];
		struct account a = {x->stored[C_FOLLOWING], x->stored[C_FOLLOWERS],
				    x->stored[C_MUTUAL]};
		if (x->dirty && (ret = account_put(s, txn, x->id, &a)) != 0)
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

enum store_status store_admin_add_edges(struct store *s, const struct admin_edge *e, size_t n,
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
		if ((ret = import_txn(s, add_edges_body, &arg)) == 0) {
			*added += arg.added;
			*done = arg.hi;
		}
	}
	accts_free(&arg.a);
	free(order);
	*bad = arg.bad;
	if (ret == TXN_NOMEM)
		LOG("import: out of memory");
	return status_of(ret);
}

enum store_status store_admin_flush(struct store *s)
{
	int ret = s->env->log_flush(s->env, NULL);
	if (ret != 0)
		LOG("log flush: %s", db_strerror(ret));
	return ret == 0 ? STORE_OK : STORE_FAIL;
}

/* ---- backup and restore ---- */

/* The number of a log file's name ("log.0000000012" -> 12), 0 when it is not one. */
static unsigned long log_number(const char *name)
{
	char *end;
	unsigned long n;
	if (strncmp(name, "log.", 4) != 0 || strlen(name) != 14)
		return 0;
	n = strtoul(name + 4, &end, 10);
	return *end ? 0 : n;
}

static int is_db_file(const char *name)
{
	size_t len = strlen(name);
	return len > 3 && strcmp(name + len - 3, ".db") == 0 && strncmp(name, "__db", 4) != 0;
}

/* The range of log files in dir; *count of them. 0, or -1 with errno. */
static int log_range(const char *dir, unsigned long *lo, unsigned long *hi, unsigned long *count)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	*lo = *hi = *count = 0;
	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		unsigned long n = log_number(d->d_name);
		if (!n)
			continue;
		if (!*count || n < *lo)
			*lo = n;
		if (!*count || n > *hi)
			*hi = n;
		(*count)++;
	}
	closedir(dp);
	return 0;
}

/* Opens a private environment in dir with catastrophic recovery, so that its databases hold
 * exactly what the committed transactions of its logs wrote; then drops the log files that
 * recovery no longer needs. */
static int recover_fatal(const char *dir, char *err, size_t errlen)
{
	DB_ENV *env;
	int ret, t_ret;
	if ((ret = db_env_create(&env, 0)) != 0) {
		snprintf(err, errlen, "recovery of %s: %s", dir, db_strerror(ret));
		return -1;
	}
	if ((ret = env_configure(env)) == 0 &&
	    (ret = env->open(env, dir, DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL |
					   DB_INIT_TXN | DB_RECOVER_FATAL | DB_PRIVATE,
			     0600)) == 0 &&
	    (ret = env->txn_checkpoint(env, 0, 0, DB_FORCE)) == 0)
		ret = env->log_archive(env, NULL, DB_ARCH_REMOVE);
	if ((t_ret = env->close(env, 0)) != 0 && ret == 0)
		ret = t_ret;
	if (ret != 0) {
		snprintf(err, errlen, "catastrophic recovery of %s: %s", dir, db_strerror(ret));
		return -1;
	}
	return 0;
}

/* 1 when dir is missing or empty, 0 when it holds something, -1 on error. */
static int dir_empty(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int empty = 1;
	if (!dp)
		return errno == ENOENT ? 1 : -1;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			empty = 0;
	closedir(dp);
	return empty;
}

int store_admin_backup(struct store *s, const char *target, char *err, size_t errlen)
{
	DB_ENV *env = s->env;
	char **list = NULL, **p;
	unsigned long first = 0, lo, hi, count;
	int ret, t_ret, autoremove = 0;

	switch (dir_empty(target)) {
	case 1:
		break;
	case 0:
		snprintf(err, errlen, "%s is not empty; back up into a new folder", target);
		return -1;
	default:
		snprintf(err, errlen, "%s: %s", target, strerror(errno));
		return -1;
	}
	if (mkdir(target, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", target, strerror(errno));
		return -1;
	}
	if (!env) {
		snprintf(err, errlen, "backup: the environment is not open");
		return -1;
	}
	/* A checkpoint first: fewer log files to copy and to replay. */
	if ((ret = env->txn_checkpoint(env, 0, 0, DB_FORCE)) != 0)
		return err_of(ret, "backup: checkpoint", err, errlen);
	/* Log files must not disappear between the copy of the databases and that of the logs.
	 * Automatic removal is a setting of the shared environment: off for every process until
	 * the copy is done. (A service process that opens the environment meanwhile turns it on
	 * again; the check below then notices a missing log file.) */
	if ((ret = env->log_get_config(env, DB_LOG_AUTO_REMOVE, &autoremove)) != 0 ||
	    (ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 0)) != 0)
		return err_of(ret, "backup: log settings", err, errlen);
	if ((ret = env->log_archive(env, &list, DB_ARCH_LOG)) == 0) {
		for (p = list; p && *p; p++) {
			unsigned long n = log_number(*p);
			if (n && (!first || n < first))
				first = n;
		}
		free(list);
		ret = env->backup(env, target, 0);
	}
	if (autoremove && (t_ret = env->log_set_config(env, DB_LOG_AUTO_REMOVE, 1)) != 0 && ret == 0)
		ret = t_ret;
	if (ret != 0)
		return err_of(ret, "backup", err, errlen);
	if (log_range(target, &lo, &hi, &count) != 0) {
		snprintf(err, errlen, "backup: cannot list %s: %s", target, strerror(errno));
		return -1;
	}
	if (!count || (first && lo > first) || hi - lo + 1 != count) {
		snprintf(err, errlen, "backup: log files were removed while they were copied (a "
				      "service process opened the environment); run the backup again");
		return -1;
	}
	return recover_fatal(target, err, errlen);
}

/* Copies file name from one folder to another (which must not have it), synced to disk. */
static int copy_file(const char *from_dir, const char *to_dir, const char *name, char *err,
		     size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX];
	char *buf = malloc(1 << 20);
	int in = -1, out = -1, ok = 0;
	ssize_t n;
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (snprintf(from, sizeof(from), "%s/%s", from_dir, name) >= (int)sizeof(from) ||
	    snprintf(to, sizeof(to), "%s/%s", to_dir, name) >= (int)sizeof(to)) {
		snprintf(err, errlen, "%s/%s: path too long", to_dir, name);
		free(buf);
		return -1;
	}
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto done;
	while ((n = read(in, buf, 1 << 20)) > 0) {
		char *q = buf;
		while (n > 0) {
			ssize_t w = write(out, q, (size_t)n);
			if (w < 0)
				goto done;
			q += w;
			n -= w;
		}
	}
	ok = n == 0 && fsync(out) == 0;
done:
	if (!ok)
		snprintf(err, errlen, "cannot copy %s to %s: %s", from, to, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && ok) {
		snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
		ok = 0;
	}
	free(buf);
	return ok ? 0 : -1;
}

/* What restore moves: the databases and the log files (not regions, not other files). */
static int env_file(const char *name)
{
	return is_db_file(name) || log_number(name) != 0;
}

/* Removes the files of dir that drop() names; the folder itself stays. */
static int clear_dir(const char *dir, int (*drop)(const char *name), char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dp = opendir(dir);
	if (!dp) {
		snprintf(err, errlen, "cannot list %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((d = readdir(dp))) {
		if (!drop(d->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			errno = ENAMETOOLONG;
		else if (unlink(path) == 0)
			continue;
		snprintf(err, errlen, "cannot remove %s/%s: %s", dir, d->d_name, strerror(errno));
		closedir(dp);
		return -1;
	}
	closedir(dp);
	return 0;
}

static int any_file(const char *name)
{
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* The old environment's files: databases, logs, and region files (but not the registry). */
static int old_env_file(const char *name)
{
	return env_file(name) || (strncmp(name, "__db.", 5) == 0 && strcmp(name, "__db.register"));
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

/*
 * A process with the environment open holds an fcntl lock on its slot of __db.register (the
 * DB_REGISTER registry every store_open joins; the kernel drops the lock when the process
 * dies, however it dies). A write lock on the whole file is granted only when no process
 * holds one: that is the test, and holding it for the whole restore makes a service started
 * meanwhile wait in its open until the restore is done. Returns the file, or -1 with err.
 */
static int lock_registry(const char *data_dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct flock fl;
	int fd;
	snprintf(path, sizeof(path), "%s/__db.register", data_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return fd;
	if (errno == EACCES || errno == EAGAIN) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
			snprintf(err, errlen, "%s is in use (process %ld has the environment open); "
				 "stop the service and any other followctl first", data_dir,
				 (long)fl.l_pid);
		else
			snprintf(err, errlen, "%s is in use; stop the service and any other "
				 "followctl first", data_dir);
	} else {
		snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
	}
	close(fd);
	return -1;
}

int store_admin_restore(const char *source, const char *data_dir, char *err, size_t errlen)
{
	char stage[PATH_MAX], path[PATH_MAX], to[PATH_MAX];
	unsigned long lo, hi, count;
	struct dirent *d;
	struct stat sb;
	DIR *dp = NULL;
	int lock = -1, ret = -1;

	/* Is it a backup? */
	snprintf(path, sizeof(path), "%s/accounts.db", source);
	if (stat(path, &sb) != 0 || log_range(source, &lo, &hi, &count) != 0 || !count) {
		snprintf(err, errlen, "%s is not a followctl backup (no accounts.db and log files)",
			 source);
		return -1;
	}
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	if ((lock = lock_registry(data_dir, err, errlen)) < 0)
		return -1;
	/* Recover a copy beside the old environment; only a good copy replaces it. */
	if (snprintf(stage, sizeof(stage), "%s/restore.tmp", data_dir) >= (int)sizeof(stage)) {
		snprintf(err, errlen, "%s: path too long", data_dir);
		goto out;
	}
	if (mkdir(stage, 0700) != 0) {
		if (errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", stage, strerror(errno));
			goto out;
		}
		if (clear_dir(stage, any_file, err, errlen) != 0) /* left by a failed restore */
			goto out;
	}
	if (!(dp = opendir(source))) {
		snprintf(err, errlen, "cannot list %s: %s", source, strerror(errno));
		goto out;
	}
	while ((d = readdir(dp)))
		if (env_file(d->d_name) && copy_file(source, stage, d->d_name, err, errlen) != 0)
			goto out;
	closedir(dp);
	dp = NULL;
	if (recover_fatal(stage, err, errlen) != 0)
		goto out;
	/* Swap: the old environment out, the recovered copy in. */
	if (clear_dir(data_dir, old_env_file, err, errlen) != 0)
		goto out;
	if (!(dp = opendir(stage))) {
		snprintf(err, errlen, "cannot list %s: %s", stage, strerror(errno));
		goto out;
	}
	while ((d = readdir(dp))) {
		if (!any_file(d->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", stage, d->d_name) >= (int)sizeof(path) ||
		    snprintf(to, sizeof(to), "%s/%s", data_dir, d->d_name) >= (int)sizeof(to))
			errno = ENAMETOOLONG;
		else if (rename(path, to) == 0)
			continue;
		snprintf(err, errlen, "cannot move %s/%s into %s: %s", stage, d->d_name, data_dir,
			 strerror(errno));
		goto out;
	}
	closedir(dp);
	dp = NULL;
	if (rmdir(stage) != 0 || sync_dir(data_dir) != 0) {
		snprintf(err, errlen, "cannot finish %s: %s", data_dir, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (dp)
		closedir(dp);
	close(lock); /* drops the lock */
	return ret;
}

/* ---- deliberate damage, for tests ---- */

struct corrupt_arg {
	const char *id, *other;
	uint32_t was;
};

static int corrupt_counter_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct corrupt_arg *arg = argp;
	struct account a;
	int ret, found;
	if ((ret = account_get(s, txn, arg->id, &a, &found, 1)) != 0)
		return ret;
	if (!found)
		return TXN_ROLLBACK;
	arg->was = a.following;
	a.following++;
	return account_put(s, txn, arg->id, &a);
}

enum store_status store_admin_corrupt_counter(struct store *s, const char *id, uint32_t *was)
{
	struct corrupt_arg arg = {id, NULL, 0};
	int ret = run_txn(s, corrupt_counter_body, &arg, 0);
	*was = arg.was;
	return status_of(ret);
}

static int drop_fan_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct corrupt_arg *arg = argp;
	unsigned char buf[IDX_MAX];
	uint32_t time;
	DBT key, val;
	DBC *c;
	int ret, t_ret;
	if ((ret = edge_get(s, txn, arg->id, arg->other, &time, 0)) != 0)
		return ret;
	if (!time)
		return TXN_ROLLBACK;
	if ((ret = s->db[T_FANS]->cursor(s->db[T_FANS], txn, &c, 0)) != 0)
		return ret;
	dbt_init(&key, arg->other, strlen(arg->other));
	dbt_init(&val, buf, idx_encode(buf, time, arg->id));
	ret = c->get(c, &key, &val, DB_GET_BOTH | DB_RMW);
	if (ret == 0)
		ret = c->del(c, 0);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret == DB_NOTFOUND ? TXN_ROLLBACK : ret;
}

enum store_status store_admin_drop_fan(struct store *s, const char *from, const char *to)
{
	struct corrupt_arg arg = {from, to, 0};
	return status_of(run_txn(s, drop_fan_body, &arg, 0));
}
