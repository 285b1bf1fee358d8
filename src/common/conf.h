/* conf.h - the service's config file: keys, defaults, validation. */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CONF_NETS_MAX 32 /* addresses or networks in metrics_allow */

struct conf_net {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix; /* bits that must match */
};

struct conf {
	uint32_t sdkappid;
	char *secret_key;
	char **admins;
	size_t n_admins;
	char *data_dir; /* absolute */
	uint32_t max_following, max_followers, max_mutual;
	size_t max_body_bytes;
	uint32_t rate_limit; /* calls per second per API, 0 = none */
	enum store_durability durability;
	unsigned cache_mb;
	struct conf_net metrics_allow[CONF_NETS_MAX]; /* who may read /metrics */
	size_t n_metrics_allow;
	char *callback_url;
	char *callback_token;
	uint32_t callback_retry_seconds; /* then an undeliverable event goes to dead-letter */
	/* Replication: on when repl_self is set (repl.sites[repl.self] is this site). */
	int repl_on;
	struct store_repl repl;
	char repl_self_host[STORE_REPL_HOST_MAX + 1];
	unsigned repl_self_port;
};

/* Reads path into c (defaults first). On error returns -1 with "file:line: reason" in err. */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);
void conf_free(struct conf *c);
int conf_is_admin(const struct conf *c, const char *id);
/* 1 when ip (a REMOTE_ADDR) is in metrics_allow. */
int conf_metrics_allowed(const struct conf *c, const char *ip);
/* Creates data_dir and its parents when missing; 0 on success (errno set otherwise). */
int conf_make_data_dir(const struct conf *c);
/* The store options c sets; o->dir points into c. */
void conf_store_opts(const struct conf *c, struct store_opts *o);

/* The config file to read when none is named on the command line: $FOLLOW_CONF when set and not
 * empty (an empty value counts as unset), which is how the web server hands the service its
 * config. Else, when argv0 is given, the first that exists of follow.conf beside the running
 * program (found through /proc/self/exe, then argv0), ../conf/follow.conf (the repository),
 * ../etc/follow/ and ../../etc/follow/ (an install's PREFIX/bin and PREFIX/lib/follow), written
 * into buf; the repository's place when none exists. NULL when argv0 is NULL and FOLLOW_CONF
 * unset. A shared host cannot set the environment of a FastCGI process: its follow.fcgi finds
 * the follow.conf copied beside it. */
const char *conf_default_path(const char *argv0, char *buf, size_t len);

#endif
