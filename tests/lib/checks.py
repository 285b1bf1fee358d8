"""Assertions on the service's answers: the envelope, request-wide failures, per-target results,
follow_get pages, and Failures to report every failing row of a table at once."""

from codes import INVALID_PARAMS, NOT_IMPORTED, OK, USERID_NOT_STRING

__all__ = [
    "ENVELOPE", "GET_ITEM_KEYS", "RESULT_KEYS", "CHECK_KEYS", "INFO_KEYS",
    "Resp", "TestFailure", "Failures", "idkey", "fail", "check", "expect_eq", "expect_envelope",
    "expect_ok", "expect_fail", "expect_fail_rows", "to_account_rows", "expect_results",
    "profile_pairs", "expect_get_page",
]

ENVELOPE = ["ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay"]
GET_ITEM_KEYS = ["To_Account", "FollowTime", "ProfileItem", "ProfileSequence", "profile_sequence"]
RESULT_KEYS = ["To_Account", "ResultCode", "ResultInfo"]
CHECK_KEYS = ["To_Account", "ResultCode", "ResultInfo", "FollowType"]
INFO_KEYS = ["To_Account", "ResultCode", "ResultInfo", "FollowerCount", "FollowingCount",
             "MutualFollowingCount"]


class Resp(dict):
    """A parsed JSON response body (a dict, keys in document order) that remembers the request,
    so that a failure shows both."""
    request = ""
    raw = b""
    status = 200
    content_type = ""

    def describe(self):
        raw = self.raw
        if len(raw) > 3000:
            raw = raw[:3000] + b"...(%d bytes)" % len(self.raw)
        return "  request:  %s\n  response: HTTP %s %s" % (self.request, self.status,
                                                           raw.decode("utf-8", "replace"))


class TestFailure(AssertionError):
    pass


def idkey(account):
    """Sort key of the contract's 'ascending byte order' of accounts."""
    return account.encode("utf-8", "surrogateescape")


def fail(resp, msg):
    if isinstance(resp, Resp):
        raise TestFailure("%s\n%s" % (msg, resp.describe()))
    raise TestFailure("%s\n  response: %r" % (msg, resp))


def check(cond, resp, msg):
    if not cond:
        fail(resp, msg)


def expect_eq(actual, expected, resp_or_msg, msg=""):
    if actual != expected:
        if isinstance(resp_or_msg, Resp):
            fail(resp_or_msg, "%s: got %r, expected %r" % (msg, actual, expected))
        raise TestFailure("%s: got %r, expected %r" % (resp_or_msg or msg, actual, expected))


class Failures:
    """Collects failures so one test can report every failing row, not only the first:

        fl = Failures()
        for ...:
            with fl:
                expect_fail(...)
        fl.done()        # raises one TestFailure listing all of them
    """

    def __init__(self):
        self.msgs = []

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is not None and issubclass(et, AssertionError):
            self.msgs.append(str(ev))
            return True
        return False

    def done(self):
        if self.msgs:
            raise TestFailure("%d failing rows:\n%s" % (len(self.msgs), "\n".join(
                "[%d] %s" % (i + 1, m) for i, m in enumerate(self.msgs))))


# ---------------------------------------------------------------------------------------------
# the envelope


def expect_envelope(r):
    keys = list(r.keys())
    check(keys[:4] == ENVELOPE, r, "envelope keys must come first in order %s, got %s" % (ENVELOPE,
                                                                                        keys))
    check(r["ActionStatus"] in ("OK", "FAIL"), r, "ActionStatus must be OK or FAIL")
    check(type(r["ErrorCode"]) is int, r, "ErrorCode must be an int")
    check(isinstance(r["ErrorInfo"], str), r, "ErrorInfo must be a string")
    check(r["ErrorDisplay"] == "", r, "ErrorDisplay must be \"\"")


def expect_ok(r, extra_keys=()):
    """Success envelope and exactly these extra top-level keys."""
    expect_envelope(r)
    check(r["ActionStatus"] == "OK" and r["ErrorCode"] == OK, r,
          "expected ActionStatus OK / ErrorCode %d" % OK)
    check(r["ErrorInfo"] == "", r, "ErrorInfo must be \"\" on success")
    want = set(ENVELOPE) | set(extra_keys)
    check(set(r.keys()) == want, r, "top-level keys should be %s" % sorted(want))


