/* tags.c - the standard profile tags of Tencent Cloud Chat, custom tags, and value checks. */
#include "common/tags.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "common/errors.h"
#include "common/jsoncheck.h"

#define CUSTOM_PREFIX "Tag_Profile_Custom_"
#define CUSTOM_NAME_MAX 8 /* letters after the prefix (spec §7) */

enum kind { K_STRING, K_UINT, K_ENUM, K_CUSTOM };

static const char *const genders[] = {"Gender_Type_Unknown", "Gender_Type_Female",
				      "Gender_Type_Male", NULL};
static const char *const allow_types[] = {"AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny",
					  "AllowType_Type_DenyAny", NULL};
static const char *const forbid_types[] = {"AdminForbid_Type_None", "AdminForbid_Type_SendOut",
					   NULL};

static const struct tag_rule {
	const char *name;
	enum kind kind;
	size_t max;                 /* strings: most bytes */
	const char *const *values; /* enums */
} rules[] = {
	{"Tag_Profile_IM_Nick", K_STRING, TAG_STRING_MAX, NULL},
	{"Tag_Profile_IM_Gender", K_ENUM, TAG_STRING_MAX, genders},
	{"Tag_Profile_IM_BirthDay", K_UINT, 0, NULL},
	{"Tag_Profile_IM_Location", K_STRING, 16, NULL},
	{"Tag_Profile_IM_SelfSignature", K_STRING, TAG_STRING_MAX, NULL},
	{"Tag_Profile_IM_AllowType", K_ENUM, TAG_STRING_MAX, allow_types},
	{"Tag_Profile_IM_Language", K_UINT, 0, NULL},
	{"Tag_Profile_IM_Image", K_STRING, TAG_STRING_MAX, NULL},
	{"Tag_Profile_IM_AdminForbidType", K_ENUM, TAG_STRING_MAX, forbid_types},
	{"Tag_Profile_IM_Level", K_UINT, 0, NULL},
};
static const struct tag_rule custom = {CUSTOM_PREFIX, K_CUSTOM, TAG_STRING_MAX, NULL};

static const struct tag_rule *find(const char *name)
{
	size_t i, len;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].name, name) == 0)
			return &rules[i];
	if (strncmp(name, CUSTOM_PREFIX, strlen(CUSTOM_PREFIX)) != 0)
		return NULL;
	name += strlen(CUSTOM_PREFIX);
	len = strlen(name);
	if (len < 1 || len > CUSTOM_NAME_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		if (!isalpha((unsigned char)name[i]))
			return NULL;
	return &custom;
}

int tag_known(const char *name)
{
	return find(name) != NULL;
}

#define FAIL(code, ...) return snprintf(info, infolen, __VA_ARGS__), (code)

static int string_value(const struct tag_rule *r, const char *name, struct json_object *v,
			struct store_tag *t, char *info, size_t infolen)
{
	t->str = json_object_get_string(v);
	t->len = (size_t)json_object_get_string_len(v);
	if (json_has_nul(v))
		FAIL(ERR_TAG_BAD_VALUE, "%s must not contain a NUL character", name);
	if (t->len > r->max)
		FAIL(ERR_TAG_TOO_LONG, "%s is longer than %zu bytes", name, r->max);
	return 0;
}

static int uint_value(const char *name, struct json_object *v, struct store_tag *t, char *info,
		      size_t infolen)
{
	int64_t n = json_object_get_int64(v);
	/* json-c keeps a uint64 beyond INT64_MAX apart; get_int64 clamps it, still too large. */
	if (n < 0 || n > 0xffffffffLL)
		FAIL(ERR_TAG_BAD_VALUE, "%s must be between 0 and 4294967295", name);
	t->is_int = 1;
	t->num = (uint32_t)n;
	return 0;
}

int tag_value(const char *name, struct json_object *v, struct store_tag *t, char *info,
	      size_t infolen)
{
	const struct tag_rule *r = find(name);
	int is_str = json_object_is_type(v, json_type_string);
	int is_int = json_object_is_type(v, json_type_int);
	size_t i;

	memset(t, 0, sizeof(*t));
	if (!r || strlen(name) > STORE_TAG_MAX)
		FAIL(ERR_TAG_UNKNOWN, "unknown profile tag %.64s", name);
	strcpy(t->name, name);
	switch (r->kind) {
	case K_STRING:
		if (!is_str)
			FAIL(ERR_TAG_TYPE, "%s takes a string", name);
		return string_value(r, name, v, t, info, infolen);
	case K_UINT:
		if (!is_int)
			FAIL(ERR_TAG_TYPE, "%s takes an integer", name);
		return uint_value(name, v, t, info, infolen);
	case K_ENUM:
		if (!is_str)
			FAIL(ERR_TAG_TYPE, "%s takes a string", name);
		for (i = 0; r->values[i]; i++)
			if (strcmp(r->values[i], json_object_get_string(v)) == 0)
				break;
		if (!r->values[i])
			FAIL(ERR_TAG_BAD_VALUE, "%s must be one of %s, ...", name, r->values[0]);
		return string_value(r, name, v, t, info, infolen);
	default: /* custom: a string or an integer */
		if (is_str)
			return string_value(r, name, v, t, info, infolen);
		if (is_int)
			return uint_value(name, v, t, info, infolen);
		FAIL(ERR_TAG_TYPE, "%s takes a string or an integer", name);
	}
}

const char *tag_name(struct json_object *v)
{
	return json_has_nul(v) ? "" : json_object_get_string(v);
}

int tag_item(struct json_object *item, struct store_tag *t, char *info, size_t infolen)
{
	struct json_object *tag, *value;
	if (!json_object_is_type(item, json_type_object) ||
	    !json_object_object_get_ex(item, "Tag", &tag) ||
	    !json_object_is_type(tag, json_type_string) ||
	    !json_object_object_get_ex(item, "Value", &value))
		return -1;
	return tag_value(tag_name(tag), value, t, info, infolen);
}
