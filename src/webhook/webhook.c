/* webhook.c - builds the callback's query string and body and sends them with libcurl. */
#include "webhook/webhook.h"

#include <json-c/json.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsoncheck.h"
#include "common/libcurl.h"

#define TIMEOUT_MS 2000L
#define ANSWER_MAX 65536 /* a receiver's answer beyond this is not a JSON acknowledgement */

int webhook_sign(const char *token, long request_time, char out[65])
{
	struct sha256_ctx ctx;
	uint8_t md[SHA256_DIGEST_SIZE];
	unsigned i;
	char text[512];
	int n = snprintf(text, sizeof(text), "%s%ld", token, request_time);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	sha256_init(&ctx);
	sha256_update(&ctx, (size_t)n, (const uint8_t *)text);
	sha256_digest(&ctx, sizeof(md), md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static const char *command(const struct store_event *ev)
{
	return ev->add ? "Follow.CallbackAfterFollowAdd" : "Follow.CallbackAfterFollowDelete";
}

/* The JSON body, malloc'd. */
static char *body(const struct store_event *ev)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	char *out = NULL;
	size_t i;
	int bad = !o || !list;
	for (i = 0; !bad && i < ev->n; i++) {
		struct json_object *id = json_object_new_string(ev->to[i]), *item = id;
		if (ev->add && id) {
			item = json_object_new_object();
			bad |= !item || json_object_object_add(item, "To_Account", id) != 0;
		}
		bad |= !item || json_object_array_add(list, item) != 0;
	}
	if (!bad) {
		bad |= json_object_object_add(o, "CallbackCommand",
					      json_object_new_string(command(ev))) != 0;
		bad |= json_object_object_add(o, "From_Account",
					      json_object_new_string(ev->from)) != 0;
		bad |= json_object_object_add(o, ev->add ? "FollowList" : "To_Account", list) != 0;
		list = NULL;
		bad |= json_object_object_add(o, "EventTime",
					      json_object_new_int64((int64_t)ev->time_ms)) != 0;
	}
	if (!bad)
		out = strdup(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(list);
	json_object_put(o);
	return out;
}

/* The callback URL with spec §8's parameters, plus EventId for de-duplication. */
static char *url(const struct curl_api *cu, const struct conf *c, const struct store_event *ev,
		 CURL *curl)
{
	char sign[65], *ip = cu->easy_escape(curl, ev->client_ip, 0), *out;
	const char *sep = strchr(c->callback_url, '?') ? "&" : "?";
	long now = (long)time(NULL);
	size_t cap = strlen(c->callback_url) + 512;
	int n;

	if (!ip || !(out = malloc(cap))) {
		cu->free(ip);
		return NULL;
	}
	n = snprintf(out, cap,
		     "%s%sSdkAppid=%u&CallbackCommand=%s&contenttype=json&ClientIP=%s"
		     "&OptPlatform=RESTAPI&EventId=%u",
		     c->callback_url, sep, (unsigned)c->sdkappid, command(ev), ip, (unsigned)ev->id);
	cu->free(ip);
	if (n > 0 && c->callback_token && *c->callback_token &&
	    webhook_sign(c->callback_token, now, sign) == 0)
		snprintf(out + n, cap - (size_t)n, "&RequestTime=%ld&Sign=%s", now, sign);
	return out;
}

struct answer {
	char buf[ANSWER_MAX];
	size_t len;
	int overflow;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *userp)
{
	struct answer *a = userp;
	size_t n = size * nmemb;
	if (a->len + n >= sizeof(a->buf)) {
		a->overflow = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
	return n;
}

int webhook_deliver(const struct conf *c, const struct store_event *ev, char *why,
		    size_t whylen)
{
	const struct curl_api *cu = libcurl(why, whylen);
	CURL *curl = cu ? cu->easy_init() : NULL;
	struct curl_slist *headers = NULL;
	struct answer *a;
	char *json, *u;
	long status = 0;
	CURLcode rc = CURLE_FAILED_INIT;
	int ret = -1;

	if (!cu)
		return -1;
	a = calloc(1, sizeof(*a));
	json = body(ev);
	u = curl ? url(cu, c, ev, curl) : NULL;
	if (!curl || !a || !json || !u ||
	    !(headers = cu->slist_append(NULL, "Content-Type: application/json"))) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if ((rc = cu->easy_setopt(curl, CURLOPT_URL, u)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_POSTFIELDS, json)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_TIMEOUT_MS, TIMEOUT_MS)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect)) != CURLE_OK ||
	    (rc = cu->easy_setopt(curl, CURLOPT_WRITEDATA, a)) != CURLE_OK ||
	    (rc = cu->easy_perform(curl)) != CURLE_OK ||
	    (rc = cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status)) != CURLE_OK) {
		snprintf(why, whylen, "%s",
			 a->overflow ? "answer too long" : cu->easy_strerror(rc));
		goto out;
	}
	if (status != 200)
		snprintf(why, whylen, "HTTP status %ld", status);
	else if (!json_strict_valid(a->buf, a->len, JSON_MAX_DEPTH, NULL))
		snprintf(why, whylen, "the answer is not JSON");
	else
		ret = 0;
out:
	cu->slist_free_all(headers);
	if (curl)
		cu->easy_cleanup(curl);
	free(u);
	free(json);
	free(a);
	return ret;
}
