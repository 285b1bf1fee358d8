/* store_test.c - unit test of src/store.c against a real Berkeley DB environment in /tmp. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "check.h"

static int g_trace; /* STORE_TEST_TRACE=1 prints every operation of the random tests */
static int g_lazy;  /* stores open their tables at first use, as a plain CGI process does */

/* ---- temporary folders ------------------------------------------------------------------- */

#define MAX_DIRS 32
static char g_dirs[MAX_DIRS][64];
static int g_ndirs;

static const char *tmpdir_new(void)
{
	char *d;
	if (g_ndirs == MAX_DIRS)
		abort();
	d = g_dirs[g_ndirs];
	strcpy(d, "/tmp/store_test.XXXXXX");
	if (!mkdtemp(d)) {
		perror("mkdtemp");
		exit(2);
	}
	g_ndirs++;
	return d;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "remove %s: %s\n", path, strerror(errno));
	return 0;
}

static void rm_rf(const char *dir)
{
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		fprintf(stderr, "nftw %s: %s\n", dir, strerror(errno));
}

/* ---- small wrappers (each reports its caller's file:line) -------------------------------- */

static struct store *open_at(const char *file, int line, const char *dir,
			     enum store_durability dur, uint32_t max_following,
			     uint32_t max_followers, uint32_t max_mutual)
{
	struct store_opts o;
	char err[256] = "";
	struct store *s;

	memset(&o, 0, sizeof o);
	o.dir = dir;
	o.durability = dur;
	o.max_following = max_following;
	o.max_followers = max_followers;
	o.max_mutual = max_mutual;
	o.lazy_tables = g_lazy;
	s = store_open(&o, err, sizeof err);
	if (!CHECK_AT(s != NULL))
		fprintf(stderr, "  store_open(%s): %s\n", dir, err);
	return s;
}
#define OPEN(dir, dur, mf, mr, mm) open_at(__FILE__, __LINE__, dir, dur, mf, mr, mm)

static void import_at(const char *file, int line, struct store *s, const char *id)
{
	const char *ids[1];
	ids[0] = id;
	CHECK_EQ_INT_AT(store_account_import(s, ids, 1), STORE_OK);
}
#define IMPORT(s, id) import_at(__FILE__, __LINE__, s, id)

static int exists_at(const char *file, int line, struct store *s, const char *id)
{
	int e = -1;
	CHECK_EQ_INT_AT(store_account_exists(s, id, &e), STORE_OK);
	return e;
}
#define EXISTS(s, id) exists_at(__FILE__, __LINE__, s, id)

/* Adds one edge; checks the call status; returns the target's result, sets *changed. */
static int follow_at(const char *file, int line, struct store *s, const char *from, const char *to,
		     uint32_t now, int *changed)
{
	struct store_target t;
	memset(&t, 0, sizeof t);
	t.id = to;
	t.changed = -1;
	CHECK_EQ_INT_AT(store_follow_add(s, from, &t, 1, now, NULL), STORE_OK);
	if (changed)
		*changed = t.changed;
	return (int)t.result;
}
#define FOLLOW(s, from, to, now, ch) follow_at(__FILE__, __LINE__, s, from, to, now, ch)

/* A new edge that must be made. */
#define FOLLOW_NEW(s, from, to, now)                                                              \
	do {                                                                                      \
		int ch_ = -1;                                                                     \
		CHECK_EQ_INT(FOLLOW(s, from, to, now, &ch_), STORE_DONE);                         \
		CHECK_EQ_INT(ch_, 1);                                                             \
	} while (0)

static int unfollow_at(const char *file, int line, struct store *s, const char *from,
		       const char *to, int *changed)
{
	struct store_target t;
	memset(&t, 0, sizeof t);
	t.id = to;
	t.changed = -1;
	CHECK_EQ_INT_AT(store_follow_delete(s, from, &t, 1, NULL), STORE_OK);
	if (changed)
		*changed = t.changed;
	return (int)t.result;
}
#define UNFOLLOW(s, from, to, ch) unfollow_at(__FILE__, __LINE__, s, from, to, ch)

/* A batch: follow_add (add) or follow_delete of `from` -> targets given as (id, result, changed)
 * triples, at most 8; checks the call, then each target's result and changed flag (-1: not
 * checked). Through BATCH_ADD(s, from, now, id, result, changed, ...) and BATCH_DELETE(s, from,
 * id, result, changed, ...). */
static void batch_at(const char *file, int line, struct store *s, int add, const char *from,
		     uint32_t now, ...)
{
	struct store_target t[8];
	int want_result[8], want_changed[8];
	char what[64];
	const char *id;
	size_t n = 0, i;
	va_list ap;

	memset(t, 0, sizeof t);
	va_start(ap, now);
	while ((id = va_arg(ap, const char *)) != NULL) {
		if (n == 8)
			abort();
		t[n].id = id;
		t[n].changed = -1;
		want_result[n] = va_arg(ap, int);
		want_changed[n] = va_arg(ap, int);
		n++;
	}
	va_end(ap);
	if (add)
		CHECK_EQ_INT_AT(store_follow_add(s, from, t, n, now, NULL), STORE_OK);
	else
		CHECK_EQ_INT_AT(store_follow_delete(s, from, t, n, NULL), STORE_OK);
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof what, "result of %s -> %s", from, t[i].id);
		check_eq_int_(t[i].result, want_result[i], what, "expected", file, line);
		if (want_changed[i] < 0)
			continue;
		snprintf(what, sizeof what, "changed of %s -> %s", from, t[i].id);
		check_eq_int_(t[i].changed, want_changed[i], what, "expected", file, line);
	}
}
#define BATCH_ADD(s, from, now, ...) \
	batch_at(__FILE__, __LINE__, s, 1, from, now, __VA_ARGS__, (const char *)NULL)
#define BATCH_DELETE(s, from, ...) \
	batch_at(__FILE__, __LINE__, s, 0, from, 0, __VA_ARGS__, (const char *)NULL)

/* follow_type of `to` seen from `from`, or -1 when the target does not exist. */
static int ftype_at(const char *file, int line, struct store *s, const char *from, const char *to)
{
	struct store_target t;
	memset(&t, 0, sizeof t);
	t.id = to;
	t.exists = -1;
	t.follow_type = -1;
	CHECK_EQ_INT_AT(store_follow_check(s, from, &t, 1), STORE_OK);
	if (t.exists == 0)
		return -1;
	CHECK_EQ_INT_AT(t.exists, 1);
	return t.follow_type;
}
#define FTYPE(s, from, to) ftype_at(__FILE__, __LINE__, s, from, to)

/* Checks the stored counters of `id` (read on its own behalf). */
static void counts_at(const char *file, int line, struct store *s, const char *id, long followers,
		      long following, long mutual)
{
	struct store_target t;
	memset(&t, 0, sizeof t);
	t.id = id;
	t.exists = -1;
	if (!CHECK_EQ_INT_AT(store_follow_info(s, id, &t, 1), STORE_OK))
		return;
	CHECK_EQ_INT_AT(t.exists, 1);
	if (t.counts.followers != followers || t.counts.following != following ||
	    t.counts.mutual != mutual) {
		fprintf(stderr, "  counts of \"%s\": got followers=%u following=%u mutual=%u\n", id,
			t.counts.followers, t.counts.following, t.counts.mutual);
	}
	CHECK_EQ_INT_AT(t.counts.followers, followers);
	CHECK_EQ_INT_AT(t.counts.following, following);
	CHECK_EQ_INT_AT(t.counts.mutual, mutual);
}
#define COUNTS(s, id, fol, fing, mut) counts_at(__FILE__, __LINE__, s, id, fol, fing, mut)

/* ---- lists ------------------------------------------------------------------------------- */

/* a comes before b in a list: newer first, then id in ascending byte order */
static int item_cmp(const void *pa, const void *pb)
{
	const struct store_item *a = pa, *b = pb;
	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	return strcmp(a->id, b->id); /* strcmp compares as unsigned char */
}

static void print_items(const char *label, const struct store_item *it, size_t n)
{
	size_t i;
	fprintf(stderr, "  %s (%zu):", label, n);
	for (i = 0; i < n && i < 40; i++)
		fprintf(stderr, " %s@%u", it[i].id, it[i].time);
	if (n > 40)
		fprintf(stderr, " ...");
	fprintf(stderr, "\n");
}

/* Compares two whole lists, one check, printing both on mismatch. */
static int same_list_at(const char *file, int line, const char *what, const struct store_item *got,
			size_t ng, const struct store_item *exp, size_t ne)
{
	int ok = ng == ne;
	size_t i;
	for (i = 0; ok && i < ng; i++)
		ok = strcmp(got[i].id, exp[i].id) == 0 && got[i].time == exp[i].time;
	check_(ok, what, file, line);
	if (!ok) {
		print_items("got", got, ng);
		print_items("expected", exp, ne);
	}
	return ok;
}

