/* profile_test.c - profile records in a real Berkeley DB environment: merge, versions, limits,
 * deletion with the account. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "check.h"

static struct store_tag str_tag(const char *name, const char *v)
{
	struct store_tag t;
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.str = v;
	t.len = strlen(v);
	return t;
}

static struct store_tag int_tag(const char *name, uint32_t v)
{
	struct store_tag t;
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	t.is_int = 1;
	t.num = v;
	return t;
}

static int rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* The string value of tag name in p, or NULL. */
static const char *value(const struct store_profile *p, const char *name, size_t *len)
{
	size_t i;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->tag[i].name, name) == 0) {
			*len = p->tag[i].len;
			return p->tag[i].str;
		}
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/profile_test.XXXXXX", err[256];
	struct store_opts o = {.dir = dir, .durability = STORE_NOSYNC};
	struct store *s;
	struct store_profile p[2];
	struct store_tag tags[STORE_TAGS_MAX + 1];
	const char *ids[2] = {"alice", "nobody"};
	int exists[2];
	size_t len, i;

	if (!mkdtemp(dir) || !(s = store_open(&o, err, sizeof(err)))) {
		fprintf(stderr, "setup: %s\n", err);
		return 1;
	}
	tags[0] = str_tag("Tag_Profile_IM_Nick", "Alice");
	CHECK(store_profile_set(s, "alice", tags, 1) == STORE_NO_ACCOUNT);
	{
		struct store_import imp = {"alice", tags, 1};
		CHECK(store_accounts_import(s, &imp, 1) == STORE_OK);
	}
	CHECK(store_profile_get(s, ids, 2, p, exists) == STORE_OK);
	CHECK(exists[0] == 1 && exists[1] == 0);
	CHECK(p[0].seq == 1 && p[0].n == 1 && p[1].n == 0 && p[1].seq == 0);
	CHECK(value(&p[0], "Tag_Profile_IM_Nick", &len) && len == 5);
	store_profile_free(&p[0]);
	store_profile_free(&p[1]);

	/* merge: replace one, add two, the later of a repeated name wins, order kept */
	tags[0] = int_tag("Tag_Profile_IM_Level", 7);
	tags[1] = str_tag("Tag_Profile_IM_Nick", "A2");
	tags[2] = str_tag("Tag_Profile_Custom_Hobby", "chess");
	tags[3] = str_tag("Tag_Profile_Custom_Hobby", "go");
	CHECK(store_profile_set(s, "alice", tags, 4) == STORE_OK);
	CHECK(store_profile_get(s, ids, 1, p, exists) == STORE_OK);
	CHECK(p[0].seq == 2 && p[0].n == 3);
	CHECK(strcmp(p[0].tag[0].name, "Tag_Profile_IM_Nick") == 0);
	CHECK(strcmp(p[0].tag[1].name, "Tag_Profile_IM_Level") == 0 && p[0].tag[1].is_int &&
	      p[0].tag[1].num == 7);
	CHECK(value(&p[0], "Tag_Profile_Custom_Hobby", &len) && len == 2);
	store_profile_free(&p[0]);

	/* an import without tags leaves the profile; one with tags bumps the version */
	{
		struct store_import imp = {"alice", NULL, 0};
		CHECK(store_accounts_import(s, &imp, 1) == STORE_OK);
		CHECK(store_profile_get(s, ids, 1, p, exists) == STORE_OK && p[0].seq == 2);
		store_profile_free(&p[0]);
	}

	/* too many distinct tags fails and changes nothing */
	for (i = 0; i <= STORE_TAGS_MAX; i++) {
		char name[STORE_TAG_MAX + 1];
		snprintf(name, sizeof(name), "Tag_Profile_Custom_%c%c", 'a' + (int)(i / 26),
			 'a' + (int)(i % 26));
		tags[i] = int_tag(name, (uint32_t)i);
	}
	CHECK(store_profile_set(s, "alice", tags, STORE_TAGS_MAX + 1) == STORE_FULL);
	CHECK(store_profile_get(s, ids, 1, p, exists) == STORE_OK && p[0].seq == 2 && p[0].n == 3);
	store_profile_free(&p[0]);

	/* a string with a NUL byte and an empty one survive the round trip */
	tags[0] = str_tag("Tag_Profile_Custom_Bin", "");
	tags[0].str = "a\0b";
	tags[0].len = 3;
	tags[1] = str_tag("Tag_Profile_IM_SelfSignature", "");
	CHECK(store_profile_set(s, "alice", tags, 2) == STORE_OK);
	CHECK(store_profile_get(s, ids, 1, p, exists) == STORE_OK);
	CHECK(value(&p[0], "Tag_Profile_Custom_Bin", &len) && len == 3);
	CHECK(value(&p[0], "Tag_Profile_IM_SelfSignature", &len) && len == 0);
	store_profile_free(&p[0]);

	/* deleting the account deletes its profile */
	{
		int existed;
		struct store_import imp = {"alice", NULL, 0};
		CHECK(store_account_delete(s, "alice", &existed) == STORE_OK && existed);
		CHECK(store_accounts_import(s, &imp, 1) == STORE_OK);
		CHECK(store_profile_get(s, ids, 1, p, exists) == STORE_OK && exists[0]);
		CHECK(p[0].n == 0 && p[0].seq == 0);
		store_profile_free(&p[0]);
	}
	store_close(s);
	nftw(dir, rm, 16, FTW_DEPTH | FTW_PHYS);
	return check_summary("profile_test");
}
