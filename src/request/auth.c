/* auth.c - validates the query string's app, identity and signature parameters. */
#include "request/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "request/query.h"
#include "request/usersig.h"

/* Decimal uint32 without sign, spaces or leading junk. */
static int parse_u32(const char *s, unsigned long *out)
{
	char *end;
	if (*s < '0' || *s > '9' || strlen(s) > 10)
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || *end || *out > 0xffffffffUL) ? -1 : 0;
}

struct params {
	char *sdkappid, *identifier, *usersig, *random, *contenttype;
	int bad_sdkappid, bad_identifier, bad_usersig, bad_random, bad_contenttype;
};

static void params_free(struct params *p)
{
	free(p->sdkappid);
	free(p->identifier);
	free(p->usersig);
	free(p->random);
	free(p->contenttype);
}

static int check(const struct app *app, const struct params *p, enum family family, char *info,
		 size_t infolen)
{
	unsigned long n;
	int code;
#define FAIL(code, ...) return snprintf(info, infolen, __VA_ARGS__), (code)
	if (!p->sdkappid)
		FAIL(ERR_NO_SDKAPPID, "sdkappid is missing from the query string");
	if (p->bad_sdkappid || parse_u32(p->sdkappid, &n) != 0 || n != app->conf.sdkappid)
		FAIL(ERR_BAD_SDKAPPID, "sdkappid is not a configured app");
	if (!p->identifier || p->bad_identifier || !*p->identifier)
		FAIL(ERR_QUERY, "identifier is missing or malformed");
	if (!p->usersig)
		FAIL(ERR_QUERY, "usersig is missing");
	if (!*p->usersig)
		FAIL(ERR_SIG_EMPTY, "usersig is empty");
	if (!p->random || p->bad_random || parse_u32(p->random, &n) != 0)
		FAIL(ERR_QUERY, "random is missing or not a decimal uint32");
	if (!p->contenttype || strcmp(p->contenttype, "json") != 0)
		FAIL(ERR_QUERY, "contenttype is missing or not json");
	if ((code = usersig_verify(p->usersig, app->conf.secret_key, app->conf.sdkappid,
				   p->identifier, time(NULL), info, infolen)) != 0)
		return code;
	if (!conf_is_admin(&app->conf, p->identifier))
		FAIL(family == FAMILY_FOLLOW ? ERR_FOLLOW_NOT_ADMIN : ERR_NOT_ADMIN,
		     "identifier is not an app administrator");
#undef FAIL
	return 0;
}

int auth_check(const struct app *app, const struct http_req *req, enum family family,
	       char *info, size_t infolen)
{
	struct params p;
	int code;
	memset(&p, 0, sizeof(p));
	if (query_get(req->query, "sdkappid", &p.sdkappid, &p.bad_sdkappid) < 0 ||
	    query_get(req->query, "identifier", &p.identifier, &p.bad_identifier) < 0 ||
	    query_get(req->query, "usersig", &p.usersig, &p.bad_usersig) < 0 ||
	    query_get(req->query, "random", &p.random, &p.bad_random) < 0 ||
	    query_get(req->query, "contenttype", &p.contenttype, &p.bad_contenttype) < 0) {
		snprintf(info, infolen, "out of memory");
		code = family == FAMILY_FOLLOW ? ERR_INTERNAL : ERR_ACCOUNT_INTERNAL;
	} else {
		code = check(app, &p, family, info, infolen);
	}
	params_free(&p);
	return code;
}