static const char *kind_name(enum store_list k)
{
	return k == STORE_FANS ? "fans" : k == STORE_FOLLOWING ? "following" : "mutual";
}

/* Walks a whole list page by page (`want` a page); checks the page invariants; returns the
 * number of items stored into out (at most cap; more is a failure). */
static size_t walk_at(const char *file, int line, struct store *s, const char *who,
		      enum store_list kind, size_t want, struct store_item *out, size_t cap)
{
	struct store_item after;
	int have_after = 0, pages = 0;
	size_t n = 0, i;

	for (;;) {
		struct store_page p;
		enum store_status st;
		int more;
		memset(&p, 0, sizeof p);
		st = store_list_page(s, who, kind, have_after ? &after : NULL, want, &p);
		if (!CHECK_EQ_INT_AT(st, STORE_OK)) {
			fprintf(stderr, "  walking %s of \"%s\"\n", kind_name(kind), who);
			store_page_free(&p);
			return n;
		}
		pages++;
		if (!CHECK_AT(p.n <= want) || !CHECK_AT(p.n == 0 || p.items != NULL)) {
			store_page_free(&p);
			return n;
		}
		for (i = 0; i < p.n; i++) {
			const struct store_item *it = &p.items[i];
			CHECK_AT(memchr(it->id, '\0', sizeof it->id) != NULL);
			/* strictly after the previous item (no repeats, right order) */
			if ((i > 0 || have_after) &&
			    !CHECK_AT(item_cmp(i > 0 ? &p.items[i - 1] : &after, it) < 0)) {
				fprintf(stderr, "  %s of \"%s\", page %d item %zu: %s@%u\n",
					kind_name(kind), who, pages, i, it->id, it->time);
			}
			if (!CHECK_AT(n < cap)) {
				store_page_free(&p);
				return n;
			}
			out[n++] = *it;
		}
		if (p.more) {
			/* a page that says more must have made progress and be full */
			if (!CHECK_AT(p.n > 0)) {
				store_page_free(&p);
				return n;
			}
			CHECK_AT(p.n == want);
			after = p.items[p.n - 1];
			have_after = 1;
		}
		more = p.more;
		store_page_free(&p);
		if (!more)
			break;
		if (!CHECK_AT(pages < 100000))
			break;
	}
	return n;
}
#define WALK(s, who, kind, want, out, cap) walk_at(__FILE__, __LINE__, s, who, kind, want, out, cap)

/* Checks a list against the expected items, walking it with several page sizes. */
static void list_is_at(const char *file, int line, struct store *s, const char *who,
		       enum store_list kind, const struct store_item *exp, size_t ne)
{
	static const size_t wants[] = {1, 2, 3, 1000};
	struct store_item got[256];
	size_t w, ng;
	char what[160];
	for (w = 0; w < sizeof wants / sizeof wants[0]; w++) {
		ng = walk_at(file, line, s, who, kind, wants[w], got, 256);
		snprintf(what, sizeof what, "%s of \"%s\" with want=%zu matches", kind_name(kind), who,
			 wants[w]);
		same_list_at(file, line, what, got, ng, exp, ne);
	}
}
#define LIST_IS(s, who, kind, exp, n) list_is_at(__FILE__, __LINE__, s, who, kind, exp, n)

static struct store_item mk(const char *id, uint32_t t)
{
	struct store_item it;
	memset(&it, 0, sizeof it);
	snprintf(it.id, sizeof it.id, "%s", id);
	it.time = t;
	return it;
}

/* ---- an in-memory model of the graph ----------------------------------------------------- */

#define MMAX 40
struct model {
	int n;
	char ids[MMAX][STORE_ID_MAX + 1];
	int present[MMAX];
	unsigned char f[MMAX][MMAX]; /* f[i][j]: i follows j */
	uint32_t t[MMAX][MMAX];      /* time of i -> j */
};

static void model_counts(const struct model *m, int u, struct store_counts *c)
{
	int j;
	memset(c, 0, sizeof *c);
	for (j = 0; j < m->n; j++) {
		c->followers += m->f[j][u];
		c->following += m->f[u][j];
		c->mutual += m->f[j][u] && m->f[u][j];
	}
}

static size_t model_list(const struct model *m, int u, enum store_list kind, struct store_item *out)
{
	size_t n = 0;
	int j;
	for (j = 0; j < m->n; j++) {
		uint32_t t;
		if (kind == STORE_FANS && m->f[j][u])
			t = m->t[j][u];
		else if (kind == STORE_FOLLOWING && m->f[u][j])
			t = m->t[u][j];
		else if (kind == STORE_MUTUAL && m->f[u][j] && m->f[j][u])
			t = m->t[u][j] > m->t[j][u] ? m->t[u][j] : m->t[j][u];
		else
			continue;
		out[n++] = mk(m->ids[j], t);
	}
	qsort(out, n, sizeof *out, item_cmp);
	return n;
}

static void model_drop(struct model *m, int u)
{
	int j;
	m->present[u] = 0;
	for (j = 0; j < m->n; j++)
		m->f[u][j] = m->f[j][u] = 0;
}

/* Checks every account of the model against the store: existence, counters, lists (the
 * counters must also equal the list lengths), and follow_check of every pair. */
static void verify_model_at(const char *file, int line, struct store *s, const struct model *m,
			    size_t want)
{
	static const enum store_list kinds[] = {STORE_FANS, STORE_FOLLOWING, STORE_MUTUAL};
	struct store_item exp[MMAX], got[MMAX + 1];
	struct store_target t[MMAX];
	int u, j, k;
	char what[160];

	for (u = 0; u < m->n; u++) {
		struct store_counts c;
		struct store_target self;
		int e = exists_at(file, line, s, m->ids[u]);
		if (!CHECK_EQ_INT_AT(e, m->present[u])) {
			fprintf(stderr, "  account \"%s\"\n", m->ids[u]);
			continue;
		}
		if (!m->present[u])
			continue;
		model_counts(m, u, &c);
		memset(&self, 0, sizeof self);
		self.id = m->ids[u];
		CHECK_EQ_INT_AT(store_follow_info(s, m->ids[u], &self, 1), STORE_OK);
		CHECK_EQ_INT_AT(self.exists, 1);
		if (self.counts.followers != c.followers || self.counts.following != c.following ||
		    self.counts.mutual != c.mutual) {
			snprintf(what, sizeof what,
				 "counters of \"%s\" %u/%u/%u == model %u/%u/%u (fans/following/mutual)",
				 m->ids[u], self.counts.followers, self.counts.following,
				 self.counts.mutual, c.followers, c.following, c.mutual);
			check_(0, what, file, line);
		}
		for (k = 0; k < 3; k++) {
			size_t ne = model_list(m, u, kinds[k], exp);
			size_t ng = walk_at(file, line, s, m->ids[u], kinds[k], want, got, MMAX + 1);
			uint32_t counter = kinds[k] == STORE_FANS	  ? self.counts.followers
					   : kinds[k] == STORE_FOLLOWING ? self.counts.following
									  : self.counts.mutual;
			snprintf(what, sizeof what, "%s of \"%s\" (want=%zu) matches the model",
				 kind_name(kinds[k]), m->ids[u], want);
			same_list_at(file, line, what, got, ng, exp, ne);
			snprintf(what, sizeof what, "%s counter of \"%s\" (%u) == list length (%zu)",
				 kind_name(kinds[k]), m->ids[u], counter, ng);
			check_(counter == ng, what, file, line);
		}
		/* follow_check against every account, including itself and absent ones */
		memset(t, 0, sizeof t);
		for (j = 0; j < m->n; j++) {
			t[j].id = m->ids[j];
			t[j].exists = -1;
			t[j].follow_type = -1;
		}
		CHECK_EQ_INT_AT(store_follow_check(s, m->ids[u], t, (size_t)m->n), STORE_OK);
		for (j = 0; j < m->n; j++) {
			int ft = j == u ? 0 : (m->f[j][u] ? 1 : 0) | (m->f[u][j] ? 2 : 0);
			if (t[j].exists != m->present[j] || (m->present[j] && t[j].follow_type != ft)) {
				snprintf(what, sizeof what,
					 "follow_check(\"%s\" -> \"%s\"): exists=%d type=%d, model "
					 "exists=%d type=%d",
					 m->ids[u], m->ids[j], t[j].exists, t[j].follow_type,
					 m->present[j], ft);
				check_(0, what, file, line);
			}
		}
	}
}
#define VERIFY_MODEL(s, m, want) verify_model_at(__FILE__, __LINE__, s, m, want)

