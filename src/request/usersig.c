/* usersig.c - TLSSigAPIv2: base64url-ish text of a zlib-compressed JSON document signed with
 * HMAC-SHA256 over the app's secret key. The hashing is Nettle's, not OpenSSL's: OpenSSL 3
 * initialises its provider tables on the first hash of a process, about 5 million instructions,
 * more than the rest of a plain CGI call together (README, "Hosting"). */
#include "request/usersig.h"

#include <json-c/json.h>
#include <nettle/base64.h>
#include <nettle/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/errors.h"
#include "common/jsoncheck.h"

#define SIG_MAX 4096     /* longer UserSigs are not UserSigs */
#define DOC_MAX 4096     /* an inflated document beyond this is refused (zip bombs) */
#define DOC_DEPTH 4      /* a document is one flat object: deeper nesting is not a UserSig */
#define HMAC_B64 45      /* base64 of 32 bytes, padded, plus NUL */
#define TIME_BOUND ((int64_t)1 << 40)
#define CACHE_SLOTS 64       /* verified UserSigs a process remembers */
#define CACHE_SIG_MAX 1024   /* longer ones are verified every time */
#define CACHE_TEXT_MAX 128   /* the same for a longer key or identifier */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes standard padded base64 (after the UserSig's *-_ mapping) into out; -1 if malformed. */
static long b64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t i, o = 0, pad = 0;
	if (len == 0 || len % 4)
		return -1;
	if (in[len - 1] == '=')
		pad++;
	if (in[len - 2] == '=')
		pad++;
	for (i = 0; i < len; i += 4) {
		int v[4], k;
		for (k = 0; k < 4; k++) {
			int last = i + 4 == len;
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = b64val((unsigned char)in[i + k])) < 0)
				return -1;
		}
		/* Bits past the data must be zero, so each document has one encoding. */
		if (i + 4 == len && ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15))))
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)(o - pad);
}

static int inflate_doc(const unsigned char *in, size_t len, char *out, size_t cap, size_t *outlen)
{
	z_stream z;
	int ret;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -1;
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)out;
	z.avail_out = (uInt)(cap - 1);
	ret = inflate(&z, Z_FINISH);
	*outlen = z.total_out;
	inflateEnd(&z);
	if (ret != Z_STREAM_END || z.avail_in != 0)
		return -1;
	out[*outlen] = '\0';
	return 0;
}

int usersig_hmac(const char *key, const char *identifier, uint32_t sdkappid, int64_t time,
		 int64_t expire, const char *userbuf, char *out, size_t outlen)
{
	struct hmac_sha256_ctx ctx;
	uint8_t md[SHA256_DIGEST_SIZE];
	char content[512];
	int n = snprintf(content, sizeof(content),
			 "TLS.identifier:%s\nTLS.sdkappid:%u\nTLS.time:%lld\nTLS.expire:%lld\n%s%s%s",
			 identifier, (unsigned)sdkappid, (long long)time, (long long)expire,
			 userbuf ? "TLS.userbuf:" : "", userbuf ? userbuf : "", userbuf ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(content) || outlen < HMAC_B64)
		return -1;
	hmac_sha256_set_key(&ctx, strlen(key), (const uint8_t *)key);
	hmac_sha256_update(&ctx, (size_t)n, (const uint8_t *)content);
	hmac_sha256_digest(&ctx, sizeof(md), md);
	base64_encode_raw(out, sizeof(md), md);
	out[BASE64_ENCODE_RAW_LENGTH(sizeof(md))] = '\0';
	return 0;
}

/* The document's fields, read strictly: anything missing or mistyped is undecodable. */
struct doc {
	const char *identifier, *sig, *userbuf;
	int64_t sdkappid, time, expire;
};

static int doc_int(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static int doc_str(struct json_object *o, const char *key, const char **out, int optional)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v))
		return optional ? 0 : -1;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	*out = json_object_get_string(v);
	return json_has_nul(v) ? -1 : 0;
}

