/* reply.h - the only builder of response bodies: the envelope, per-target items, serialising. */
#ifndef REPLY_H
#define REPLY_H

#include <stddef.h>
#include <stdint.h>

#define REPLY_DEPTH_MAX 8 /* containers open at once, the envelope included */
#define REPLY_RESULT_KINDS 8 /* distinct ResultCodes tallied for the metrics; more go uncounted */

/* A container (object or array) of the answer being built. REPLY_ROOT is the envelope. */
typedef int reply_node;
#define REPLY_ROOT 0

/* The distinct ResultCodes an answer holds, each with how many targets got it. */
struct reply_results {
	struct {
		int code;
		unsigned n;
	} kind[REPLY_RESULT_KINDS];
	int n;
};

/* A response written straight into one growing buffer, in the order it is built: a field or
 * element goes into an open container, which closes whatever was opened inside it since. So a
 * handler builds front to back (json-c's order, byte for byte); a write into a container that
 * is already closed, or an allocation failure, sets `failed`, and reply_finish then gives NULL
 * so that the caller answers an internal error instead. Builders need not check each step. */
struct reply {
	char *buf;
	size_t len, cap;
	int depth;                         /* the innermost open container */
	reply_node node[REPLY_DEPTH_MAX];  /* the handle of each open container */
	char closer[REPLY_DEPTH_MAX];      /* '}' or ']' */
	int empty[REPLY_DEPTH_MAX];        /* nothing written into it yet */
	reply_node next;                   /* the next container's handle */
	int failed;
	int code; /* the envelope's ErrorCode */
	struct reply_results results; /* the ResultCodes written, for the metrics */
};

/* Every `key` and `idkey` below is one of the API's own field names (letters and '_'), written
 * as it is: never a caller's text, which goes in values. */

/* Starts an OK envelope. */
void reply_init(struct reply *r);
/* Replaces whatever was built by a FAIL envelope; info NULL means the code's default text. */
void reply_fail(struct reply *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Opens an array at parent[key] (an object); its handle, or -1 after a failure. */
reply_node reply_array(struct reply *r, reply_node parent, const char *key);
/* Opens an object as the next element of array; its handle, or -1. */
reply_node reply_object(struct reply *r, reply_node array);
void reply_str(struct reply *r, reply_node obj, const char *key, const char *val);
/* A string of len bytes that may hold a NUL. */
void reply_strn(struct reply *r, reply_node obj, const char *key, const char *val, size_t len);
void reply_int(struct reply *r, reply_node obj, const char *key, int64_t val);
void reply_append_str(struct reply *r, reply_node array, const char *val, size_t len);
/* Writes obj's "ResultCode" and counts it (struct reply's result). */
void reply_result_code(struct reply *r, reply_node obj, int code);
/* Appends {<idkey>: id, ResultCode, ResultInfo} to array and returns it for more fields. */
reply_node reply_result(struct reply *r, reply_node array, const char *idkey, const char *id,
			size_t idlen, int code, const char *info);
/* The finished body (malloc'd; the caller frees it), or NULL when building failed. */
char *reply_finish(struct reply *r);
/* The fixed body of a failure when even building a reply failed. */
char *reply_static_fail(int code);

#endif