/* ---- tests ------------------------------------------------------------------------------- */

static void test_open_errors(void)
{
	struct store_opts o;
	char err[256] = "";
	struct store *s;
	const char *d = tmpdir_new();
	char missing[128];

	snprintf(missing, sizeof missing, "%s/no/such/dir", d);
	memset(&o, 0, sizeof o);
	o.dir = missing;
	o.durability = STORE_NOSYNC;
	s = store_open(&o, err, sizeof err);
	CHECK(s == NULL); /* the home must exist */
	if (s)
		store_close(s);
	else
		CHECK(err[0] != '\0'); /* and the reason is written */
}

static void test_accounts(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_WRITE, 0, 0, 0);
	const char *batch[] = {"a", "b", "c", "b"}; /* a duplicate inside one batch */
	const char *again[] = {"a", "b"};
	int e;
	enum store_status st;

	if (!s)
		return;
	CHECK_EQ_INT(store_account_import(s, batch, 4), STORE_OK);
	CHECK_EQ_INT(EXISTS(s, "a"), 1);
	CHECK_EQ_INT(EXISTS(s, "b"), 1);
	CHECK_EQ_INT(EXISTS(s, "c"), 1);
	CHECK_EQ_INT(EXISTS(s, "d"), 0);
	CHECK_EQ_INT(EXISTS(s, "ab"), 0); /* not a prefix match */
	CHECK_EQ_INT(store_account_import(s, batch, 0), STORE_OK);

	FOLLOW_NEW(s, "a", "b", 100);
	FOLLOW_NEW(s, "b", "a", 110);
	/* importing again changes nothing */
	CHECK_EQ_INT(store_account_import(s, again, 2), STORE_OK);
	CHECK_EQ_INT(store_account_import(s, again, 2), STORE_OK);
	COUNTS(s, "a", 1, 1, 1);
	COUNTS(s, "b", 1, 1, 1);
	CHECK_EQ_INT(FTYPE(s, "a", "b"), 3);
	{
		struct store_item exp[] = {mk("a", 100)};
		LIST_IS(s, "b", STORE_FANS, exp, 1);
	}

	/* deleting a missing account: existed=0 (the status may say so too) */
	e = -1;
	st = store_account_delete(s, "nobody", &e);
	CHECK(st == STORE_OK || st == STORE_NO_ACCOUNT);
	CHECK_EQ_INT(e, 0);

	e = -1;
	CHECK_EQ_INT(store_account_delete(s, "c", &e), STORE_OK);
	CHECK_EQ_INT(e, 1);
	CHECK_EQ_INT(EXISTS(s, "c"), 0);
	e = -1;
	st = store_account_delete(s, "c", &e);
	CHECK(st == STORE_OK || st == STORE_NO_ACCOUNT);
	CHECK_EQ_INT(e, 0);
	CHECK_EQ_INT(EXISTS(s, "a"), 1);
	store_close(s);
}

static void test_follow_basic(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_WRITE, 0, 0, 0);
	const char *ids[] = {"A", "B", "C", "D"};
	struct store_target t[5];
	int ch;

	if (!s)
		return;
	CHECK_EQ_INT(store_account_import(s, ids, 4), STORE_OK);
	COUNTS(s, "A", 0, 0, 0);

	/* a new edge */
	FOLLOW_NEW(s, "A", "B", 100);
	COUNTS(s, "A", 0, 1, 0);
	COUNTS(s, "B", 1, 0, 0);
	CHECK_EQ_INT(FTYPE(s, "A", "B"), 2);
	CHECK_EQ_INT(FTYPE(s, "B", "A"), 1);
	CHECK_EQ_INT(FTYPE(s, "A", "C"), 0);

	/* again: done, nothing changes, the original time stays */
	BATCH_ADD(s, "A", 200, "B", STORE_DONE, 0);
	COUNTS(s, "A", 0, 1, 0);
	COUNTS(s, "B", 1, 0, 0);
	{
		struct store_item exp[] = {mk("A", 100)};
		struct store_item exp2[] = {mk("B", 100)};
		LIST_IS(s, "B", STORE_FANS, exp, 1);
		LIST_IS(s, "A", STORE_FOLLOWING, exp2, 1);
	}

	/* the reverse edge makes a mutual pair */
	FOLLOW_NEW(s, "B", "A", 150);
	COUNTS(s, "A", 1, 1, 1);
	COUNTS(s, "B", 1, 1, 1);
	CHECK_EQ_INT(FTYPE(s, "A", "B"), 3);
	CHECK_EQ_INT(FTYPE(s, "B", "A"), 3);
	{
		struct store_item ma[] = {mk("B", 150)};
		struct store_item mb[] = {mk("A", 150)};
		LIST_IS(s, "A", STORE_MUTUAL, ma, 1);
		LIST_IS(s, "B", STORE_MUTUAL, mb, 1);
	}

	/* unknown From_Account: the whole call fails, nothing changes */
	memset(t, 0, sizeof t);
	t[0].id = "B";
	CHECK_EQ_INT(store_follow_add(s, "X", t, 1, 300, NULL), STORE_NO_ACCOUNT);
	CHECK_EQ_INT(store_follow_delete(s, "X", t, 1, NULL), STORE_NO_ACCOUNT);
	CHECK_EQ_INT(store_follow_check(s, "X", t, 1), STORE_NO_ACCOUNT);
	CHECK_EQ_INT(store_follow_info(s, "X", t, 1), STORE_NO_ACCOUNT);
	COUNTS(s, "B", 1, 1, 1);
	CHECK_EQ_INT(EXISTS(s, "X"), 0);

	/* a batch with a missing target in the middle */
	BATCH_ADD(s, "A", 300, "C", STORE_DONE, 1, "Z", STORE_TARGET_MISSING, 0, "D", STORE_DONE, 1);
	CHECK_EQ_INT(EXISTS(s, "Z"), 0);
	COUNTS(s, "A", 1, 3, 1);
	COUNTS(s, "C", 1, 0, 0);
	COUNTS(s, "D", 1, 0, 0);

	/* follow_check: `from` among the targets gives 0, a missing target exists=0 */
	memset(t, 0, sizeof t);
	t[0].id = "A";
	t[1].id = "B";
	t[2].id = "C";
	t[3].id = "Z";
	t[4].id = "D";
	for (ch = 0; ch < 5; ch++) {
		t[ch].exists = -1;
		t[ch].follow_type = -1;
	}
	CHECK_EQ_INT(store_follow_check(s, "A", t, 5), STORE_OK);
	CHECK_EQ_INT(t[0].exists, 1);
	CHECK_EQ_INT(t[0].follow_type, 0);
	CHECK_EQ_INT(t[1].exists, 1);
	CHECK_EQ_INT(t[1].follow_type, 3);
	CHECK_EQ_INT(t[2].exists, 1);
	CHECK_EQ_INT(t[2].follow_type, 2);
	CHECK_EQ_INT(t[3].exists, 0);
	CHECK_EQ_INT(t[4].exists, 1);
	CHECK_EQ_INT(t[4].follow_type, 2);
	CHECK_EQ_INT(FTYPE(s, "C", "A"), 1);
	CHECK_EQ_INT(FTYPE(s, "C", "D"), 0);

	/* follow_info: `from` among the targets, a missing target */
	memset(t, 0, sizeof t);
	t[0].id = "A";
	t[1].id = "B";
	t[2].id = "Z";
	t[0].exists = t[1].exists = t[2].exists = -1;
	CHECK_EQ_INT(store_follow_info(s, "C", t, 3), STORE_OK);
	CHECK_EQ_INT(t[0].exists, 1);
	CHECK_EQ_INT(t[0].counts.followers, 1);
	CHECK_EQ_INT(t[0].counts.following, 3);
	CHECK_EQ_INT(t[0].counts.mutual, 1);
	CHECK_EQ_INT(t[1].exists, 1);
	CHECK_EQ_INT(t[1].counts.followers, 1);
	CHECK_EQ_INT(t[1].counts.following, 1);
	CHECK_EQ_INT(t[1].counts.mutual, 1);
	CHECK_EQ_INT(t[2].exists, 0);

	/* unfollow breaks the mutual pair */
	BATCH_DELETE(s, "A", "B", STORE_DONE, 1);
	COUNTS(s, "A", 1, 2, 0);
	COUNTS(s, "B", 0, 1, 0);
	CHECK_EQ_INT(FTYPE(s, "A", "B"), 1);
	CHECK_EQ_INT(FTYPE(s, "B", "A"), 2);
	LIST_IS(s, "A", STORE_MUTUAL, NULL, 0);
	LIST_IS(s, "B", STORE_MUTUAL, NULL, 0);
	LIST_IS(s, "B", STORE_FANS, NULL, 0);
	{
		struct store_item exp[] = {mk("A", 150)};
		LIST_IS(s, "B", STORE_FOLLOWING, exp, 1);
	}
	/* not following any more: done, nothing changes */
	BATCH_DELETE(s, "A", "B", STORE_DONE, 0);
	BATCH_DELETE(s, "C", "A", STORE_DONE, 0);
	BATCH_DELETE(s, "A", "Z", STORE_TARGET_MISSING, 0);
	COUNTS(s, "A", 1, 2, 0);
	COUNTS(s, "B", 0, 1, 0);
	COUNTS(s, "C", 1, 0, 0);

	/* a batch delete with mixed outcomes */
	BATCH_DELETE(s, "A", "D", STORE_DONE, 1, "B", STORE_DONE, 0, "Z", STORE_TARGET_MISSING, -1);
	COUNTS(s, "A", 1, 1, 0);
	COUNTS(s, "D", 0, 0, 0);

	/* following again: new time; mutual time = the later of the two follow times */
	FOLLOW_NEW(s, "A", "B", 400);
	{
		struct store_item fans[] = {mk("A", 400)};
		struct store_item mut[] = {mk("A", 400)};
		LIST_IS(s, "B", STORE_FANS, fans, 1);
		LIST_IS(s, "B", STORE_MUTUAL, mut, 1);
	}
	/* the earlier edge came later in time: mutual time is still the max */
	FOLLOW_NEW(s, "C", "A", 50);
	{
		struct store_item mut[] = {mk("A", 300)};
		struct store_item fans[] = {mk("B", 150), mk("C", 50)};
		struct store_item mA[] = {mk("B", 400), mk("C", 300)};
		LIST_IS(s, "C", STORE_MUTUAL, mut, 1);
		LIST_IS(s, "A", STORE_FANS, fans, 2);
		LIST_IS(s, "A", STORE_MUTUAL, mA, 2);
	}
	COUNTS(s, "A", 2, 2, 2);
	COUNTS(s, "B", 1, 1, 1);
	COUNTS(s, "C", 1, 1, 1);
	store_close(s);
}

