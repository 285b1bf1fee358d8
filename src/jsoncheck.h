/* jsoncheck.h - strict RFC 8259 validation, which json-c's own parser does not give. */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stddef.h>

/* 1 when s[0..len) is exactly one JSON value (surrounded by optional whitespace) in RFC 8259's
 * grammar, with nesting of at most max_depth arrays/objects. */
int json_strict_valid(const char *s, size_t len, int max_depth);

#endif
