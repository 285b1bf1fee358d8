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

/* The query's credentials, in the order spec §1 checks them. */
enum { Q_SDKAPPID, Q_IDENTIFIER, Q_USERSIG, Q_RANDOM, Q_CONTENTTYPE, Q_COUNT };

static int check(const struct app *app, const struct query_param *q, enum family family,
		 char *info, size_t infolen)
{
	const char *sdkappid = q[Q_SDKAPPID].value, *identifier = q[Q_IDENTIFIER].value,
		   *usersig = q[Q_USERSIG].value, *random = q[Q_RANDOM].value,
		   *contenttype = q[Q_CONTENTTYPE].value;
	unsigned long n;
	int code;
#define FAIL(code, ...) return snprintf(info, infolen, __VA_ARGS__), (code)
	if (!sdkappid)
		FAIL(ERR_NO_SDKAPPID, "sdkappid is missing from the query string");
	if (q[Q_SDKAPPID].bad || parse_u32(sdkappid, &n) != 0 || n != app->conf.sdkappid)
		FAIL(ERR_BAD_SDKAPPID, "sdkappid is not a configured app");
	if (!identifier || q[Q_IDENTIFIER].bad || !*identifier)
		FAIL(ERR_QUERY, "identifier is missing or malformed");
	if (!usersig)
		FAIL(ERR_QUERY, "usersig is missing");
	if (!*usersig)
		FAIL(ERR_SIG_EMPTY, "usersig is empty");
	if (!random || q[Q_RANDOM].bad || parse_u32(random, &n) != 0)
		FAIL(ERR_QUERY, "random is missing or not a decimal uint32");
	if (!contenttype || strcmp(contenttype, "json") != 0)
		FAIL(ERR_QUERY, "contenttype is missing or not json");
	if ((code = usersig_verify(usersig, app->conf.secret_key, app->conf.sdkappid, identifier,
				   time(NULL), info, infolen)) != 0)
		return code;
	if (!conf_is_admin(&app->conf, identifier))
		FAIL(family == FAMILY_FOLLOW ? ERR_FOLLOW_NOT_ADMIN : ERR_NOT_ADMIN,
		     "identifier is not an app administrator");
#undef FAIL
	return 0;
}

int auth_check(const struct app *app, const struct http_req *req, enum family family,
	       char *info, size_t infolen)
{
	struct query_param q[Q_COUNT] = {
		[Q_SDKAPPID] = {.name = "sdkappid"},	   [Q_IDENTIFIER] = {.name = "identifier"},
		[Q_USERSIG] = {.name = "usersig"},	   [Q_RANDOM] = {.name = "random"},
		[Q_CONTENTTYPE] = {.name = "contenttype"},
	};
	char *block;
	int code;
	if (query_find(req->query, q, Q_COUNT, &block) < 0) {
		snprintf(info, infolen, "out of memory");
		code = family == FAMILY_FOLLOW ? ERR_INTERNAL : ERR_ACCOUNT_INTERNAL;
	} else {
		code = check(app, q, family, info, infolen);
	}
	free(block);
	return code;
}
