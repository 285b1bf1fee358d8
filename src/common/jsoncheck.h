/* jsoncheck.h - strict RFC 8259 validation and NUL-free strings, which json-c does not give. */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stddef.h>

struct json_object;

/* The deepest nesting of arrays/objects accepted in any JSON we read (request bodies, webhook
 * answers): deeper documents are refused before json-c, whose parser recurses, sees them. */
#define JSON_MAX_DEPTH 32

/* 1 when s[0..len) is exactly one JSON value (surrounded by optional whitespace) in RFC 8259's
 * grammar, with nesting of at most max_depth arrays/objects. *members (may be NULL) gets the
 * number of object members written, duplicates included, which a parser that keeps one value
 * per key can compare with its own count to find duplicate keys. */
int json_strict_valid(const char *s, size_t len, int max_depth, size_t *members);

/* 1 when JSON string v holds a NUL byte (\u0000): json-c keeps it, but the C string functions
 * would stop there and see another value. */
int json_has_nul(struct json_object *v);

#endif
