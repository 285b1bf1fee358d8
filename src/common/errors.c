/* errors.c - default texts of the error codes the service answers. */
#include "common/errors.h"

#include <stddef.h>

static const struct {
	int code;
	const char *text;
} texts[] = {
	{ERR_OK, ""},
	{ERR_BAD_FIELD, "invalid request field"},
	{ERR_NOT_IMPORTED, "account not imported"},
	{ERR_FOLLOW_NOT_ADMIN, "identifier is not an app administrator"},
	{ERR_INTERNAL, "internal error, please retry"},
	{ERR_MAX_FOLLOWING, "From_Account already follows the maximum number of accounts"},
	{ERR_MAX_FOLLOWERS, "To_Account already has the maximum number of fans"},
	{ERR_MAX_MUTUAL_FROM, "From_Account already has the maximum number of mutual follows"},
	{ERR_MAX_MUTUAL_TO, "To_Account already has the maximum number of mutual follows"},
	{ERR_PROFILE_BAD_PARAM, "invalid request field"},
	{ERR_PROFILE_NO_ACCOUNT, "account not imported"},
	{ERR_TAG_UNKNOWN, "unknown profile tag"},
	{ERR_TAG_TOO_LONG, "profile value too long"},
	{ERR_TAG_BAD_VALUE, "invalid value for this profile tag"},
	{ERR_TAG_TYPE, "wrong value type for this profile tag"},
	{ERR_HTTP_PARSE, "cannot parse the HTTP request"},
	{ERR_JSON, "request body is not a valid JSON object"},
	{ERR_RATE, "call rate over the configured limit"},
	{ERR_METHOD, "only POST is accepted"},
	{ERR_NO_SUCH_API, "no such API"},
	{ERR_NOT_ADMIN, "identifier is not an app administrator"},
	{ERR_NO_SDKAPPID, "sdkappid is missing"},
	{ERR_NOT_STRING, "UserID must be a string"},
	{ERR_QUERY, "query string parameter missing or malformed"},
	{ERR_SIG_EXPIRED, "usersig expired"},
	{ERR_SIG_EMPTY, "usersig is empty"},
	{ERR_SIG_DECODE, "usersig cannot be decoded"},
	{ERR_SIG_VERIFY, "usersig signature does not verify"},
	{ERR_SIG_IDENTIFIER, "usersig was made for another identifier"},
	{ERR_SIG_SDKAPPID, "usersig was made for another sdkappid"},
	{ERR_BAD_SDKAPPID, "sdkappid is not a configured app"},
	{ERR_NO_ACCOUNT, "account does not exist"},
	{ERR_ACCOUNT_PARAM, "invalid request field"},
	{ERR_ACCOUNT_INTERNAL, "internal error, please retry"},
};

int err_entry(unsigned i, int *code, const char **text)
{
	if (i >= sizeof(texts) / sizeof(texts[0]))
		return 0;
	*code = texts[i].code;
	*text = texts[i].text;
	return 1;
}

const char *err_text(int code)
{
	size_t i;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == code)
			return texts[i].text;
	return "error";
}
