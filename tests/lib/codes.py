"""Tencent's ErrorCode / ResultCode values that the tests expect, named after their meaning in the
contract (../shared/spec/follow-api.md §10, the profile codes in §7)."""

OK = 0

# follow APIs
INVALID_PARAMS = 30001          # bad request field (missing, wrong type, empty list, over the
                                # batch limit, bad cursor); per target: following oneself
NOT_IMPORTED = 30003            # account not imported (From_Account request-wide, else per target)
FOLLOW_NOT_ADMIN = 30004        # follow API called by an identifier that is not an administrator
INTERNAL_ERROR = 30006          # storage failure after retries; the client may retry
MAX_FOLLOWING = 32100           # From_Account already follows max_following accounts
MAX_FOLLOWERS = 32101           # the target already has max_followers fans
MAX_MUTUAL_FROM = 32102         # a new mutual pair, From_Account is at max_mutual
MAX_MUTUAL_TO = 32103           # a new mutual pair, the target is at max_mutual

# profile APIs
PROFILE_INVALID_PARAMS = 40001  # bad parameter
PROFILE_NOT_IMPORTED = 40003    # account not imported
PROFILE_UNKNOWN_TAG = 40009     # unknown tag
PROFILE_VALUE_TOO_LONG = 40601  # value too long
PROFILE_INVALID_VALUE = 40605   # invalid value for a standard tag
PROFILE_WRONG_TYPE = 40610      # wrong value type

# HTTP layer, query string, admin rights, body
HTTP_PARSE_ERROR = 60002        # request the server cannot parse (body over max_body_bytes)
INVALID_JSON = 60003            # body not valid JSON, or empty
RATE_LIMITED = 60007            # over the app's rate_limit for one API
METHOD_NOT_POST = 60008         # not a POST (or the request timed out)
UNKNOWN_COMMAND = 60009         # unknown /v4/<service>/<command>
NOT_ADMIN = 60010               # non-admin identifier on a non-follow API
SDKAPPID_MISSING = 60012        # sdkappid missing
USERID_NOT_STRING = 60015       # a UserID field is not a string
INVALID_QUERY = 60025           # identifier, usersig, random or contenttype missing or malformed

# UserSig
SIG_EXPIRED = 70001
SIG_EMPTY = 70002
SIG_UNDECODABLE = 70003         # base64, zlib or JSON
SIG_VERIFY_FAILED = 70009       # the signature does not verify
SIG_OTHER_IDENTIFIER = 70013    # made for another identifier
SIG_OTHER_SDKAPPID = 70014      # made for another SDKAppID
SDKAPPID_UNKNOWN = 70020        # sdkappid is not a configured app

# account APIs (and other non-follow APIs)
ACCOUNT_NOT_FOUND = 70107       # account_delete: the account does not exist
ACCOUNT_INVALID_PARAMS = 70402  # a required field missing or malformed, or over the batch limit
NON_FOLLOW_INTERNAL_ERROR = 70500  # internal error on a non-follow API
