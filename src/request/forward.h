/* forward.h - a replica passes a write on to its group's master (repl_sites). */
#ifndef FORWARD_H
#define FORWARD_H

#include <stddef.h>

#include "http/http.h"
#include "store/store.h"

/* Sends req (its path, query string and body, unchanged) to the site's URL and returns the
 * answer's body (malloc'd), or NULL with the reason in why when no answer came back. */
char *forward_call(const struct store_repl_site *to, const struct http_req *req, char *why,
		   size_t whylen);

#endif