def expect_fail(r, code, field=None):
    """Request-wide failure with this code: only the envelope, ErrorInfo non-empty and (if field is
    given: a name or a tuple of names) mentioning the field."""
    expect_envelope(r)
    check(r["ActionStatus"] == "FAIL" and r["ErrorCode"] == code, r,
          "expected ActionStatus FAIL / ErrorCode %d" % code)
    check(r["ErrorInfo"] != "", r, "ErrorInfo must not be empty on failure")
    check(set(r.keys()) == set(ENVELOPE), r, "a request-wide failure has only the envelope keys")
    if field is not None:
        fields = field if isinstance(field, (tuple, list)) else (field,)
        check(any(f in r["ErrorInfo"] for f in fields), r,
              "ErrorInfo should name the field %s" % " or ".join(fields))


def expect_fail_rows(srv, path, rows, query_overrides=None, fl=None):
    """rows: (body, code, field-or-None); each is one request expected to fail request-wide.
    Every failing row is reported: at the end, or, given a Failures `fl`, by the caller's
    fl.done() (so it can add checks of its own). Returns fl."""
    own = fl is None
    fl = Failures() if own else fl
    for row in rows:
        body, code = row[0], row[1]
        field = row[2] if len(row) > 2 else None
        with fl:
            expect_fail(srv.call(path, body, query_overrides=query_overrides), code, field)
    if own:
        fl.done()
    return fl


def to_account_rows(frm, to, ghost, malformed, not_strings):
    """expect_fail_rows rows for the follow APIs whose body is {"From_Account": frm,
    "To_Account": [to, ...]} (follow_delete, follow_check, follow_get_info): a field missing or not
    of its type, From_Account not imported (ghost), malformed, or not a string."""
    rows = [
        ({"To_Account": [to]}, INVALID_PARAMS, "From_Account"),
        ({"From_Account": frm}, INVALID_PARAMS, "To_Account"),
        ({"From_Account": frm, "To_Account": []}, INVALID_PARAMS, "To_Account"),
    ]
    for v in (to, {"x": to}, 5, 7, None):  # not an array
        rows.append(({"From_Account": frm, "To_Account": v}, INVALID_PARAMS, "To_Account"))
    rows.append(({"From_Account": ghost, "To_Account": [to]}, NOT_IMPORTED, None))
    for bad in malformed:
        rows.append(({"From_Account": bad, "To_Account": [to]}, INVALID_PARAMS, "From_Account"))
    for v in not_strings:
        rows.append(({"From_Account": v, "To_Account": [to]}, USERID_NOT_STRING, None))
        rows.append(({"From_Account": frm, "To_Account": [to, v]}, USERID_NOT_STRING, None))
    return rows


# ---------------------------------------------------------------------------------------------
# per-target results


def expect_results(r, listkey, expected, keys=RESULT_KEYS, idkey_name="To_Account",
                   ordered=False):
    """OK response whose `listkey` array is exactly `expected`: a list of (id, ResultCode) or
    (id, ResultCode, {field: value}) tuples, in order. Each element has exactly `keys` (in that
    order too when `ordered`)."""
    expect_ok(r, [listkey])
    arr = r[listkey]
    check(isinstance(arr, list), r, "%s must be an array" % listkey)
    check(len(arr) == len(expected), r, "%s should have %d elements, has %d"
          % (listkey, len(expected), len(arr)))
    for i, exp in enumerate(expected):
        ident, code = exp[0], exp[1]
        extra = exp[2] if len(exp) > 2 else {}
        it = arr[i]
        where = "%s[%d]" % (listkey, i)
        check(isinstance(it, dict), r, "%s is not an object" % where)
        got_keys = list(it.keys())
        check(got_keys == keys if ordered else set(got_keys) == set(keys), r,
              "%s keys should be %s%s, got %s" % (where, keys, " in order" if ordered else "",
                                                 got_keys))
        check(it[idkey_name] == ident, r, "%s.%s should be %r" % (where, idkey_name, ident))
        check(type(it["ResultCode"]) is int and it["ResultCode"] == code, r,
              "%s.ResultCode should be %s" % (where, code))
        if code == OK:
            check(it["ResultInfo"] == "", r, "%s.ResultInfo must be \"\" when ok" % where)
        else:
            check(isinstance(it["ResultInfo"], str) and it["ResultInfo"] != "", r,
                  "%s.ResultInfo must explain the failure" % where)
        for k, v in extra.items():
            check(it.get(k) == v and type(it.get(k)) is type(v), r,
                  "%s.%s should be %r" % (where, k, v))


