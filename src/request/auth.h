/* auth.h - the query string's credentials and the caller's admin rights. */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>

#include "request/app.h"

/* Checks sdkappid, identifier, usersig, random, contenttype and admin rights in the order of
 * spec §1. Returns 0 or an error code, with the reason in info. */
int auth_check(const struct app *app, const struct http_req *req, enum family family,
	       char *info, size_t infolen);

#endif