static void test_account_delete(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_WRITE, 0, 0, 0);
	const char *ids[] = {"A", "B", "C", "D", "E"};
	struct store_target t[1];
	int e;

	if (!s)
		return;
	CHECK_EQ_INT(store_account_import(s, ids, 5), STORE_OK);
	FOLLOW_NEW(s, "A", "B", 10);
	FOLLOW_NEW(s, "B", "A", 11); /* A <-> B mutual */
	FOLLOW_NEW(s, "C", "A", 12); /* C is A's fan */
	FOLLOW_NEW(s, "A", "D", 13); /* A follows D */
	FOLLOW_NEW(s, "E", "B", 14);
	FOLLOW_NEW(s, "C", "D", 15);
	COUNTS(s, "A", 2, 2, 1);
	COUNTS(s, "B", 2, 1, 1);

	e = -1;
	CHECK_EQ_INT(store_account_delete(s, "A", &e), STORE_OK);
	CHECK_EQ_INT(e, 1);
	CHECK_EQ_INT(EXISTS(s, "A"), 0);
	COUNTS(s, "B", 1, 0, 0);
	COUNTS(s, "C", 0, 1, 0);
	COUNTS(s, "D", 1, 0, 0);
	COUNTS(s, "E", 0, 1, 0);
	{
		struct store_item bf[] = {mk("E", 14)};
		struct store_item cf[] = {mk("D", 15)};
		struct store_item df[] = {mk("C", 15)};
		LIST_IS(s, "B", STORE_FANS, bf, 1);
		LIST_IS(s, "B", STORE_FOLLOWING, NULL, 0);
		LIST_IS(s, "B", STORE_MUTUAL, NULL, 0);
		LIST_IS(s, "C", STORE_FOLLOWING, cf, 1);
		LIST_IS(s, "D", STORE_FANS, df, 1);
	}
	CHECK_EQ_INT(FTYPE(s, "B", "A"), -1);
	memset(t, 0, sizeof t);
	t[0].id = "B";
	CHECK_EQ_INT(store_follow_add(s, "A", t, 1, 20, NULL), STORE_NO_ACCOUNT);
	CHECK_EQ_INT(FOLLOW(s, "B", "A", 20, NULL), STORE_TARGET_MISSING);
	COUNTS(s, "B", 1, 0, 0);

	/* imported again: a fresh account, no stale edges or counters anywhere */
	IMPORT(s, "A");
	COUNTS(s, "A", 0, 0, 0);
	LIST_IS(s, "A", STORE_FANS, NULL, 0);
	LIST_IS(s, "A", STORE_FOLLOWING, NULL, 0);
	LIST_IS(s, "A", STORE_MUTUAL, NULL, 0);
	CHECK_EQ_INT(FTYPE(s, "B", "A"), 0);
	CHECK_EQ_INT(FTYPE(s, "A", "B"), 0);
	FOLLOW_NEW(s, "B", "A", 30);
	COUNTS(s, "A", 1, 0, 0);
	COUNTS(s, "B", 1, 1, 0);

	/* deleting an account with no edges */
	e = -1;
	CHECK_EQ_INT(store_account_delete(s, "E", &e), STORE_OK);
	CHECK_EQ_INT(e, 1);
	COUNTS(s, "B", 0, 1, 0);
	LIST_IS(s, "B", STORE_FANS, NULL, 0);
	store_close(s);
}

static void test_limits(void)
{
	struct store *s;
	int ch;
	const char *ids[] = {"A", "B", "C", "D", "X"};

	/* max_following = 2 */
	s = OPEN(tmpdir_new(), STORE_NOSYNC, 2, 0, 0);
	if (s) {
		CHECK_EQ_INT(store_account_import(s, ids, 5), STORE_OK);
		FOLLOW_NEW(s, "A", "B", 1);
		FOLLOW_NEW(s, "A", "C", 2);
		BATCH_ADD(s, "A", 3, "D", STORE_MAX_FOLLOWING, 0);
		COUNTS(s, "A", 0, 2, 0);
		COUNTS(s, "D", 0, 0, 0);
		CHECK_EQ_INT(FTYPE(s, "A", "D"), 0);
		/* already following at the maximum: done, unchanged */
		BATCH_ADD(s, "A", 4, "B", STORE_DONE, 0);
		/* room again after an unfollow */
		BATCH_DELETE(s, "A", "C", STORE_DONE, 1);
		FOLLOW_NEW(s, "A", "D", 5);
		COUNTS(s, "A", 0, 2, 0);
		/* inside one batch the limit counts the batch's own new edges */
		BATCH_ADD(s, "X", 6, "A", STORE_DONE, 1, "B", STORE_DONE, 1, "C", STORE_MAX_FOLLOWING, 0);
		COUNTS(s, "X", 0, 2, 0);
		COUNTS(s, "C", 0, 0, 0);
		store_close(s);
	}

	/* max_followers = 1 */
	s = OPEN(tmpdir_new(), STORE_NOSYNC, 0, 1, 0);
	if (s) {
		CHECK_EQ_INT(store_account_import(s, ids, 5), STORE_OK);
		FOLLOW_NEW(s, "A", "X", 1);
		BATCH_ADD(s, "B", 2, "X", STORE_MAX_FOLLOWERS, 0);
		COUNTS(s, "X", 1, 0, 0);
		COUNTS(s, "B", 0, 0, 0);
		BATCH_ADD(s, "A", 3, "X", STORE_DONE, 0);
		/* a batch: the first fan of C fits, D's limit is reached already */
		FOLLOW_NEW(s, "A", "D", 4);
		BATCH_ADD(s, "B", 5, "C", STORE_DONE, 1, "D", STORE_MAX_FOLLOWERS, 0);
		/* room again after the fan leaves */
		CHECK_EQ_INT(UNFOLLOW(s, "A", "X", &ch), STORE_DONE);
		FOLLOW_NEW(s, "B", "X", 6);
		COUNTS(s, "X", 1, 0, 0);
		store_close(s);
	}

	/* max_mutual = 1 */
	s = OPEN(tmpdir_new(), STORE_NOSYNC, 0, 0, 1);
	if (s) {
		CHECK_EQ_INT(store_account_import(s, ids, 5), STORE_OK);
		FOLLOW_NEW(s, "A", "B", 1);
		FOLLOW_NEW(s, "B", "A", 2); /* A <-> B: both at the maximum */
		/* a follow that makes no pair is not limited */
		FOLLOW_NEW(s, "A", "C", 3);
		FOLLOW_NEW(s, "X", "B", 4);
		/* from's side is full: D follows A, A follows D would be A's second pair */
		FOLLOW_NEW(s, "D", "A", 5);
		BATCH_ADD(s, "A", 6, "D", STORE_MAX_MUTUAL_FROM, 0);
		CHECK_EQ_INT(FTYPE(s, "A", "D"), 1);
		COUNTS(s, "A", 2, 2, 1);
		COUNTS(s, "D", 0, 1, 0);
		/* the target's side is full: B follows C; C follows B would be B's second pair */
		FOLLOW_NEW(s, "B", "C", 7);
		BATCH_ADD(s, "C", 8, "B", STORE_MAX_MUTUAL_TO, 0);
		CHECK_EQ_INT(FTYPE(s, "C", "B"), 1);
		COUNTS(s, "B", 2, 2, 1);
		COUNTS(s, "C", 2, 0, 0);
		/* inside one batch: C's first pair fits, its second is over the limit */
		FOLLOW_NEW(s, "D", "C", 9);
		FOLLOW_NEW(s, "X", "C", 10);
		BATCH_ADD(s, "C", 11, "D", STORE_DONE, 1, "X", STORE_MAX_MUTUAL_FROM, 0);
		COUNTS(s, "C", 4, 1, 1);
		/* breaking A's pair makes room on A's side; D is full now (D <-> C) */
		BATCH_DELETE(s, "B", "A", STORE_DONE, 1);
		COUNTS(s, "B", 2, 1, 0);
		BATCH_ADD(s, "A", 12, "D", STORE_MAX_MUTUAL_TO, 0);
		/* breaking D's pair makes room on D's side */
		BATCH_DELETE(s, "C", "D", STORE_DONE, 1);
		FOLLOW_NEW(s, "A", "D", 13);
		CHECK_EQ_INT(FTYPE(s, "A", "D"), 3);
		COUNTS(s, "A", 1, 3, 1);
		store_close(s);
	}
}