# ---------------------------------------------------------------------------------------------
# profiles and follow_get pages


def profile_pairs(r, pitems, where):
    """Checks a ProfileItem array ([{Tag, Value}...]) and returns [(tag, value)]."""
    check(isinstance(pitems, list), r, "%s: ProfileItem must be an array" % where)
    out = []
    for j, p in enumerate(pitems):
        check(isinstance(p, dict) and list(p.keys()) == ["Tag", "Value"], r,
              "%s: ProfileItem[%d] must be {Tag, Value} (keys in that order)" % (where, j))
        check(isinstance(p["Tag"], str), r, "%s: ProfileItem[%d].Tag must be a string" % (where, j))
        check(type(p["Value"]) in (str, int), r,
              "%s: ProfileItem[%d].Value must be a string or an integer" % (where, j))
        out.append((p["Tag"], p["Value"]))
    return out


def expect_get_page(r, want=100, lenient_seq=False):
    """A follow_get page asked with WantNum `want` (None: absent): at most that many items (1000
    at most), each well formed, newest first then account ascending; a page with a NextCursor is
    full. Each item carries its account's profile as [{Tag, Value}] and one version number under
    both spellings: 0 exactly when no tag is set, or, with lenient_seq (t1100, whose accounts are
    deleted and imported again: a new profile need not start again at version 0), > 0 when a tag
    is set."""
    expect_ok(r, ["FollowItem", "NextCursor"])
    check(isinstance(r["FollowItem"], list), r, "FollowItem must be an array")
    check(isinstance(r["NextCursor"], str), r, "NextCursor must be a string")
    limit = 100 if want is None else min(want, 1000)
    check(len(r["FollowItem"]) <= limit, r, "page longer than %d" % limit)
    prev = None
    for i, it in enumerate(r["FollowItem"]):
        check(isinstance(it, dict) and set(it.keys()) == set(GET_ITEM_KEYS), r,
              "FollowItem[%d] keys should be %s" % (i, GET_ITEM_KEYS))
        check(isinstance(it["To_Account"], str) and it["To_Account"] != "", r,
              "FollowItem[%d].To_Account must be a non-empty string" % i)
        check(type(it["FollowTime"]) is int and it["FollowTime"] > 1500000000, r,
              "FollowItem[%d].FollowTime must be Unix seconds (int)" % i)
        pairs = profile_pairs(r, it["ProfileItem"], "FollowItem[%d]" % i)
        seq = it["ProfileSequence"]
        check(type(seq) is int and seq >= 0, r,
              "FollowItem[%d].ProfileSequence should be a version number (an int >= 0)" % i)
        check(type(it["profile_sequence"]) is int and it["profile_sequence"] == seq, r,
              "FollowItem[%d].profile_sequence should equal ProfileSequence" % i)
        if lenient_seq:
            check(seq > 0 or not pairs, r,
                  "FollowItem[%d]: a profile with tags must have ProfileSequence > 0" % i)
        else:
            check((seq == 0) == (pairs == []), r,
                  "FollowItem[%d]: version 0 exactly when no tag is set" % i)
        key = (-it["FollowTime"], idkey(it["To_Account"]))
        if prev is not None:
            check(prev < key, r, "FollowItem[%d] out of order (newest first, then account "
                                 "ascending)" % i)
        prev = key
    if want is not None and r["NextCursor"] != "":
        check(len(r["FollowItem"]) == limit, r, "a page with a NextCursor should be full")
