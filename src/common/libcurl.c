/* libcurl.c - dlopen of libcurl's runtime library (Debian's libcurl4, which the -dev package
 * this is built against depends on). */
#include "common/libcurl.h"

#include <dlfcn.h>
#include <stdio.h>

#define LIBCURL_SONAME "libcurl.so.4"

static struct curl_api api;
static int loaded;

/* Assigning dlsym's void * to a function pointer is what POSIX requires to work. */
#define SYM(field, name)                                                                           \
	do {                                                                                       \
		*(void **)&api.field = dlsym(h, name);                                             \
		if (!api.field) {                                                                  \
			snprintf(err, errlen, "%s has no %s", LIBCURL_SONAME, name);               \
			return NULL;                                                               \
		}                                                                                  \
	} while (0)

const struct curl_api *libcurl(char *err, size_t errlen)
{
	void *h;
	if (loaded)
		return &api;
	if (!(h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(err, errlen, "cannot load %s: %s", LIBCURL_SONAME, dlerror());
		return NULL;
	}
	SYM(global_init, "curl_global_init");
	SYM(global_cleanup, "curl_global_cleanup");
	SYM(easy_init, "curl_easy_init");
	SYM(easy_setopt, "curl_easy_setopt");
	SYM(easy_perform, "curl_easy_perform");
	SYM(easy_getinfo, "curl_easy_getinfo");
	SYM(easy_strerror, "curl_easy_strerror");
	SYM(easy_escape, "curl_easy_escape");
	SYM(free, "curl_free");
	SYM(easy_cleanup, "curl_easy_cleanup");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	loaded = 1; /* never unloaded: curl keeps global state until exit */
	return &api;
}
