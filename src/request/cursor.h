/* cursor.h - follow_get's opaque NextCursor: the list and the position a page ends at. */
#ifndef CURSOR_H
#define CURSOR_H

#include <stddef.h>

#include "store/store.h"

#define CURSOR_MAX (2 * (1 + 4 + STORE_ID_MAX) + 1)

/* Writes the cursor that continues `kind` after `last` into out (CURSOR_MAX bytes). */
void cursor_encode(enum store_list kind, const struct store_item *last, char *out);
/* Reads a cursor made for `kind`; -1 when it is not one. */
int cursor_decode(const char *text, enum store_list kind, struct store_item *pos);

#endif