static void test_list_order(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_WRITE, 0, 0, 0);
	/* equal times: ascending bytes, including prefixes, case, UTF-8 and a 32-byte id */
	static const char *same[] = {"b",	  "a",		 "ab",		 "B", "a-b",
				     "\xc3\xa9", "\xe4\xb8\xad", "aa",		 "0",
				     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "~"};
	/* times that expose little-endian or signed encodings */
	static const uint32_t times[] = {1,	  255,	      256,	  65535,     65536,
					 16777216, 0x7fffffffu, 0x80000000u, 0xfffffffeu};
	struct store_item exp[64];
	size_t ne = 0, i, n;
	char id[32];

	if (!s)
		return;
	CHECK_EQ_INT(strlen(same[9]), STORE_ID_MAX);
	IMPORT(s, "U");
	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		IMPORT(s, same[i]);
		FOLLOW_NEW(s, same[i], "U", 500);
		exp[ne++] = mk(same[i], 500);
	}
	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		snprintf(id, sizeof id, "t%zu", i);
		IMPORT(s, id);
		FOLLOW_NEW(s, id, "U", times[i]);
		exp[ne++] = mk(id, times[i]);
		/* U follows them too, at another time */
		FOLLOW_NEW(s, "U", id, times[sizeof times / sizeof times[0] - 1 - i]);
	}
	qsort(exp, ne, sizeof exp[0], item_cmp);
	CHECK_EQ_STR(exp[0].id, "t8");
	CHECK_EQ_STR(exp[ne - 1].id, "t0");
	LIST_IS(s, "U", STORE_FANS, exp, ne);
	COUNTS(s, "U", (long)ne, 9, 9);

	/* following of U: t(8-i) at times[i] */
	{
		struct store_item fx[9];
		for (i = 0; i < 9; i++) {
			snprintf(id, sizeof id, "t%zu", 8 - i);
			fx[i] = mk(id, times[i]);
		}
		qsort(fx, 9, sizeof fx[0], item_cmp);
		LIST_IS(s, "U", STORE_FOLLOWING, fx, 9);
		/* mutual: the later of the two times */
		for (i = 0; i < 9; i++) {
			uint32_t a = times[i], b = times[8 - i];
			snprintf(id, sizeof id, "t%zu", i);
			fx[i] = mk(id, a > b ? a : b);
		}
		qsort(fx, 9, sizeof fx[0], item_cmp);
		LIST_IS(s, "U", STORE_MUTUAL, fx, 9);
		{
			struct store_item one[] = {mk("U", 0xfffffffeu)};
			LIST_IS(s, "t0", STORE_MUTUAL, one, 1);
		}
	}

	/* a position that is not in the list: the page starts after it */
	{
		struct store_page p;
		struct store_item after = mk("aaa", 500); /* between "aa" and "ab" */
		memset(&p, 0, sizeof p);
		CHECK_EQ_INT(store_list_page(s, "U", STORE_FANS, &after, 3, &p), STORE_OK);
		CHECK_EQ_INT(p.n, 3);
		if (p.n == 3) {
			CHECK_EQ_STR(p.items[0].id, "ab");
			CHECK_EQ_STR(p.items[1].id, "b");
			CHECK_EQ_STR(p.items[2].id, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		}
		CHECK_EQ_INT(p.more, 1);
		store_page_free(&p);
		/* after the last item: empty, no more */
		after = exp[ne - 1];
		memset(&p, 0, sizeof p);
		CHECK_EQ_INT(store_list_page(s, "U", STORE_FANS, &after, 3, &p), STORE_OK);
		CHECK_EQ_INT(p.n, 0);
		CHECK_EQ_INT(p.more, 0);
		store_page_free(&p);
	}

	/* page sizes: exact multiples end with more=0 */
	{
		struct store_item got[64];
		size_t wants[] = {4, 5, ne - 1, ne, ne + 1};
		for (i = 0; i < sizeof wants / sizeof wants[0]; i++) {
			n = WALK(s, "U", STORE_FANS, wants[i], got, 64);
			same_list_at(__FILE__, __LINE__, "fans of U, odd page sizes", got, n, exp, ne);
		}
	}
	/* the list of an unknown account: nothing (the status may say so) */
	{
		struct store_page p;
		enum store_status st;
		memset(&p, 0, sizeof p);
		st = store_list_page(s, "nobody", STORE_FANS, NULL, 10, &p);
		CHECK(st == STORE_OK || st == STORE_NO_ACCOUNT);
		if (st == STORE_OK)
			CHECK_EQ_INT(p.n, 0);
		store_page_free(&p);
	}
	/* an empty list */
	{
		struct store_page p;
		IMPORT(s, "lonely");
		memset(&p, 0, sizeof p);
		CHECK_EQ_INT(store_list_page(s, "lonely", STORE_FANS, NULL, 10, &p), STORE_OK);
		CHECK_EQ_INT(p.n, 0);
		CHECK_EQ_INT(p.more, 0);
		store_page_free(&p);
	}
	store_close(s);
}

/* Paging while the list changes between pages. */

/* Reads one page of u's fans after `after` (NULL: the top) and checks it against the model's
 * list strictly after that position; appends it to seen; returns more (0 on failure). */
static int page_vs_model_at(const char *file, int line, struct store *s, const struct model *m,
			    int u, struct store_item *after, size_t want, struct store_item *seen,
			    size_t *nseen)
{
	struct store_item cur[MMAX], exp[MMAX];
	struct store_page p;
	size_t ncur, ne = 0, i;
	int more;

	ncur = model_list(m, u, STORE_FANS, cur);
	for (i = 0; i < ncur; i++)
		if (!after || item_cmp(after, &cur[i]) < 0)
			exp[ne++] = cur[i];
	memset(&p, 0, sizeof p);
	if (!CHECK_EQ_INT_AT(store_list_page(s, m->ids[u], STORE_FANS, after, want, &p), STORE_OK)) {
		store_page_free(&p);
		return 0;
	}
	same_list_at(file, line, "page after a position matches the model", p.items, p.n, exp,
		     ne < want ? ne : want);
	CHECK_EQ_INT_AT(p.more, ne > want);
	for (i = 0; i < p.n && *nseen < 64; i++)
		seen[(*nseen)++] = p.items[i];
	more = p.more && p.n > 0;
	if (p.n && after)
		*after = p.items[p.n - 1];
	store_page_free(&p);
	return more;
}
#define PAGE_VS_MODEL(s, m, u, after, want, seen, nseen)                                          \
	page_vs_model_at(__FILE__, __LINE__, s, m, u, after, want, seen, nseen)

static int model_find(const struct model *m, const char *id)
{
	int k;
	for (k = 0; k < m->n; k++)
		if (strcmp(m->ids[k], id) == 0)
			return k;
	return -1;
}

