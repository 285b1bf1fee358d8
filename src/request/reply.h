/* reply.h - the only builder of response bodies: the envelope, per-target items, serialising. */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

/* A response being built. Any allocation failure sets `failed`; reply_finish then gives NULL
 * and the caller answers an internal error instead, so builders need not check each step. */
struct reply {
	struct json_object *root;
	int failed;
};

/* Starts an OK envelope. */
void reply_init(struct reply *r);
/* Replaces whatever was built by a FAIL envelope; info NULL means the code's default text. */
void reply_fail(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct json_object *reply_array(struct reply *r, struct json_object *parent, const char *key);
struct json_object *reply_object(struct reply *r, struct json_object *array);
void reply_str(struct reply *r, struct json_object *obj, const char *key, const char *val);
/* A string of len bytes that may hold a NUL. */
void reply_strn(struct reply *r, struct json_object *obj, const char *key, const char *val,
		size_t len);
void reply_int(struct reply *r, struct json_object *obj, const char *key, int64_t val);
void reply_append_str(struct reply *r, struct json_object *array, const char *val, size_t len);
/* Appends {<idkey>: id, ResultCode, ResultInfo} to array and returns it for more fields. */
struct json_object *reply_result(struct reply *r, struct json_object *array, const char *idkey,
				 const char *id, size_t idlen, int code, const char *info);
/* Serialises and frees; NULL when building failed. The string is malloc'd. */
char *reply_finish(struct reply *r);
/* The fixed body of a failure when even building a reply failed. */
char *reply_static_fail(int code);

#endif
