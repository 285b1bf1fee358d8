/* ids.h - what a well-formed UserID is. */
#ifndef IDS_H
#define IDS_H

#include <stddef.h>

#include "store/store.h"

/* A number macro as text, so a message states a limit without restating its value (the macro
 * must expand to a plain decimal number, as STORE_ID_MAX does). */
#define ID_TEXT_(x) #x
#define ID_TEXT(x) ID_TEXT_(x)

/* What id_valid accepts, in the words of every error text about a malformed UserID (a string
 * literal: a batch keeps it as an entry's ResultInfo). */
#define ID_RULE "1-" ID_TEXT(STORE_ID_MAX) " bytes of UTF-8 without control bytes"

/* 1 when s[0..len) is ID_RULE: 1 to STORE_ID_MAX bytes of valid UTF-8 with no NUL or other
 * control byte. */
int id_valid(const char *s, size_t len);

#endif
