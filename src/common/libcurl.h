/* libcurl.h - libcurl, loaded when first needed rather than linked. A plain CGI process starts
 * for every request, and linking libcurl maps some thirty libraries (TLS, LDAP, Kerberos, ...)
 * into each one: about 2.5 ms per request for a library only the webhook dispatcher uses. */
#ifndef LIBCURL_H
#define LIBCURL_H

#include <curl/curl.h>
#include <stddef.h>

struct curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	const char *(*easy_strerror)(CURLcode code);
	char *(*easy_escape)(CURL *curl, const char *s, int len);
	void (*free)(void *p);
	void (*easy_cleanup)(CURL *curl);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* The loaded library's functions (loaded once per process), or NULL with err set. */
const struct curl_api *libcurl(char *err, size_t errlen);

#endif
