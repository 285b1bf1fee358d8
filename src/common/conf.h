/* conf.h - the service's config file: keys, defaults, validation. */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

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
	char *callback_url;
	char *callback_token;
	uint32_t callback_retry_seconds; /* then an undeliverable event goes to dead-letter */
};

/* Reads path into c (defaults first). On error returns -1 with "file:line: reason" in err. */
int conf_load(const char *path, struct conf *c, char *err, size_t errlen);
void conf_free(struct conf *c);
int conf_is_admin(const struct conf *c, const char *id);
/* Creates data_dir and its parents when missing; 0 on success (errno set otherwise). */
int conf_make_data_dir(const struct conf *c);

#endif
