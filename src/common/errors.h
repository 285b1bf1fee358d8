/* errors.h - Tencent's error codes, in one table with their default texts. */
#ifndef ERRORS_H
#define ERRORS_H

enum err_code {
	ERR_OK = 0,
	ERR_BAD_FIELD = 30001,
	ERR_NOT_IMPORTED = 30003,
	ERR_FOLLOW_NOT_ADMIN = 30004,
	ERR_INTERNAL = 30006,
	ERR_MAX_FOLLOWING = 32100,
	ERR_MAX_FOLLOWERS = 32101,
	ERR_MAX_MUTUAL_FROM = 32102,
	ERR_MAX_MUTUAL_TO = 32103,
	ERR_PROFILE_BAD_PARAM = 40001,
	ERR_PROFILE_NO_ACCOUNT = 40003,
	ERR_TAG_UNKNOWN = 40009,
	ERR_TAG_TOO_LONG = 40601,
	ERR_TAG_BAD_VALUE = 40605,
	ERR_TAG_TYPE = 40610,
	ERR_HTTP_PARSE = 60002,
	ERR_JSON = 60003,
	ERR_RATE = 60007,
	ERR_METHOD = 60008,
	ERR_NO_SUCH_API = 60009,
	ERR_NOT_ADMIN = 60010,
	ERR_NO_SDKAPPID = 60012,
	ERR_NOT_STRING = 60015,
	ERR_QUERY = 60025,
	ERR_SIG_EXPIRED = 70001,
	ERR_SIG_EMPTY = 70002,
	ERR_SIG_DECODE = 70003,
	ERR_SIG_VERIFY = 70009,
	ERR_SIG_IDENTIFIER = 70013,
	ERR_SIG_SDKAPPID = 70014,
	ERR_BAD_SDKAPPID = 70020,
	ERR_NO_ACCOUNT = 70107,
	ERR_ACCOUNT_PARAM = 70402,
	ERR_ACCOUNT_INTERNAL = 70500
};

/* The default human-readable text of a code ("" for 0). */
const char *err_text(int code);

/* The table itself, for those that show it elsewhere (the console's codes.js): entry i's code
 * and text; 0 past the end. */
int err_entry(unsigned i, int *code, const char **text);

#endif
