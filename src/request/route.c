/* route.c - the table of APIs, and the checks every call passes before its handler runs. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "request/app.h"
#include "request/auth.h"
#include "request/batch.h"
#include "request/body.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/jsoncheck.h"
#include "common/metrics.h"
#include "request/ratelimit.h"

#define FOLLOW_INFO_MAX 20 /* accounts in one follow_get_info (spec §5a) */

/* Each limit is the most targets one call names: accounts, but a portrait_set's tags and the
 * items of a follow_get page. */
static const struct route routes[] = {
	{"follow", "follow_add", api_follow_add, FAMILY_FOLLOW, STORE_CHANGE_MAX},
	{"follow", "follow_delete", api_follow_delete, FAMILY_FOLLOW, STORE_CHANGE_MAX},
	{"follow", "follow_check", api_follow_check, FAMILY_FOLLOW, BATCH_MAX},
	{"follow", "follow_get", api_follow_get, FAMILY_FOLLOW, FOLLOW_PAGE_MAX},
	{"follow", "follow_get_info", api_follow_get_info, FAMILY_FOLLOW, FOLLOW_INFO_MAX},
	{"im_open_login_svc", "account_import", api_account_import, FAMILY_ACCOUNT, 1},
	{"im_open_login_svc", "multiaccount_import", api_multiaccount_import, FAMILY_ACCOUNT,
	 BATCH_MAX},
	{"im_open_login_svc", "account_check", api_account_check, FAMILY_ACCOUNT, BATCH_MAX},
	{"im_open_login_svc", "account_delete", api_account_delete, FAMILY_ACCOUNT, BATCH_MAX},
	{"profile", "portrait_set", api_portrait_set, FAMILY_PROFILE, STORE_TAGS_MAX},
	{"profile", "portrait_get", api_portrait_get, FAMILY_PROFILE, BATCH_MAX},
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
	struct call c = {app, NULL, req, NULL, (uint32_t)time(NULL)};
	uint64_t t0 = clock_mono_us();
	struct reply r;
	struct reply_results results;
	char info[256], *out;
	int code;

	/* Not an API call: no UserSig, no rate-limit slot, not counted. */
	if (strcmp(req->path, "/metrics") == 0)
		return metrics_page(app, req);
	c.route = find(req->path);
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
	else if (!app->store)
		reply_fail(&r, internal_code(c.route->family),
			   "storage unavailable (see the service log); please retry");
	else
		c.route->handle(&c, &r);
	json_object_put(c.body);
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
