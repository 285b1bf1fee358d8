/* tags.h - the profile tags and the rules their values follow. */
#ifndef TAGS_H
#define TAGS_H

#include <stddef.h>

#include "store/store.h"

struct json_object;

#define TAG_STRING_MAX 500 /* bytes in any string value (spec §7) */

/* 1 for a standard tag or a well-formed custom one (Tag_Profile_Custom_ + 1-8 letters). */
int tag_known(const char *name);

/* Checks value v for tag name and fills t; returns 0 or 40009, 40610, 40601, 40605 with the
 * reason in info. t->str points into v. */
int tag_value(const char *name, struct json_object *v, struct store_tag *t, char *info,
	      size_t infolen);

/* JSON string v as a tag name: one holding a NUL byte becomes "", which no tag is called. */
const char *tag_name(struct json_object *v);

/* Reads one ProfileItem entry, {"Tag": name, "Value": value}, into t: -1 when item is not an
 * object with a string Tag and a Value, else what tag_value answers for them. */
int tag_item(struct json_object *item, struct store_tag *t, char *info, size_t infolen);

#endif