static void test_paging_changes(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_WRITE, 0, 0, 0);
	static struct model m;
	struct store_item seen[64], start[64], after;
	unsigned char gone[MMAX] = {0}; /* left the list (or moved) at some time in the walk */
	size_t nseen = 0, nstart, i, j;
	int u, k, e, more, a;

	if (!s)
		return;
	memset(&m, 0, sizeof m);
	u = m.n++;
	strcpy(m.ids[u], "U");
	m.present[u] = 1;
	IMPORT(s, "U");
	for (k = 0; k < 12; k++) {
		a = m.n++;
		snprintf(m.ids[a], sizeof m.ids[a], "f%02d", k);
		m.present[a] = 1;
		IMPORT(s, m.ids[a]);
		m.f[a][u] = 1;
		m.t[a][u] = 1000 + (uint32_t)(k / 3) * 10; /* groups of three with equal times */
		FOLLOW_NEW(s, m.ids[a], "U", m.t[a][u]);
	}
	for (k = 0; k < 3; k++) { /* fans to come */
		a = m.n++;
		snprintf(m.ids[a], sizeof m.ids[a], "n%02d", k);
		m.present[a] = 1;
		IMPORT(s, m.ids[a]);
	}
	VERIFY_MODEL(s, &m, 4);
	nstart = model_list(&m, u, STORE_FANS, start);

	/* page 1 */
	more = PAGE_VS_MODEL(s, &m, u, NULL, 4, seen, &nseen);
	if (!CHECK(more) || !CHECK_EQ_INT(nseen, 4)) {
		store_close(s);
		return;
	}
	after = seen[nseen - 1];

	/* changes: unfollow by the cursor's own entry and another returned one, by one not yet
	 * returned; a newer fan; a returned one follows again (it moves to the top) */
	a = model_find(&m, after.id);
	CHECK_EQ_INT(UNFOLLOW(s, m.ids[a], "U", &e), STORE_DONE);
	CHECK_EQ_INT(e, 1);
	m.f[a][u] = 0;
	gone[a] = 1;
	a = model_find(&m, seen[0].id);
	CHECK_EQ_INT(UNFOLLOW(s, m.ids[a], "U", &e), STORE_DONE);
	m.f[a][u] = 0;
	gone[a] = 1;
	a = model_find(&m, start[6].id);
	CHECK_EQ_INT(UNFOLLOW(s, m.ids[a], "U", &e), STORE_DONE);
	m.f[a][u] = 0;
	gone[a] = 1;
	a = model_find(&m, "n00");
	FOLLOW_NEW(s, "n00", "U", 5000);
	m.f[a][u] = 1;
	m.t[a][u] = 5000;
	a = model_find(&m, seen[1].id);
	CHECK_EQ_INT(UNFOLLOW(s, m.ids[a], "U", &e), STORE_DONE);
	FOLLOW_NEW(s, m.ids[a], "U", 6000);
	m.t[a][u] = 6000;
	gone[a] = 1;

	/* page 2, from the old position */
	more = PAGE_VS_MODEL(s, &m, u, &after, 4, seen, &nseen);
	CHECK(more);

	/* more changes: the cursor's account is deleted outright; an older fan arrives (it lies
	 * ahead of the position) */
	a = model_find(&m, after.id);
	CHECK_EQ_INT(store_account_delete(s, m.ids[a], &e), STORE_OK);
	CHECK_EQ_INT(e, 1);
	model_drop(&m, a);
	gone[a] = 1;
	a = model_find(&m, "n01");
	FOLLOW_NEW(s, "n01", "U", 1);
	m.f[a][u] = 1;
	m.t[a][u] = 1;

	/* the rest of the walk */
	while (more && nseen < 64)
		more = PAGE_VS_MODEL(s, &m, u, &after, 4, seen, &nseen);

	/* no repeats; every entry that stayed for the whole walk was seen */
	for (i = 0; i < nseen; i++)
		for (j = i + 1; j < nseen; j++)
			if (!CHECK(strcmp(seen[i].id, seen[j].id) != 0))
				fprintf(stderr, "  repeated: %s\n", seen[i].id);
	for (i = 0; i < nstart; i++) {
		int found = 0;
		if (gone[model_find(&m, start[i].id)])
			continue;
		for (j = 0; j < nseen; j++)
			found |= strcmp(seen[j].id, start[i].id) == 0;
		if (!CHECK(found))
			fprintf(stderr, "  skipped: %s\n", start[i].id);
	}
	/* the older fan that arrived mid-walk lies ahead of the position: it is seen */
	{
		int found = 0;
		for (i = 0; i < nseen; i++)
			found |= strcmp(seen[i].id, "n01") == 0;
		CHECK(found);
	}
	VERIFY_MODEL(s, &m, 3);
	store_close(s);
}

/* 3000 fans in pages of 1000. */
static void test_big_list(void)
{
	enum { N = 3000 };
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
	static char ids[N][8];
	static struct store_item exp[N], got[N + 1];
	const char *batch[100];
	size_t i, n, ne = 0;
	int page;
	struct store_item after;
	clock_t c0;

	if (!s)
		return;
	IMPORT(s, "U");
	for (i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "f%04zu", (i * 7919) % N);
		batch[i % 100] = ids[i];
		if (i % 100 == 99)
			CHECK_EQ_INT(store_account_import(s, batch, 100), STORE_OK);
	}
	for (i = 0; i < N; i++) {
		uint32_t t = 100000 + (uint32_t)(i % 701); /* many equal times */
		FOLLOW_NEW(s, ids[i], "U", t);
		exp[ne++] = mk(ids[i], t);
	}
	qsort(exp, ne, sizeof exp[0], item_cmp);
	COUNTS(s, "U", N, 0, 0);

	n = 0;
	c0 = clock();
	for (page = 0; page < 4; page++) {
		struct store_page p;
		int more;
		memset(&p, 0, sizeof p);
		CHECK_EQ_INT(store_list_page(s, "U", STORE_FANS, page ? &after : NULL, 1000, &p),
			     STORE_OK);
		CHECK_EQ_INT(p.n, 1000);
		CHECK_EQ_INT(p.more, page < 2);
		for (i = 0; i < p.n && n < N; i++)
			got[n++] = p.items[i];
		if (p.n)
			after = p.items[p.n - 1];
		more = p.more;
		store_page_free(&p);
		if (!more)
			break;
	}
	CHECK_EQ_INT(page, 2);
	same_list_at(__FILE__, __LINE__, "3000 fans in pages of 1000", got, n, exp, ne);
	printf("  3000 fans: 3 pages of 1000 in %.1f ms CPU\n",
	       (double)(clock() - c0) * 1000.0 / CLOCKS_PER_SEC);
	/* and in small pages */
	n = WALK(s, "U", STORE_FANS, 7, got, N + 1);
	same_list_at(__FILE__, __LINE__, "3000 fans in pages of 7", got, n, exp, ne);
	{
		struct store_item one[] = {mk("U", 100000)};
		LIST_IS(s, ids[0], STORE_FOLLOWING, one, 1);
	}
	store_close(s);
}

/* ---- the random test --------------------------------------------------------------------- */

static uint64_t g_rng;
static uint32_t rnd(uint32_t n)
{
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return (uint32_t)((g_rng * 2685821657736338717ull) >> 33) % n;
}

static const char *const rand_ids[] = {
	"a",  "ab", "abc", "b", "B", "Z", "z", "0", "9", "aa", "\xc3\xa9", "\xe4\xb8\xad", "a-b",
	"a_b", "~", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "m1", "m10", "m2", "q"};

struct limits {
	uint32_t following, followers, mutual;
};

/* A seeded random sequence of imports, adds, deletes and account deletes, each result checked
 * against the model, the whole graph verified now and then. Returns the store (still open). */
