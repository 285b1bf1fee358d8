/* batch.h - a request's list of target accounts: validated, de-duplicated, in request order. */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>

#include "request/app.h"
#include "store/store.h"

/* Most accounts one call names: the spec's 100 of follow_check, the account APIs and
 * portrait_get (the route table's limits); every route limit a batch reads must fit. */
#define BATCH_MAX 100

struct batch {
	size_t n;                     /* entries as requested */
	const char *ids[BATCH_MAX];   /* each entry's id as given, for the reply */
	size_t idlen[BATCH_MAX];      /* its length: a malformed id may hold a NUL */
	int code[BATCH_MAX];          /* an entry's own error, decided before the store; 0 = none */
	const char *why[BATCH_MAX];   /* that error's text */
	int slot[BATCH_MAX];          /* the entry's distinct target in st[], -1 when code is set */
	struct store_target st[BATCH_MAX];
	size_t nst;
};

/* Reads body[list_key], an array of 1..route limit UserIDs, or of objects holding one under
 * item_key. A malformed id, or one equal to `self` when self is given, is that entry's own
 * error; a repeated id shares its first entry's target. Returns 0, or -1 after writing a
 * request-wide failure into r. */
int batch_read(struct call *c, struct reply *r, const char *list_key, const char *item_key,
	       const char *self, struct batch *b);

/* The store's answer for entry i. */
static inline const struct store_target *batch_target(const struct batch *b, size_t i)
{
	return b->slot[i] >= 0 ? &b->st[b->slot[i]] : NULL;
}

#endif
