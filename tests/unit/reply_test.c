/* reply_test.c - the streaming reply writer against json-c's own serialiser (the one it
 * replaced): every byte value in a string, random strings, ints at the edges, the shapes the
 * handlers build, failures, and the misuses that must fail rather than write bad JSON. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request/reply.h"
#include "check.h"

static const char *json_c(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						       JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* The envelope json-c built, for comparison. */
static struct json_object *envelope(void)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ActionStatus", json_object_new_string("OK"));
	json_object_object_add(o, "ErrorCode", json_object_new_int64(0));
	json_object_object_add(o, "ErrorInfo", json_object_new_string(""));
	json_object_object_add(o, "ErrorDisplay", json_object_new_string(""));
	return o;
}

/* One string value (len bytes) in both writers; they must agree byte for byte. */
static void same_string(const char *s, size_t len)
{
	struct reply r;
	struct json_object *o = envelope();
	char *out;
	reply_init(&r);
	reply_strn(&r, REPLY_ROOT, "Value", s, len);
	json_object_object_add(o, "Value", json_object_new_string_len(s, (int)len));
	out = reply_finish(&r);
	CHECK_EQ_STR(out, json_c(o));
	free(out);
	json_object_put(o);
}

static void every_byte(void)
{
	int c;
	for (c = 0; c < 256; c++) {
		char s[3] = {'a', (char)c, 'z'};
		set_ctx("byte %d", c);
		same_string(s, sizeof(s));
		same_string(s + 1, 1);
	}
	set_ctx("");
}

static void random_strings(void)
{
	unsigned seed = 12345;
	int i;
	for (i = 0; i < 2000; i++) {
		char s[64];
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(s)), k;
		for (k = 0; k < len; k++) /* control bytes, quotes and backslashes often */
			s[k] = (char)(rand_r(&seed) % 4 ? rand_r(&seed) % 128 : rand_r(&seed) % 256);
		set_ctx("random string %d", i);
		same_string(s, len);
	}
	set_ctx("");
}

static void ints(void)
{
	static const int64_t v[] = {0, 1, -1, 4294967295LL, INT64_MAX, INT64_MIN};
	size_t i;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct reply r;
		struct json_object *o = envelope();
		char *out;
		reply_init(&r);
		reply_int(&r, REPLY_ROOT, "N", v[i]);
		json_object_object_add(o, "N", json_object_new_int64(v[i]));
		out = reply_finish(&r);
		CHECK_EQ_STR(out, json_c(o));
		free(out);
		json_object_put(o);
	}
}

/* follow_get's shape: an array of objects holding an array, then a field of the envelope. */
static void nested(void)
{
	struct reply r;
	struct json_object *o = envelope(), *arr = json_object_new_array(), *item, *tags, *tag;
	reply_node a, it, t, tg;
	char *out;
	int i;

	reply_init(&r);
	a = reply_array(&r, REPLY_ROOT, "FollowItem");
	json_object_object_add(o, "FollowItem", arr);
	for (i = 0; i < 3; i++) {
		it = reply_object(&r, a);
		reply_str(&r, it, "To_Account", "u/1");
		reply_int(&r, it, "FollowTime", 1700000000 + i);
		t = reply_array(&r, it, "ProfileItem");
		item = json_object_new_object();
		json_object_array_add(arr, item);
		json_object_object_add(item, "To_Account", json_object_new_string("u/1"));
		json_object_object_add(item, "FollowTime", json_object_new_int64(1700000000 + i));
		tags = json_object_new_array();
		json_object_object_add(item, "ProfileItem", tags);
		if (i != 1) { /* an empty list in the middle */
			tg = reply_object(&r, t);
			reply_str(&r, tg, "Tag", "Tag_Profile_IM_Nick");
			reply_str(&r, tg, "Value", "n\"ck");
			tag = json_object_new_object();
			json_object_object_add(tag, "Tag", json_object_new_string("Tag_Profile_IM_Nick"));
			json_object_object_add(tag, "Value", json_object_new_string("n\"ck"));
			json_object_array_add(tags, tag);
		}
		reply_int(&r, it, "ProfileSequence", i);
		json_object_object_add(item, "ProfileSequence", json_object_new_int64(i));
	}
	reply_str(&r, REPLY_ROOT, "NextCursor", "");
	json_object_object_add(o, "NextCursor", json_object_new_string(""));
	out = reply_finish(&r);
	CHECK_EQ_STR(out, json_c(o));
	free(out);
	json_object_put(o);

	/* An empty array, then strings appended to another. */
	reply_init(&r);
	reply_array(&r, REPLY_ROOT, "Empty");
	a = reply_array(&r, REPLY_ROOT, "FailAccounts");
	reply_append_str(&r, a, "x", 1);
	reply_append_str(&r, a, "y\n", 2);
	out = reply_finish(&r);
	CHECK_EQ_STR(out, "{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":\"\",\"ErrorDisplay\":"
			  "\"\",\"Empty\":[],\"FailAccounts\":[\"x\",\"y\\n\"]}");
	free(out);
}

static void failures(void)
{
	struct reply r;
	reply_node a, it;
	char *out;
	int i;

	/* A failure after items replaces all of them. */
	reply_init(&r);
	a = reply_array(&r, REPLY_ROOT, "ResultItem");
	reply_object(&r, a);
	reply_fail(&r, 90001, "bad %s", "thing");
	out = reply_finish(&r);
	CHECK_EQ_STR(out, "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":90001,\"ErrorInfo\":\"bad thing\","
			  "\"ErrorDisplay\":\"\"}");
	free(out);

	/* Writing into a closed container is a bug: the reply fails instead of lying. */
	reply_init(&r);
	a = reply_array(&r, REPLY_ROOT, "A");
	it = reply_object(&r, a);
	reply_str(&r, REPLY_ROOT, "B", "b");
	reply_str(&r, it, "C", "c");
	CHECK(r.failed);
	CHECK(reply_finish(&r) == NULL);

	/* A handle that was never given; a key in an array; an element in an object. */
	reply_init(&r);
	reply_str(&r, 42, "C", "c");
	CHECK(reply_finish(&r) == NULL);
	reply_init(&r);
	a = reply_array(&r, REPLY_ROOT, "A");
	reply_int(&r, a, "k", 1);
	CHECK(reply_finish(&r) == NULL);
	reply_init(&r);
	reply_append_str(&r, REPLY_ROOT, "v", 1);
	CHECK(reply_finish(&r) == NULL);

	/* Nesting past the limit. */
	reply_init(&r);
	it = REPLY_ROOT;
	for (i = 0; i < REPLY_DEPTH_MAX / 2 && !r.failed; i++)
		it = reply_object(&r, reply_array(&r, it, "x"));
	CHECK(r.failed);
	CHECK(reply_finish(&r) == NULL);

	/* A long answer grows the buffer many times. */
	reply_init(&r);
	a = reply_array(&r, REPLY_ROOT, "L");
	for (i = 0; i < 20000; i++)
		reply_append_str(&r, a, "0123456789", 10);
	out = reply_finish(&r);
	CHECK(out && strlen(out) == strlen("{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":"
					     "\"\",\"ErrorDisplay\":\"\",\"L\":[]}") +
					      20000 * 13 - 1);
	free(out);
}

int main(void)
{
	every_byte();
	random_strings();
	ints();
	nested();
	failures();
	return check_summary("reply_test");
}