static struct store *random_run(struct store *s, struct model *m, uint64_t seed, int ops,
				const struct limits *lim)
{
	int op, k, fails0 = g_fail;
	long st_new = 0, st_del = 0, st_same = 0, st_missing = 0, st_noacct = 0, st_acdel = 0,
	     st_pairs = 0, st_lim[6] = {0};

	g_rng = seed * 0x9E3779B97F4A7C15ull + 1;
	for (op = 0; op < ops; op++) {
		uint32_t r = rnd(100);
		int from = (int)rnd((uint32_t)m->n);
		struct store_target t[6];
		int tidx[6], nt = 0, i;
		uint32_t now = 1000 + rnd(40) + (uint32_t)op / 8; /* ties and older times too */
		enum store_status st;

		set_ctx("seed %llu op %d", (unsigned long long)seed, op);
		if (r < 2) { /* account delete */
			int e = -1;
			if (g_trace)
				printf("op %d: account_delete %s\n", op, m->ids[from]);
			st = store_account_delete(s, m->ids[from], &e);
			if (m->present[from])
				CHECK_EQ_INT(st, STORE_OK);
			else
				CHECK(st == STORE_OK || st == STORE_NO_ACCOUNT);
			CHECK_EQ_INT(e, m->present[from]);
			st_acdel += m->present[from];
			model_drop(m, from);
		} else if (r < 8) { /* import, mostly of an absent account */
			for (k = 0; k < 3 && m->present[from]; k++)
				from = (int)rnd((uint32_t)m->n);
			if (g_trace)
				printf("op %d: import %s\n", op, m->ids[from]);
			IMPORT(s, m->ids[from]);
			m->present[from] = 1;
		} else { /* a batch of adds or deletes */
			int add = r < 65;
			int want = 1 + (int)rnd(5);
			memset(t, 0, sizeof t);
			while (nt < want) {
				int j = (int)rnd((uint32_t)m->n), dup = 0;
				if (j == from)
					continue;
				for (i = 0; i < nt; i++)
					dup |= tidx[i] == j;
				if (dup) {
					want--;
					continue;
				}
				tidx[nt] = j;
				t[nt].id = m->ids[j];
				t[nt].changed = -1;
				t[nt].result = (enum store_result)-1;
				nt++;
			}
			if (g_trace) {
				printf("op %d: %s %s ->", op, add ? "add" : "del", m->ids[from]);
				for (i = 0; i < nt; i++)
					printf(" %s", t[i].id);
				if (add)
					printf(" @%u", now);
				printf("\n");
			}
			st = add ? store_follow_add(s, m->ids[from], t, (size_t)nt, now, NULL)
				 : store_follow_delete(s, m->ids[from], t, (size_t)nt, NULL);
			if (!m->present[from]) {
				CHECK_EQ_INT(st, STORE_NO_ACCOUNT);
				st_noacct++;
				goto next;
			}
			if (!CHECK_EQ_INT(st, STORE_OK))
				goto next;
			for (i = 0; i < nt; i++) {
				int j = tidx[i];
				if (!m->present[j]) {
					/* a missing target; with the following limit reached a
					 * store may say either */
					struct store_counts c;
					model_counts(m, from, &c);
					if (add && lim && lim->following &&
					    c.following >= lim->following)
						CHECK(t[i].result == STORE_TARGET_MISSING ||
						      t[i].result == STORE_MAX_FOLLOWING);
					else
						CHECK_EQ_INT(t[i].result, STORE_TARGET_MISSING);
					CHECK_EQ_INT(t[i].changed, 0);
					st_missing++;
				} else if (!add) {
					CHECK_EQ_INT(t[i].result, STORE_DONE);
					CHECK_EQ_INT(t[i].changed, m->f[from][j]);
					st_del += m->f[from][j];
					st_same += !m->f[from][j];
					m->f[from][j] = 0;
				} else if (m->f[from][j]) {
					CHECK_EQ_INT(t[i].result, STORE_DONE);
					CHECK_EQ_INT(t[i].changed, 0);
					st_same++;
				} else {
					/* which limits this follow would break */
					struct store_counts cf, ct;
					int bad[6] = {0}, any = 0;
					model_counts(m, from, &cf);
					model_counts(m, j, &ct);
					if (lim) {
						int pair = m->f[j][from];
						bad[STORE_MAX_FOLLOWING] =
						    lim->following && cf.following >= lim->following;
						bad[STORE_MAX_FOLLOWERS] =
						    lim->followers && ct.followers >= lim->followers;
						bad[STORE_MAX_MUTUAL_FROM] =
						    pair && lim->mutual && cf.mutual >= lim->mutual;
						bad[STORE_MAX_MUTUAL_TO] =
						    pair && lim->mutual && ct.mutual >= lim->mutual;
					}
					for (k = 2; k < 6; k++)
						any |= bad[k];
					if (any) {
						int res = (int)t[i].result;
						if (!CHECK(res >= 2 && res < 6 && bad[res]))
							fprintf(stderr,
								"  %s -> %s: result %d, limits broken:"
								" following=%d followers=%d mfrom=%d "
								"mto=%d\n",
								m->ids[from], m->ids[j], res,
								bad[2], bad[3], bad[4], bad[5]);
						CHECK_EQ_INT(t[i].changed, 0);
						if (res >= 2 && res < 6)
							st_lim[res]++;
					} else {
						CHECK_EQ_INT(t[i].result, STORE_DONE);
						CHECK_EQ_INT(t[i].changed, 1);
						st_new++;
						st_pairs += m->f[j][from];
						m->f[from][j] = 1;
						m->t[from][j] = now;
					}
				}
			}
		}
	next:
		if (g_fail != fails0) {
			fprintf(stderr, "  random test: first failure at seed %llu op %d; stopping "
					"(rerun with STORE_TEST_TRACE=1 to see the sequence)\n",
				(unsigned long long)seed, op);
			break;
		}
		if (op % 250 == 249) {
			VERIFY_MODEL(s, m, 1 + rnd(6));
			if (g_fail != fails0)
				break;
		}
	}
	printf("  seed %llu: %d ops; new edges %ld (mutual pairs made %ld), unfollows %ld, "
	       "unchanged %ld, missing targets %ld, unknown from %ld, accounts deleted %ld; "
	       "limits following %ld followers %ld mutual-from %ld mutual-to %ld\n",
	       (unsigned long long)seed, op, st_new, st_pairs, st_del, st_same, st_missing,
	       st_noacct, st_acdel, st_lim[2], st_lim[3], st_lim[4], st_lim[5]);
	set_ctx("seed %llu end", (unsigned long long)seed);
	if (g_fail == fails0) {
		VERIFY_MODEL(s, m, 1000);
		VERIFY_MODEL(s, m, 2);
	}
	g_ctx[0] = '\0';
	return s;
}

static void model_init(struct model *m)
{
	size_t i;
	memset(m, 0, sizeof *m);
	for (i = 0; i < sizeof rand_ids / sizeof rand_ids[0]; i++) {
		snprintf(m->ids[i], sizeof m->ids[i], "%s", rand_ids[i]);
		m->present[i] = i < 17; /* "m10", "m2", "q" start absent */
	}
	m->n = (int)(sizeof rand_ids / sizeof rand_ids[0]);
}

static void import_model(struct store *s, const struct model *m)
{
	int i;
	for (i = 0; i < m->n; i++)
		if (m->present[i])
			IMPORT(s, m->ids[i]);
}

static void test_random_and_reopen(uint64_t seed)
{
	const char *d = tmpdir_new();
	static struct model m;
	struct store *s = OPEN(d, STORE_WRITE, 0, 0, 0);
	int fails0 = g_fail;

	if (!s)
		return;
	model_init(&m);
	import_model(s, &m);
	s = random_run(s, &m, seed, 3000, NULL);

	/* reopen: everything is still there */
	store_close(s);
	s = OPEN(d, STORE_WRITE, 0, 0, 0);
	if (!s)
		return;
	set_ctx("after reopen, seed %llu", (unsigned long long)seed);
	VERIFY_MODEL(s, &m, 3);
	g_ctx[0] = '\0';
	/* and it keeps working */
	if (g_fail == fails0)
		s = random_run(s, &m, seed + 1000, 500, NULL);
	store_close(s);
}

static void test_random_limits(uint64_t seed, struct limits lim)
{
	const char *d = tmpdir_new();
	static struct model m;
	struct store *s = OPEN(d, STORE_NOSYNC, lim.following, lim.followers, lim.mutual);

	if (!s)
		return;
	model_init(&m);
	import_model(s, &m);
	s = random_run(s, &m, seed, 2500, &lim);
	store_close(s);
}

/* Reopen with durability=sync, and a store closed right after its writes. */
static void test_reopen_sync(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_SYNC, 0, 0, 0);
	const char *ids[] = {"p", "q", "r"};
	int i;

	if (!s)
		return;
	CHECK_EQ_INT(store_account_import(s, ids, 3), STORE_OK);
	FOLLOW_NEW(s, "p", "q", 7);
	FOLLOW_NEW(s, "q", "p", 9);
	FOLLOW_NEW(s, "r", "p", 9);
	store_close(s);
	for (i = 0; i < 2; i++) {
		s = OPEN(d, i ? STORE_NOSYNC : STORE_SYNC, 0, 0, 0);
		if (!s)
			return;
		CHECK_EQ_INT(EXISTS(s, "r"), 1);
		COUNTS(s, "p", 2, 1, 1);
		{
			struct store_item fans[] = {mk("q", 9), mk("r", 9)};
			struct store_item mut[] = {mk("q", 9)};
			LIST_IS(s, "p", STORE_FANS, fans, 2);
			LIST_IS(s, "p", STORE_MUTUAL, mut, 1);
		}
		store_close(s);
	}
}

