/* forward.c - the HTTP client side of passing a write to the master, with libcurl. One handle
 * per process, kept between calls, so its connection to the master is reused. */
#include "request/forward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/libcurl.h"

#define FORWARD_TIMEOUT_MS 10000 /* the master's commit waits for acks (repl_ack_timeout_ms) */
#define FORWARD_CONNECT_TIMEOUT_MS 1000
#define FORWARD_ANSWER_MAX (4 * 1024 * 1024) /* a bigger answer is not the master's */
#define FORWARD_URL_MAX 8192

static const struct curl_api *cu;
static CURL *handle;

struct answer {
	char *buf;
	size_t len;
	int too_big;
};

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t more = size * n;
	char *grown;
	if (a->len + more > FORWARD_ANSWER_MAX || !(grown = realloc(a->buf, a->len + more + 1))) {
		a->too_big = 1;
		return 0; /* ends the transfer */
	}
	a->buf = grown;
	memcpy(a->buf + a->len, data, more);
	a->len += more;
	a->buf[a->len] = '\0';
	return more;
}

static CURL *get_handle(char *why, size_t whylen)
{
	if (handle)
		return handle;
	if (!cu && !(cu = libcurl(why, whylen)))
		return NULL;
	if (cu->global_init(CURL_GLOBAL_DEFAULT) != 0 || !(handle = cu->easy_init()))
		snprintf(why, whylen, "cannot set up libcurl");
	return handle;
}

char *forward_call(const struct store_repl_site *to, const struct http_req *req, char *why,
		   size_t whylen)
{
	char url[FORWARD_URL_MAX], from[128];
	struct curl_slist *headers = NULL, *h;
	struct answer a = {NULL, 0, 0};
	CURL *curl = get_handle(why, whylen);
	long status = 0;
	CURLcode rc;
	if (!curl)
		return NULL;
	if (snprintf(url, sizeof(url), "%s%s%s%s", to->url, req->path, *req->query ? "?" : "",
		     req->query) >= (int)sizeof(url)) {
		snprintf(why, whylen, "the call's URL is too long to pass on");
		return NULL;
	}
	snprintf(from, sizeof(from), "X-Follow-Forwarded-For: %s", req->client_ip);
	if (!(h = cu->slist_append(NULL, "Content-Type: application/json")) ||
	    !(headers = cu->slist_append(h, from))) {
		cu->slist_free_all(h);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if ((rc = cu->easy_setopt(curl, CURLOPT_URL, url)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_POST, 1L)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_POSTFIELDS, req->body ? req->body : "")) !=
		    CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)req->body_len)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)FORWARD_TIMEOUT_MS)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
				  (long)FORWARD_CONNECT_TIMEOUT_MS)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_WRITEDATA, &a)) != CURLE_OK ||
	    (rc = cu->easy_perform(curl)) != CURLE_OK ||
	    (rc = cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status)) != CURLE_OK) {
		snprintf(why, whylen, "the master at %s did not answer: %s", to->url,
			 a.too_big ? "its answer is too long" : cu->easy_strerror(rc));
		status = 0;
	} else if (status != 200 || !a.buf) {
		snprintf(why, whylen, "the master at %s answered HTTP %ld", to->url, status);
		status = 0;
	}
	/* The list goes now; unsetting an option cannot fail in a way that matters here. */
	(void)cu->easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
	cu->slist_free_all(headers);
	if (!status) {
		free(a.buf);
		return NULL;
	}
	return a.buf;
}
