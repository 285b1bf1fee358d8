/* fuzz_request.c - libFuzzer harness: whole requests through route_request(), against a real
 * Berkeley DB store in a temporary folder, with every src/ file but main.c and http.c linked in.
 *
 * Input layout (the first byte chooses the mode):
 *   byte 0, bit 0 clear - raw mode: the rest is "PATH\nQUERY\nBODY" (split at the first two
 *       '\n'; a missing part is empty). Method POST, or GET when bit 1 is set. In QUERY, "@SIG@"
 *       becomes the valid administrator UserSig, so raw inputs can pass auth too, and "@SIGU1@",
 *       "@SIGOLD@", "@SIGAPP@", "@SIGKEY@" become UserSigs that fail one check each (made for
 *       the non-admin u1, expired, for another sdkappid, with another key).
 *       body_too_big when bits 2-4 are all set.
 *   byte 0, bit 0 set - authed mode: byte 1 picks one of the APIs (modulo their number, in the
 *       order of paths[] below), the query is the valid administrator one, the rest of the input
 *       is the body. Always POST; body_too_big when bits 1-4 are all set.
 *
 * Every answer must be non-NULL, start with {"ActionStatus":", parse as a JSON object with an
 * integer ErrorCode and a matching ActionStatus. No answer may be an internal error (the store
 * never fails here), and an authed-mode answer never fails the query-string/auth checks.
 * A callback URL is configured (nothing listens there; only the dispatcher would call it), so
 * follow changes also write webhook events; the harness drains the outbox after each input.
 * FUZZ_VERBOSE=1 in the environment prints each request's path and answer (for replaying). */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "request/app.h"
#include "common/conf.h"
#include "common/errors.h"
#include "http/http.h"
#include "request/ratelimit.h"
#include "store/store.h"
#include "request/usersig.h"

#define SDKAPPID 1400000000u
#define SECRET "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
#define ADMIN "administrator"
#define OTHER_KEY "0000000000000000000000000000000000000000000000000000000000000000"

static const char *const paths[] = {
	"/v4/follow/follow_add",
	"/v4/follow/follow_delete",
	"/v4/follow/follow_check",
	"/v4/follow/follow_get",
	"/v4/follow/follow_get_info",
	"/v4/im_open_login_svc/account_import",
	"/v4/im_open_login_svc/multiaccount_import",
	"/v4/im_open_login_svc/account_check",
	"/v4/im_open_login_svc/account_delete",
	"/v4/profile/portrait_set",
	"/v4/profile/portrait_get",
};
#define N_PATHS (sizeof(paths) / sizeof(paths[0]))

static const char *const accounts[] = {"u1", "u2", "u3", "u4", "u5"};
#define N_ACCOUNTS (sizeof(accounts) / sizeof(accounts[0]))

static char g_tmp[4096];
static struct app g_app;
static char *g_sig; /* the valid administrator UserSig */

/* Raw mode's query placeholders and the UserSigs they stand for; [0] is g_sig. */
static struct {
	const char *token;
	char *sig;
} g_tokens[] = {{"@SIG@", NULL},    {"@SIGU1@", NULL},  {"@SIGOLD@", NULL},
		{"@SIGAPP@", NULL}, {"@SIGKEY@", NULL}};
#define N_TOKENS (sizeof(g_tokens) / sizeof(g_tokens[0]))
static char *g_query; /* the valid administrator query string */
static int g_verbose;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_request: %s\n", what);
	abort();
}

