/* body.h - the JSON request body: parsing with a depth limit, typed access to its fields. */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct reply;

enum field {
	FIELD_OK,
	FIELD_MISSING, /* absent */
	FIELD_TYPE,    /* present with another JSON type, null included */
	FIELD_BAD      /* right type, value out of its rules */
};

enum body_status {
	BODY_OK,
	BODY_INVALID,      /* empty, not strict JSON, not an object, deeper than JSON_MAX_DEPTH */
	BODY_DUPLICATE_KEY /* valid JSON, but some object names a key twice */
};

/* Parses the body into *out (a JSON object, to free with json_object_put) when BODY_OK. */
enum body_status body_parse(const char *text, size_t len, struct json_object **out);

/* A value as a UserID (FIELD_TYPE for anything but a string, null included; FIELD_BAD: empty,
 * too long, control bytes, not UTF-8). */
enum field body_id(struct json_object *v, const char **out);
enum field body_id_field(struct json_object *obj, const char *key, const char **out);
/* An array of 1..max elements (FIELD_BAD: empty or longer). */
enum field body_array(struct json_object *obj, const char *key, size_t max,
		      struct json_object **out);
/* An integer, clamped to 64 bits (FIELD_TYPE for floats, strings, booleans). */
enum field body_int(struct json_object *obj, const char *key, int64_t *out);
/* A string of any content, NUL-free. */
enum field body_string(struct json_object *obj, const char *key, const char **out);

/* Answers a field whose check failed (f is not FIELD_OK), so that every API words the same
 * outcome the same way; returns -1, what a reader returns after a request-wide failure:
 *   FIELD_MISSING  code bad        "<key> is missing"
 *   FIELD_TYPE     code type_code  "<key> must be <type>"
 *   FIELD_BAD      code bad        "<key> <rule>", rule being a printf format */
int body_field_fail(struct reply *r, enum field f, const char *key, int bad, int type_code,
		    const char *type, const char *rule, ...) __attribute__((format(printf, 7, 8)));
/* The same for a UserID read with body_id_field: 60015 for a wrong type, ID_RULE's words for a
 * malformed one. */
int body_id_fail(struct reply *r, enum field f, const char *key, int bad);

#endif
