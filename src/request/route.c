/* route.c - the table of APIs, and the checks every call passes before its handler runs. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "request/app.h"
#include "request/auth.h"
#include "request/batch.h"
#include "request/body.h"
#include "request/forward.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/jsoncheck.h"
#include "common/metrics.h"
#include "request/ratelimit.h"

#define FOLLOW_INFO_MAX 20 /* accounts in one follow_get_info (spec §5a) */

/* Each limit is the most targets one call names: accounts, but a portrait_set's tags and the
 * items of a follow_get page. */
static const struct route routes[] = {
	{"follow", "follow_add", api_follow_add, FAMILY_FOLLOW, STORE_CHANGE_MAX, 1},
	{"follow", "follow_delete", api_follow_delete, FAMILY_FOLLOW, STORE_CHANGE_MAX, 1},
	{"follow", "follow_check", api_follow_check, FAMILY_FOLLOW, BATCH_MAX, 0},
	{"follow", "follow_get", api_follow_get, FAMILY_FOLLOW, FOLLOW_PAGE_MAX, 0},
	{"follow", "follow_get_info", api_follow_get_info, FAMILY_FOLLOW, FOLLOW_INFO_MAX, 0},
	{"im_open_login_svc", "account_import", api_account_import, FAMILY_ACCOUNT, 1, 1},
	{"im_open_login_svc", "multiaccount_import", api_multiaccount_import, FAMILY_ACCOUNT,
	 BATCH_MAX, 1},
	{"im_open_login_svc", "account_check", api_account_check, FAMILY_ACCOUNT, BATCH_MAX, 0},
	{"im_open_login_svc", "account_delete", api_account_delete, FAMILY_ACCOUNT, BATCH_MAX, 1},
	{"profile", "portrait_set", api_portrait_set, FAMILY_PROFILE, STORE_TAGS_MAX, 1},
	{"profile", "portrait_get", api_portrait_get, FAMILY_PROFILE, BATCH_MAX, 0},
};

/* batch_read would silently clamp a larger limit. */
_Static_assert(STORE_CHANGE_MAX <= BATCH_MAX && FOLLOW_INFO_MAX <= BATCH_MAX,
	       "a batch holds every target a route allows");

const unsigned route_count = sizeof(routes) / sizeof(routes[0]);
_Static_assert(sizeof(routes) / sizeof(routes[0]) < METRICS_APIS,
	       "the metrics count every API and the unknown ones");

const char *route_name(unsigned i)
{
	return routes[i].command;
}

/* Finds /v4/<service>/<command> exactly; nothing may follow the command. */
static const struct route *find(const char *path)
{
	static const char prefix[] = "/v4/";
	const char *svc, *slash;
	size_t i, slen;
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	svc = path + sizeof(prefix) - 1;
	if (!(slash = strchr(svc, '/')))
		return NULL;
	slen = (size_t)(slash - svc);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strlen(routes[i].service) == slen && strncmp(routes[i].service, svc, slen) == 0 &&
		    strcmp(routes[i].command, slash + 1) == 0)
			return &routes[i];
	return NULL;
}

int family_bad_code(enum family f)
{
	return f == FAMILY_FOLLOW ? ERR_BAD_FIELD : f == FAMILY_ACCOUNT ? ERR_ACCOUNT_PARAM
								  : ERR_PROFILE_BAD_PARAM;
}

static int internal_code(enum family f)
{
	return f == FAMILY_FOLLOW ? ERR_INTERNAL : ERR_ACCOUNT_INTERNAL;
}

#define MASTER_POLL_US 20000 /* a write waiting for a master looks this often */

/* The ErrorCode of an answer another site gave. */
static int answer_code(const char *json)
{
	const char *p = strstr(json, "\"ErrorCode\":");
	return p ? atoi(p + 12) : 0;
}

/*
 * A write on a replicated site: NULL when this site is the master (the caller runs it here).
 * Otherwise the master's answer to the same call, passed on, or the family's internal error
 * when no master is known within repl_master_wait_ms (then nothing was done anywhere). A call
 * that another site passed on is never passed on again: two sites that each think the other
 * is the master would send it back and forth.
 */
static char *to_master(struct app *app, const struct call *c, int *code)
{
	uint64_t until = clock_mono_us() + 1000ull * app->conf.repl.master_wait_ms;
	char why[512] = "no site of the group is the master (an election may be under way)";
	struct reply r;
	for (;;) {
		struct store_repl_state st;
		if (store_repl_state(app->store, &st) == STORE_OK) {
			if (st.is_master)
				return NULL;
			if (st.master >= 0 && !c->req->forwarded_for[0]) {
				char *out = forward_call(&app->conf.repl.sites[st.master], c->req, why,
							 sizeof(why));
				if (out) {
					*code = answer_code(out);
					return out;
				}
			}
		} else {
			snprintf(why, sizeof(why), "this site's storage is not ready");
		}
		if (clock_mono_us() >= until)
			break;
		usleep(MASTER_POLL_US);
	}
	*code = internal_code(c->route->family);
	reply_init(&r);
	reply_fail(&r, *code, "cannot write now: %s; nothing was changed, please retry", why);
	return reply_finish(&r);
}