/* rm -rf of the harness's own folder: plain files and folders only, no symlinks followed. */
static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char child[4096];
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) <
			    (int)sizeof(child))
				remove_tree(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void cleanup(void)
{
	size_t i;
	if (g_app.store)
		store_close(g_app.store);
	g_app.store = NULL;
	ratelimit_close(g_app.rate);
	g_app.rate = NULL;
	conf_free(&g_app.conf);
	for (i = 0; i < N_TOKENS; i++) {
		free(g_tokens[i].sig);
		g_tokens[i].sig = NULL;
	}
	g_sig = NULL;
	free(g_query);
	g_query = NULL;
	if (g_tmp[0])
		remove_tree(g_tmp);
	g_tmp[0] = '\0';
}

/* The state every input starts from, whatever earlier inputs deleted: u1..u5 imported and
 * all following each other (mutual), each edge made at BASE_TIME, so a seed's StartCursor can
 * name a real position ("02" "6553f100" "7533" is u1's following list after u3). Reads only,
 * unless an edge is missing. Edges to other accounts accumulate from input to input. */
#define BASE_TIME 1700000000u /* 0x6553f100 */
static void baseline(void)
{
	struct store_target t[N_ACCOUNTS - 1];
	size_t i, j, n;
	int whole;
	if (store_account_import(g_app.store, accounts, N_ACCOUNTS) != STORE_OK)
		die("cannot import the baseline accounts");
	for (i = 0; i < N_ACCOUNTS; i++) {
		memset(t, 0, sizeof(t));
		for (j = n = 0; j < N_ACCOUNTS; j++)
			if (j != i)
				t[n++].id = accounts[j];
		if (store_follow_check(g_app.store, accounts[i], t, n) != STORE_OK)
			die("cannot read the baseline edges");
		for (j = 0, whole = 1; j < n; j++)
			whole &= t[j].follow_type == 3;
		/* A target may refuse (max_following reached through other inputs): that is fine. */
		if (!whole && store_follow_add(g_app.store, accounts[i], t, n, BASE_TIME, NULL) != STORE_OK)
			die("cannot make the baseline edges");
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmpdir = getenv("TMPDIR");
	char conf_path[4200], err[512];
	struct store_opts opts;
	FILE *f;
	size_t qlen, i;
	time_t now;

	(void)argc;
	(void)argv;
	g_verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	if (snprintf(g_tmp, sizeof(g_tmp), "%s/follow-fuzz-XXXXXX", tmpdir) >= (int)sizeof(g_tmp) ||
	    !mkdtemp(g_tmp))
		die("cannot make the temporary folder");
	atexit(cleanup);

	snprintf(conf_path, sizeof(conf_path), "%s/follow.conf", g_tmp);
	if (!(f = fopen(conf_path, "w")))
		die("cannot write follow.conf");
	fprintf(f, "sdkappid = %u\n"
		   "secret_key = " SECRET "\n"
		   "admins = " ADMIN "\n"
		   "data_dir = data\n"
		   "durability = nosync\n"
		   "max_following = 50\n"
		   "callback_url = http://127.0.0.1:9/fuzz-webhook\n"
		   "callback_token = fuzz\n",
		SDKAPPID);
	if (fclose(f) != 0)
		die("cannot write follow.conf");
	if (conf_load(conf_path, &g_app.conf, err, sizeof(err)) != 0)
		die(err);
	if (mkdir(g_app.conf.data_dir, 0700) != 0 && errno != EEXIST)
		die("cannot make data_dir");

	opts.dir = g_app.conf.data_dir;
	opts.durability = g_app.conf.durability;
	opts.max_following = g_app.conf.max_following;
	opts.max_followers = g_app.conf.max_followers;
	opts.max_mutual = g_app.conf.max_mutual;
	if (!(g_app.rate = ratelimit_open(g_app.conf.data_dir, route_count, err, sizeof(err))))
		die(err);
	g_app.opts = opts; /* as main.c keeps it */
	if (!(g_app.store = store_open(&opts, err, sizeof(err))))
		die(err);
	baseline();

	now = time(NULL);
	g_tokens[0].sig = usersig_make(SECRET, SDKAPPID, ADMIN, 86400L * 365, now);
	g_tokens[1].sig = usersig_make(SECRET, SDKAPPID, "u1", 86400L * 365, now);
	g_tokens[2].sig = usersig_make(SECRET, SDKAPPID, ADMIN, 86400L, now - 2 * 86400L);
	g_tokens[3].sig = usersig_make(SECRET, SDKAPPID + 1, ADMIN, 86400L * 365, now);
	g_tokens[4].sig = usersig_make(OTHER_KEY, SDKAPPID, ADMIN, 86400L * 365, now);
	for (i = 0; i < N_TOKENS; i++)
		if (!g_tokens[i].sig)
			die("usersig_make failed");
	g_sig = g_tokens[0].sig;
	qlen = strlen(g_sig) + 128;
	if (!(g_query = malloc(qlen)))
		die("out of memory");
	snprintf(g_query, qlen,
		 "sdkappid=%u&identifier=" ADMIN "&usersig=%s&random=1&contenttype=json", SDKAPPID,
		 g_sig);
	return 0;
}

/* s[0..len) as a malloc'd NUL-terminated string. */
static char *dup_bytes(const uint8_t *s, size_t len)
{
	char *p = malloc(len + 1);
	if (!p)
		die("out of memory");
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* The placeholder starting at s[0..len), or -1. */
static int token_at(const uint8_t *s, size_t len)
{
	size_t i;
	if (len == 0 || s[0] != '@')
		return -1;
	for (i = 0; i < N_TOKENS; i++) {
		size_t tok = strlen(g_tokens[i].token);
		if (tok <= len && memcmp(s, g_tokens[i].token, tok) == 0)
			return (int)i;
	}
	return -1;
}

/* The query text with every placeholder replaced by its UserSig. */
static char *expand_query(const uint8_t *s, size_t len)
{
	size_t cap = len + 1, i;
	char *out, *o;
	int t;
	for (i = 0; i < len; i++)
		if ((t = token_at(s + i, len - i)) >= 0)
			cap += strlen(g_tokens[t].sig);
	if (!(out = malloc(cap)))
		die("out of memory");
	for (i = 0, o = out; i < len;) {
		if ((t = token_at(s + i, len - i)) >= 0) {
			size_t siglen = strlen(g_tokens[t].sig);
			memcpy(o, g_tokens[t].sig, siglen);
			o += siglen;
			i += strlen(g_tokens[t].token);
		} else {
			*o++ = (char)s[i++];
		}
	}
	*o = '\0';
	return out;
}

/* Takes the webhook events the input made out of the outbox, as the dispatcher would after
 * delivering them, so it never grows. */
static void drain_outbox(void)
{
	struct store_event ev;
	int found, i;
	for (i = 0; i < 1000; i++) {
		if (store_outbox_head(g_app.store, &ev, &found) != STORE_OK)
			die("cannot read the outbox");
		if (!found)
			return;
		if (ev.n > sizeof(ev.to) / sizeof(ev.to[0]) || !ev.from[0])
			die("malformed webhook event in the outbox");
		if (store_outbox_done(g_app.store, ev.id) != STORE_OK)
			die("cannot remove a webhook event");
	}
	die("the outbox does not empty");
}

static const uint8_t *find_nl(const uint8_t *p, const uint8_t *end)
{
	return p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
}

/* Codes the query string and routing produce: a valid authed request never gets one. */
static int is_auth_code(int code)
{
	switch (code) {
	case ERR_FOLLOW_NOT_ADMIN:
	case ERR_RATE:
	case ERR_METHOD:
	case ERR_NO_SUCH_API:
	case ERR_NOT_ADMIN:
	case ERR_NO_SDKAPPID:
	case ERR_QUERY:
	case ERR_SIG_EXPIRED:
	case ERR_SIG_EMPTY:
	case ERR_SIG_DECODE:
	case ERR_SIG_VERIFY:
	case ERR_SIG_IDENTIFIER:
	case ERR_SIG_SDKAPPID:
	case ERR_BAD_SDKAPPID:
		return 1;
	default:
		return 0;
	}
}

static void check_answer(const char *out, int authed, int too_big)
{
	static const char head[] = "{\"ActionStatus\":\"";
	struct json_object *o, *v;
	const char *status;
	int code;

	if (!out)
		die("route_request returned NULL");
	if (strncmp(out, head, sizeof(head) - 1) != 0) {
		fprintf(stderr, "answer: %s\n", out);
		die("answer does not start with {\"ActionStatus\":\"");
	}
	if (!(o = json_tokener_parse(out)) || !json_object_is_type(o, json_type_object)) {
		fprintf(stderr, "answer: %s\n", out);
		die("answer is not a JSON object");
	}
	if (!json_object_object_get_ex(o, "ErrorCode", &v) || !json_object_is_type(v, json_type_int)) {
		fprintf(stderr, "answer: %s\n", out);
		die("answer has no integer ErrorCode");
	}
	code = json_object_get_int(v);
	if (!json_object_object_get_ex(o, "ActionStatus", &v) ||
	    !json_object_is_type(v, json_type_string) || !(status = json_object_get_string(v)) ||
	    strcmp(status, code ? "FAIL" : "OK") != 0) {
		fprintf(stderr, "answer: %s\n", out);
		die("ActionStatus does not match ErrorCode");
	}
	if (code == ERR_INTERNAL || code == ERR_ACCOUNT_INTERNAL) {
		fprintf(stderr, "answer: %s\n", out);
		die("internal error answered");
	}
	if (authed && !too_big && is_auth_code(code)) {
		fprintf(stderr, "answer: %s\n", out);
		die("a valid administrator request failed the query/auth checks");
	}
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req req;
	const uint8_t *p, *end = data + size, *body, *nl;
	char method_post[] = "POST", method_get[] = "GET";
	size_t body_len;
	uint8_t mode;
	int authed;
	char *out;

	if (size < 1)
		return 0;
	baseline();
	memset(&req, 0, sizeof(req));
	mode = data[0];
	authed = mode & 1;
	p = data + 1;
	if (authed) {
		if (size < 2)
			return 0;
		req.path = dup_bytes((const uint8_t *)paths[data[1] % N_PATHS],
				     strlen(paths[data[1] % N_PATHS]));
		req.query = dup_bytes((const uint8_t *)g_query, strlen(g_query));
		req.method = method_post;
		req.body_too_big = (mode & 0x1e) == 0x1e;
		body = data + 2;
	} else {
		const uint8_t *q = p, *qend = end;
		body = end;
		if ((nl = find_nl(p, end))) {
			q = nl + 1;
			if ((qend = find_nl(q, end)))
				body = qend + 1;
			else
				qend = end;
		} else {
			nl = end;
			q = qend = end;
		}
		req.path = dup_bytes(p, (size_t)(nl - p));
		req.query = expand_query(q, (size_t)(qend - q));
		req.method = (mode & 2) ? method_get : method_post;
		req.body_too_big = (mode & 0x1c) == 0x1c;
	}
	body_len = (size_t)(end - body);
	if (!req.body_too_big) { /* as http.c: NULL body and length 0 when too big */
		req.body = dup_bytes(body, body_len);
		req.body_len = body_len;
	}
	strcpy(req.client_ip, "127.0.0.1");

	out = route_request(&req, &g_app);
	if (g_verbose)
		fprintf(stderr, "%s %s%s -> %s\n", req.method, req.path,
			req.body_too_big ? " (body too big)" : "", out ? out : "(NULL)");
	check_answer(out, authed, req.body_too_big);
	drain_outbox();

	free(out);
	free(req.path);
	free(req.query);
	free(req.body);
	return 0;
}