static int doc_read(struct json_object *o, struct doc *d)
{
	memset(d, 0, sizeof(*d));
	if (!json_object_is_type(o, json_type_object) ||
	    doc_str(o, "TLS.identifier", &d->identifier, 0) != 0 ||
	    doc_str(o, "TLS.sig", &d->sig, 0) != 0 ||
	    doc_str(o, "TLS.userbuf", &d->userbuf, 1) != 0 ||
	    doc_int(o, "TLS.sdkappid", &d->sdkappid) != 0 || doc_int(o, "TLS.time", &d->time) != 0 ||
	    doc_int(o, "TLS.expire", &d->expire) != 0)
		return -1;
	/* Generators sign any lifetime, negative too (then it is simply expired); the bounds only
	 * keep time + expire from overflowing. An sdkappid is a uint32. */
	if (d->sdkappid < 0 || d->sdkappid > UINT32_MAX || d->time < -TIME_BOUND ||
	    d->time > TIME_BOUND || d->expire < -TIME_BOUND || d->expire > TIME_BOUND)
		return -1;
	return 0;
}

/* The decoded, inflated and parsed document, or NULL. */
static struct json_object *decode(const char *sig)
{
	size_t len = strlen(sig), i, doclen;
	char b64[SIG_MAX + 1], doc[DOC_MAX];
	unsigned char raw[SIG_MAX];
	long rawlen;
	if (len > SIG_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		b64[i] = sig[i] == '*' ? '+' : sig[i] == '-' ? '/' : sig[i] == '_' ? '=' : sig[i];
	if ((rawlen = b64_decode(b64, len, raw)) <= 0 ||
	    inflate_doc(raw, (size_t)rawlen, doc, sizeof(doc), &doclen) != 0 ||
	    !json_strict_valid(doc, doclen, DOC_DEPTH, NULL))
		return NULL;
	return json_tokener_parse(doc);
}

/* What a UserSig says once its signature verified: the checks that follow (spec §9 after the
 * HMAC) need only this. */
struct claims {
	const char *identifier;
	int64_t sdkappid, deadline;
};

static int claims_check(const struct claims *c, uint32_t sdkappid, const char *identifier,
			time_t now, char *info, size_t infolen)
{
	if (strcmp(c->identifier, identifier) != 0) {
		snprintf(info, infolen, "usersig was made for another identifier");
		return ERR_SIG_IDENTIFIER;
	}
	if (c->sdkappid != sdkappid) {
		snprintf(info, infolen, "usersig was made for another sdkappid");
		return ERR_SIG_SDKAPPID;
	}
	if ((int64_t)now > c->deadline) {
		snprintf(info, infolen, "usersig expired");
		return ERR_SIG_EXPIRED;
	}
	return 0;
}

/*
 * A process's verified UserSigs: an app backend signs its calls with one administrator sig
 * for days, and decoding, inflating, parsing and hashing it again on every call was a good
 * part of a cheap call's cost. A slot holds the exact sig string with the key it verified
 * under and its claims; the claims are checked again on every call, expiry included. Only a
 * sig that verified is kept, so a forged one pays the full price every time. Compared in
 * constant time: a sig is a bearer secret.
 */
struct cached {
	size_t siglen; /* 0: empty slot */
	char sig[CACHE_SIG_MAX];
	char key[CACHE_TEXT_MAX];
	char identifier[CACHE_TEXT_MAX];
	int64_t sdkappid, deadline;
};

static struct cached cache[CACHE_SLOTS];

/* A sig (some 200 bytes) is hashed and compared on every call: 8 bytes at a step. Nettle's
 * memeql_sec goes a byte at a time: 1,970 instructions a call, 2.8% of a follow_check's
 * (callgrind of a worker). The HMAC check of a new sig uses the same compare. */
static uint64_t word_at(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return w;
}

static struct cached *cache_slot(const char *sig, size_t len)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a (64-bit), over words */
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		h = (h ^ word_at(sig + i)) * 1099511628211u;
	for (; i < len; i++)
		h = (h ^ (unsigned char)sig[i]) * 1099511628211u;
	return &cache[(h ^ h >> 32) % CACHE_SLOTS];
}

