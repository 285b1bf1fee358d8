/* jsoncheck.c - a recursive-descent recogniser of strict JSON; it builds nothing.
 * json-c accepts single quotes, NaN, raw control bytes and more; a request body must not.
 * Bytes above 0x7f inside strings pass here: a UserID with invalid UTF-8 is a field error
 * (30001), which the field checks report with the field's name. */
#include "common/jsoncheck.h"

#include <json-c/json.h>
#include <string.h>

struct scan {
	const unsigned char *p, *end;
	int depth, max_depth;
	size_t members;
};

static int value(struct scan *s);

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int eat(struct scan *s, char c)
{
	if (s->p < s->end && *s->p == (unsigned char)c) {
		s->p++;
		return 1;
	}
	return 0;
}

static int literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

static int digits(struct scan *s)
{
	const unsigned char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

static int number(struct scan *s)
{
	eat(s, '-');
	if (eat(s, '0')) {
		if (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			return 0; /* leading zero */
	} else if (!digits(s)) {
		return 0;
	}
	if (eat(s, '.') && !digits(s))
		return 0;
	if (eat(s, 'e') || eat(s, 'E')) {
		if (!eat(s, '+'))
			eat(s, '-');
		if (!digits(s))
			return 0;
	}
	return 1;
}

static int hex4(struct scan *s, unsigned *out)
{
	int i;
	*out = 0;
	if (s->end - s->p < 4)
		return 0;
	for (i = 0; i < 4; i++) {
		unsigned c = *s->p++, v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (c | 0x20) - 'a' + 10;
		else
			return 0;
		*out = *out << 4 | v;
	}
	return 1;
}

static int string(struct scan *s)
{
	if (!eat(s, '"'))
		return 0;
	while (s->p < s->end) {
		unsigned c = *s->p, u;
		if (c == '"') {
			s->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		s->p++;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return 0;
		c = *s->p++;
		if (c == 'u') {
			if (!hex4(s, &u))
				return 0;
			/* A high surrogate must pair with a low one. */
			if (u >= 0xd800 && u <= 0xdbff) {
				if (!eat(s, '\\') || !eat(s, 'u') || !hex4(s, &u) || u < 0xdc00 ||
				    u > 0xdfff)
					return 0;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return 0;
			}
		} else if (!strchr("\"\\/bfnrt", (int)c) || c == 0) {
			return 0;
		}
	}
	return 0;
}

static int container(struct scan *s, char open, char close, int keyed)
{
	if (!eat(s, open) || ++s->depth > s->max_depth)
		return 0;
	ws(s);
	if (!eat(s, close)) {
		do {
			ws(s);
			if (keyed) {
				if (!string(s))
					return 0;
				s->members++;
				ws(s);
				if (!eat(s, ':'))
					return 0;
				ws(s);
			}
			if (!value(s))
				return 0;
			ws(s);
		} while (eat(s, ','));
		if (!eat(s, close))
			return 0;
	}
	s->depth--;
	return 1;
}

static int value(struct scan *s)
{
	if (s->p >= s->end)
		return 0;
	switch (*s->p) {
	case '{':
		return container(s, '{', '}', 1);
	case '[':
		return container(s, '[', ']', 0);
	case '"':
		return string(s);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	default:
		return number(s);
	}
}

int json_strict_valid(const char *text, size_t len, int max_depth, size_t *members)
{
	struct scan s = {(const unsigned char *)text, (const unsigned char *)text + len, 0,
			 max_depth, 0};
	ws(&s);
	if (!value(&s))
		return 0;
	ws(&s);
	if (members)
		*members = s.members;
	return s.p == s.end;
}

int json_has_nul(struct json_object *v)
{
	const char *s = json_object_get_string(v);
	return memchr(s, '\0', (size_t)json_object_get_string_len(v)) != NULL;
}