/* Whether ip is a site of this site's group (only they may say whom they pass a call on for). */
static int from_group(const struct app *app, const char *ip)
{
	size_t i;
	for (i = 0; app->conf.repl_on && i < app->conf.repl.n_sites; i++)
		if (strcmp(app->conf.repl.sites[i].host, ip) == 0)
			return 1;
	return 0;
}

/* One call in the shared metrics: its API (route_count: unknown), answer, time and results
 * (the reply's, taken before reply_finish clears it). */
static void count_call(struct app *app, const struct call *c, const struct reply_results *res,
		       int code, uint64_t t0)
{
	unsigned api = c->route ? (unsigned)(c->route - routes) : route_count;
	int i;
	metrics_request(app->metrics, api, code, clock_mono_us() - t0);
	for (i = 0; i < res->n; i++)
		metrics_result(app->metrics, api, res->kind[i].code, res->kind[i].n);
	store_sync_metrics(app->store, app->metrics, &app->seen);
}

char *route_request(const struct http_req *req, void *appp)
{
	struct app *app = appp;
	struct call c = {app, NULL, req, NULL, (uint32_t)time(NULL), req->client_ip};
	uint64_t t0 = clock_mono_us();
	struct reply r;
	struct reply_results results;
	char info[256], *out;
	int code;

	/* Not an API call: no UserSig, no rate-limit slot, not counted. */
	if (strcmp(req->path, "/metrics") == 0)
		return metrics_page(app, req);
	c.route = find(req->path);
	/* A replica sends writes to the master before anything else: the master checks them. */
	if (c.route && c.route->writes && app->conf.repl_on && app->store && !req->body_too_big &&
	    (out = to_master(app, &c, &code))) {
		results.n = 0;
		count_call(app, &c, &results, code, t0);
		return out;
	}
	if (req->forwarded_for[0] && from_group(app, req->client_ip))
		c.client_ip = req->forwarded_for;
	reply_init(&r);
	if (!c.route)
		reply_fail(&r, ERR_NO_SUCH_API, "no API at %.100s", req->path);
	else if (strcmp(req->method, "POST") != 0)
		reply_fail(&r, ERR_METHOD, "method %.20s not allowed; use POST", req->method);
	else if (req->body_too_big)
		reply_fail(&r, ERR_HTTP_PARSE, "request body is larger than %zu bytes",
			   app->conf.max_body_bytes);
	else if ((code = auth_check(app, req, c.route->family, info, sizeof(info))) != 0)
		reply_fail(&r, code, "%s", info);
	else if (!ratelimit_allow(app->rate, (size_t)(c.route - routes), app->conf.rate_limit,
				  (time_t)c.now))
		reply_fail(&r, ERR_RATE, "more than %u calls of %s in one second",
			   app->conf.rate_limit, c.route->command);
	else if ((code = body_parse(req->body, req->body_len, &c.body)) == BODY_INVALID)
		reply_fail(&r, ERR_JSON, "request body is empty, not valid JSON, not an object, "
					 "or nested deeper than %d levels", JSON_MAX_DEPTH);
	else if (code == BODY_DUPLICATE_KEY)
		reply_fail(&r, family_bad_code(c.route->family), "request body repeats a JSON key");
	else if (app->repl_cgi)
		reply_fail(&r, internal_code(c.route->family),
			   "replication (repl_self) needs long-lived processes: host follow.fcgi "
			   "as FastCGI, not as plain CGI");
	else if (!app->store)
		reply_fail(&r, internal_code(c.route->family),
			   "storage unavailable (see the service log); please retry");
	else
		c.route->handle(&c, &r);
	json_object_put(c.body);
	if (c.route && c.route->writes && app->store && app->conf.repl_on) {
		/* The master stepped down during the call: nothing was written; pass it on. */
		if (store_take_not_master(app->store) && (out = to_master(app, &c, &code))) {
			free(r.buf);
			results.n = 0;
			count_call(app, &c, &results, code, t0);
			return out;
		}
		if (store_take_unacked(app->store))
			reply_fail(&r, internal_code(c.route->family),
				   "the change was not acknowledged by enough sites of the group "
				   "(repl_ack) in time; it may not last, please retry");
	}
	results = r.results;
	code = r.code;
	if (!(out = reply_finish(&r))) {
		code = c.route ? internal_code(c.route->family) : ERR_INTERNAL;
		out = reply_static_fail(code);
		results.n = 0; /* none of them was sent */
	}
	count_call(app, &c, &results, code, t0);
	return out;
}
