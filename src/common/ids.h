/* ids.h - what a well-formed UserID is. */
#ifndef IDS_H
#define IDS_H

#include <stddef.h>

/* 1 when s[0..len) is 1-32 bytes of valid UTF-8 with no NUL or other control byte. */
int id_valid(const char *s, size_t len);

#endif
