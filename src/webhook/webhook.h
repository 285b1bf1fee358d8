/* webhook.h - one delivery of a follow event to the app's callback URL (spec §8). */
#ifndef WEBHOOK_H
#define WEBHOOK_H

#include <stddef.h>

#include "common/conf.h"
#include "store/store.h"

/* Sign: lowercase hex SHA-256 of token followed by the decimal request time (65 bytes). */
int webhook_sign(const char *token, long request_time, char out[65]);

/* POSTs ev to the callback URL; 0 when it answered HTTP 200 with a JSON body within 2 s, else
 * -1 with the reason in why. */
int webhook_deliver(const struct conf *c, const struct store_event *ev, char *why,
		    size_t whylen);

#endif
