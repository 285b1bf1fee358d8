/* jsoncheck.h - strict RFC 8259 validation, which json-c's own parser does not give. */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stddef.h>

/* 1 when s[0..len) is exactly one JSON value (surrounded by optional whitespace) in RFC 8259's
 * grammar, with nesting of at most max_depth arrays/objects. *members (may be NULL) gets the
 * number of object members written, duplicates included, which a parser that keeps one value
 * per key can compare with its own count to find duplicate keys. */
int json_strict_valid(const char *s, size_t len, int max_depth, size_t *members);

#endif