/* Several processes, each with its own store handle, on one hot account (deadlock retries). */
static void test_processes(void)
{
	enum { P = 4, K = 120 };
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
	char id[32];
	int p, i, status;
	pid_t pids[P];
	long fol = 0, fing = 0, mut = 0;

	if (!s)
		return;
	IMPORT(s, "hot");
	for (p = 0; p < P; p++)
		for (i = 0; i < K; i++) {
			snprintf(id, sizeof id, "c%d_%03d", p, i);
			IMPORT(s, id);
			fol += i % 3 != 0;
			fing += i % 2 == 0;
			mut += i % 3 != 0 && i % 2 == 0;
		}
	store_close(s);
	fflush(NULL);
	for (p = 0; p < P; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			int bad = 0;
			g_fail = 0; /* count only this child's failures */
			alarm(120);
			s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
			if (!s)
				_exit(3);
			for (i = 0; i < K; i++) {
				int ch = -1;
				snprintf(id, sizeof id, "c%d_%03d", p, i);
				bad += FOLLOW(s, id, "hot", (uint32_t)(100 + i), &ch) != STORE_DONE ||
				       ch != 1;
				if (i % 2 == 0)
					bad += FOLLOW(s, "hot", id, (uint32_t)(100 + i), &ch) !=
						   STORE_DONE ||
					       ch != 1;
				if (i % 3 == 0)
					bad += UNFOLLOW(s, id, "hot", &ch) != STORE_DONE || ch != 1;
			}
			store_close(s);
			fflush(NULL);
			_exit(bad || g_fail ? 1 : 0);
		}
		CHECK(pids[p] > 0);
	}
	for (p = 0; p < P; p++) {
		if (pids[p] <= 0)
			continue;
		CHECK_EQ_INT(waitpid(pids[p], &status, 0), pids[p]);
		if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			fprintf(stderr, "  child %d: %s %d\n", p,
				WIFEXITED(status) ? "exit" : "signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
	if (!s)
		return;
	COUNTS(s, "hot", fol, fing, mut);
	{
		static struct store_item got[P * K + 1];
		CHECK_EQ_INT(WALK(s, "hot", STORE_FANS, 100, got, P * K + 1), fol);
		CHECK_EQ_INT(WALK(s, "hot", STORE_FOLLOWING, 100, got, P * K + 1), fing);
		CHECK_EQ_INT(WALK(s, "hot", STORE_MUTUAL, 100, got, P * K + 1), mut);
	}
	store_close(s);
}

/* A writer killed with SIGKILL in the middle of its work: the next open recovers, and the store
 * is consistent: counters, fans and mutual lists, and follow_check all agree with the
 * following lists (whatever the last committed transaction was). */
static void test_crash_recovery(void)
{
	const char *d = tmpdir_new();
	static struct model m;
	struct store *s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
	struct store_item items[MMAX + 1];
	int round, u, j, status;
	size_t n, i;

	if (!s)
		return;
	model_init(&m);
	import_model(s, &m);
	store_close(s);
	for (round = 0; round < 3; round++) {
		pid_t pid;
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			uint32_t now = 1;
			alarm(60);
			g_rng = 77 + (uint64_t)round;
			s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
			if (!s)
				_exit(3);
			for (;;) { /* until killed */
				struct store_target t[4];
				int from = (int)rnd((uint32_t)m.n), nt = 0, e;
				uint32_t r = rnd(100);
				memset(t, 0, sizeof t);
				if (r < 3) {
					store_account_delete(s, m.ids[from], &e);
					continue;
				}
				if (r < 8) {
					IMPORT(s, m.ids[from]);
					continue;
				}
				while (nt < 4) {
					int k = (int)rnd((uint32_t)m.n), dup = 0;
					for (i = 0; i < (size_t)nt; i++)
						dup |= strcmp(t[i].id, m.ids[k]) == 0;
					if (k != from && !dup)
						t[nt++].id = m.ids[k];
				}
				if (r < 60)
					store_follow_add(s, m.ids[from], t, 4, now++, NULL);
				else
					store_follow_delete(s, m.ids[from], t, 4, NULL);
			}
		}
		if (!CHECK(pid > 0))
			return;
		usleep(150000 + 100000 * (useconds_t)round);
		kill(pid, SIGKILL);
		CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		set_ctx("crash round %d", round);
		s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
		if (!s)
			return;
		/* the model is what the following lists say */
		memset(m.f, 0, sizeof m.f);
		for (u = 0; u < m.n; u++) {
			m.present[u] = EXISTS(s, m.ids[u]);
			if (!m.present[u])
				continue;
			n = WALK(s, m.ids[u], STORE_FOLLOWING, 1000, items, MMAX + 1);
			for (i = 0; i < n; i++) {
				for (j = 0; j < m.n && strcmp(m.ids[j], items[i].id) != 0; j++)
					;
				if (!CHECK(j < m.n && j != u))
					continue;
				m.f[u][j] = 1;
				m.t[u][j] = items[i].time;
			}
		}
		for (u = 0; u < m.n; u++)
			for (j = 0; j < m.n; j++)
				if (m.f[u][j] && !CHECK(m.present[j]))
					fprintf(stderr, "  \"%s\" follows the missing \"%s\"\n",
						m.ids[u], m.ids[j]);
		VERIFY_MODEL(s, &m, 3);
		g_ctx[0] = '\0';
		{
			long edges = 0;
			for (u = 0; u < m.n; u++)
				for (j = 0; j < m.n; j++)
					edges += m.f[u][j];
			printf("  crash round %d: %ld edges after recovery\n", round, edges);
		}
		store_close(s);
	}
}

static void run(const char *name, void (*fn)(void))
{
	int f0 = g_fail, c0 = g_checks;
	fn();
	printf("%-24s %s (%d checks, %d failed)\n", name, g_fail == f0 ? "ok  " : "FAIL",
	       g_checks - c0, g_fail - f0);
	fflush(stdout);
}

static void random_default(void)
{
	test_random_and_reopen(1);
	test_random_and_reopen(2);
}

/* The same random run, every store opening its tables lazily (the first open of a new folder
 * still makes them all; the reopen then opens each at its first use). */
static void random_lazy(void)
{
	g_lazy = 1;
	test_random_and_reopen(6);
	g_lazy = 0;
}

static void random_limits(void)
{
	struct limits a = {5, 4, 2}, b = {3, 6, 1}, c = {0, 0, 1};
	test_random_limits(3, a);
	test_random_limits(4, b);
	test_random_limits(5, c);
}

/* store_dead_opener (what a plain CGI call blocked for seconds asks): another process with
 * the environment open is alive, then killed. Asking must not cost the asker its own registry
 * slot: a later opener would take it for dead and recover under it. */
static void test_dead_opener(void)
{
	const char *d = tmpdir_new();
	struct store *s = OPEN(d, STORE_NOSYNC, 0, 0, 0);
	int ready[2], status;
	pid_t pid;
	char c = 0;

	if (!s)
		return;
	IMPORT(s, "held");
	CHECK_EQ_INT(store_dead_opener(s), 0); /* alone: only itself in the registry */
	if (!CHECK(pipe(ready) == 0))
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct store *other;
		alarm(60);
		other = OPEN(d, STORE_NOSYNC, 0, 0, 0);
		if (!other || EXISTS(other, "held") != 1 || write(ready[1], "r", 1) != 1)
			_exit(3);
		for (;;)
			pause(); /* until killed, the environment open */
	}
	if (!CHECK(pid > 0))
		return;
	CHECK_EQ_INT((int)read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	CHECK_EQ_INT(store_dead_opener(s), 0);  /* the other one lives */
	CHECK_EQ_INT(store_orphaned(s), 0);     /* its open did not recover under this one */
	CHECK_EQ_INT(EXISTS(s, "held"), 1);
	kill(pid, SIGKILL);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK_EQ_INT(store_dead_opener(s), 1);  /* killed with the environment open */
	CHECK_EQ_INT(store_dead_opener(s), 1);  /* and asking again changes nothing */
	store_close(s);
}

int main(void)
{
	int i;
	const char *env = getenv("STORE_TEST_TRACE");

	g_trace = env && *env && *env != '0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("open errors", test_open_errors);
	run("accounts", test_accounts);
	run("follow add/delete/check", test_follow_basic);
	run("account delete", test_account_delete);
	run("limits", test_limits);
	run("list order", test_list_order);
	run("paging with changes", test_paging_changes);
	run("3000 fans", test_big_list);
	run("random + reopen", random_default);
	run("random, lazy tables", random_lazy);
	run("random with limits", random_limits);
	run("reopen (sync)", test_reopen_sync);
	run("processes", test_processes);
	run("crash recovery", test_crash_recovery);
	run("a dead opener", test_dead_opener);

	for (i = 0; i < g_ndirs; i++)
		rm_rf(g_dirs[i]);
	return check_summary("store_test");
}