/* Whether a and b (len bytes each) are equal, in a time that depends on len alone. */
static int same_secret(const char *a, const char *b, size_t len)
{
	uint64_t diff = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8)
		diff |= word_at(a + i) ^ word_at(b + i);
	for (; i < len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static int cache_find(const char *sig, size_t len, const char *key, struct claims *out)
{
	const struct cached *c = cache_slot(sig, len);
	if (!c->siglen || c->siglen != len || !same_secret(c->sig, sig, len) ||
	    strcmp(c->key, key) != 0)
		return 0;
	*out = (struct claims){c->identifier, c->sdkappid, c->deadline};
	return 1;
}

static void cache_put(const char *sig, size_t len, const char *key, const struct claims *claims)
{
	struct cached *c = cache_slot(sig, len);
	if (len == 0 || len > sizeof(c->sig) || strlen(key) >= sizeof(c->key) ||
	    strlen(claims->identifier) >= sizeof(c->identifier))
		return;
	memcpy(c->sig, sig, len);
	c->siglen = len;
	strcpy(c->key, key);
	strcpy(c->identifier, claims->identifier);
	c->sdkappid = claims->sdkappid;
	c->deadline = claims->deadline;
}

int usersig_verify(const char *sig, const char *key, uint32_t sdkappid, const char *identifier,
		   time_t now, char *info, size_t infolen)
{
	size_t len = strlen(sig);
	struct json_object *o;
	struct claims claims;
	char want[HMAC_B64];
	struct doc d;
	int code;

	if (cache_find(sig, len, key, &claims))
		return claims_check(&claims, sdkappid, identifier, now, info, infolen);
	o = decode(sig);
	if (!o || doc_read(o, &d) != 0) {
		snprintf(info, infolen, "usersig cannot be decoded");
		code = ERR_SIG_DECODE;
	} else if (usersig_hmac(key, d.identifier, (uint32_t)d.sdkappid, d.time, d.expire,
				d.userbuf, want, sizeof(want)) != 0 ||
		   strlen(d.sig) != strlen(want) || !same_secret(d.sig, want, strlen(want))) {
		snprintf(info, infolen, "usersig signature does not verify with this app's key");
		code = ERR_SIG_VERIFY;
	} else {
		claims = (struct claims){d.identifier, d.sdkappid, d.time + d.expire};
		cache_put(sig, len, key, &claims);
		code = claims_check(&claims, sdkappid, identifier, now, info, infolen);
	}
	json_object_put(o);
	return code;
}

char *usersig_make(const char *key, uint32_t sdkappid, const char *identifier, long expire,
		   time_t now)
{
	char mac[HMAC_B64], *out = NULL;
	unsigned char packed[2048];
	char b64[BASE64_ENCODE_RAW_LENGTH(sizeof(packed)) + 1];
	uLongf plen = sizeof(packed);
	struct json_object *o = json_object_new_object();
	const char *doc;
	int i, n;

	if (!o || usersig_hmac(key, identifier, sdkappid, now, expire, NULL, mac, sizeof(mac)) != 0)
		goto out;
	if (json_object_object_add(o, "TLS.ver", json_object_new_string("2.0")) != 0 ||
	    json_object_object_add(o, "TLS.identifier", json_object_new_string(identifier)) != 0 ||
	    json_object_object_add(o, "TLS.sdkappid", json_object_new_int64(sdkappid)) != 0 ||
	    json_object_object_add(o, "TLS.time", json_object_new_int64(now)) != 0 ||
	    json_object_object_add(o, "TLS.expire", json_object_new_int64(expire)) != 0 ||
	    json_object_object_add(o, "TLS.sig", json_object_new_string(mac)) != 0)
		goto out;
	doc = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!doc || compress2(packed, &plen, (const unsigned char *)doc, strlen(doc),
			      Z_DEFAULT_COMPRESSION) != Z_OK)
		goto out;
	base64_encode_raw(b64, plen, packed);
	n = (int)BASE64_ENCODE_RAW_LENGTH(plen);
	b64[n] = '\0';
	for (i = 0; i < n; i++)
		b64[i] = b64[i] == '+' ? '*' : b64[i] == '/' ? '-' : b64[i] == '=' ? '_' : b64[i];
	out = strdup(b64);
out:
	json_object_put(o);
	return out;
}
