#!/usr/bin/env python3
"""Profile APIs (profile/portrait_set, profile/portrait_get): every tag type, valid and invalid
values, all-or-nothing sets, portrait_get shapes and per-item codes, batch limits, Nick/FaceUrl from
the account imports, the profile version, the profiles follow_get shows, and what account_delete
does to a profile."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

SET = "profile/portrait_set"
GET = "profile/portrait_get"
SVC = "im_open_login_svc/"

NICK = "Tag_Profile_IM_Nick"
GENDER = "Tag_Profile_IM_Gender"
BIRTHDAY = "Tag_Profile_IM_BirthDay"
LOCATION = "Tag_Profile_IM_Location"
SELFSIG = "Tag_Profile_IM_SelfSignature"
ALLOW = "Tag_Profile_IM_AllowType"
LANGUAGE = "Tag_Profile_IM_Language"
IMAGE = "Tag_Profile_IM_Image"
FORBID = "Tag_Profile_IM_AdminForbidType"
LEVEL = "Tag_Profile_IM_Level"
STD_TAGS = [NICK, GENDER, BIRTHDAY, LOCATION, SELFSIG, ALLOW, LANGUAGE, IMAGE, FORBID, LEVEL]
STRING_TAGS = [NICK, SELFSIG, IMAGE]           # plain strings, <= 500 bytes
INT_TAGS = [BIRTHDAY, LANGUAGE, LEVEL]          # uint32
ENUMS = {
    GENDER: ["Gender_Type_Unknown", "Gender_Type_Female", "Gender_Type_Male"],
    ALLOW: ["AllowType_Type_NeedConfirm", "AllowType_Type_AllowAny", "AllowType_Type_DenyAny"],
    FORBID: ["AdminForbid_Type_None", "AdminForbid_Type_SendOut"],
}
CUSTOM = "Tag_Profile_Custom_"
HOBBY = CUSTOM + "Hobby"
CUSTOM_OK = [HOBBY, CUSTOM + "A", CUSTOM + "z", CUSTOM + "ABCDEFGH", CUSTOM + "aBcDeFgH"]
CUSTOM_BAD = [CUSTOM, CUSTOM + "ABCDEFGHI", CUSTOM + "Ab1", CUSTOM + "1", CUSTOM + "a_b",
              CUSTOM + "Hob by", CUSTOM + "\u00e9t\u00e9", CUSTOM + "Hobby\u0000",
              CUSTOM + "Hobby ", "Tag_Profile_custom_Hobby", "Tag_Profile_Custom" + "Hobby"]
UNKNOWN_TAGS = ["Tag_Profile_IM_Foo", "tag_profile_im_nick", "TAG_PROFILE_IM_NICK",
                "Tag_Profile_IM_Nick ", " Tag_Profile_IM_Nick", "Tag_Profile_IM_Nick\u0000",
                "Tag_Profile_IM_Nickname", "Tag_Profile_IM_", "Tag_Profile_SNS_Foo", "Nick", ""]
# every tag the tests read back when they look at "the whole profile"
READ_TAGS = STD_TAGS + CUSTOM_OK

MALFORMED = ["", "x" * 33, "\u00e9" * 17, "a\x01b", "bad\udcffutf8"]
NOT_STRINGS = [5, None, {}, [], True]  # contract: null is "not a string" -> 60015
UPI_KEYS = ["To_Account", "ProfileItem", "ResultCode", "ResultInfo"]
U32_MAX = 4294967295
WRONG_TYPES_FOR_STRING = [5, 0, 1.5, True, False, None, ["x"], [], {"a": "b"}, {}]
WRONG_TYPES_FOR_INT = ["5", "", 1.5, -0.5, True, False, None, [5], [], {"v": 5}, {}]
BAD_INTS = [-1, -4294967296, U32_MAX + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1, 2 ** 64, 10 ** 25,
            -(2 ** 63)]
WRONG_TYPES_FOR_CUSTOM = [1.5, -0.5, True, False, None, [], ["x"], [1], {}, {"a": 1}]


# ---------------------------------------------------------------------------------------------
# helpers


def items(pairs):
    return [{"Tag": t, "Value": v} for t, v in pairs]


def pset(srv, frm, pairs, **kw):
    return srv.call(SET, {"From_Account": frm, "ProfileItem": items(pairs)}, **kw)


def expect_set_ok(r):
    expect_ok(r)
    check(list(r.keys()) == ENVELOPE, r, "portrait_set answers the envelope only, in order")


def must_set(srv, frm, pairs):
    r = pset(srv, frm, pairs)
    expect_set_ok(r)
    return r


def pget(srv, tos, tags, **kw):
    return srv.call(GET, {"To_Account": list(tos), "TagList": list(tags)}, **kw)


def import_one(srv, uid, **fields):
    body = {"UserID": uid}
    body.update(fields)
    r = srv.call(SVC + "account_import", body)
    expect_ok(r)
    return r


def same(a, b):
    """JSON equality that tells 5 from 5.0 and 1 from true."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def expect_pairs(r, got, want, where):
    check(len(got) == len(want) and all(g[0] == w[0] and same(g[1], w[1])
                                         for g, w in zip(got, want)), r,
          "%s: ProfileItem should be %r, got %r" % (where, _abbrev(want), _abbrev(got)))


def _abbrev(pairs):
    out = []
    for t, v in pairs:
        if isinstance(v, str) and len(v) > 40:
            v = "%s...(%d chars)" % (v[:20], len(v))
        out.append((t, v))
    return out


def expect_get(r, expected):
    """expected: [(To_Account, ResultCode, [(tag, value)...])] in order."""
    expect_results(r, "UserProfileItem", [(acct, code) for acct, code, _ in expected],
                   keys=UPI_KEYS, ordered=True)
    check(list(r.keys()) == ENVELOPE + ["UserProfileItem"], r, "top-level key order")
    for i, (acct, _, want) in enumerate(expected):
        where = "UserProfileItem[%d]" % i
        got = profile_pairs(r, r["UserProfileItem"][i]["ProfileItem"], where)
        expect_pairs(r, got, want, "%s (%r)" % (where, acct))


def expect_profile(srv, acct, values, tags=READ_TAGS):
    """portrait_get of `tags` for acct answers exactly `values` (a dict), in TagList order."""
    r = pget(srv, [acct], tags)
    expect_get(r, [(acct, OK, [(t, values[t]) for t in tags if t in values])])
    return r


def follow_view(srv, acct):
    """(pairs, ProfileSequence, resp): acct's profile as follow_get shows it to a follower (a
    watcher account made for acct follows it)."""
    w = ("sq_" + acct)[:32]
    srv.import_accounts([w])
    srv.must_add(w, [acct])
    r = srv.follow_get(w, FOLLOWING)
    expect_get_page(r, lenient_seq=True)
    check(len(r["FollowItem"]) == 1 and r["FollowItem"][0]["To_Account"] == acct, r,
          "watcher %s should follow exactly %r" % (w, acct))
    it = r["FollowItem"][0]
    return profile_pairs(r, it["ProfileItem"], "follow_get item"), it["ProfileSequence"], r


def seq_of(srv, acct):
    return follow_view(srv, acct)[1]


def expect_view(srv, acct, want_pairs, ordered=True):
    pairs, seq, r = follow_view(srv, acct)
    if ordered:
        expect_pairs(r, pairs, want_pairs, "follow_get profile of %r" % acct)
    else:
        expect_pairs(r, sorted(pairs), sorted(want_pairs), "follow_get profile of %r (any order)"
                     % acct)
    return seq, r


def expect_nothing_stored(srv, acct, fl):
    """acct's profile is still empty, at version 0 (every portrait_set of it failed); failures go
    to the Failures fl."""
    with fl:
        expect_profile(srv, acct, {})
    with fl:
        expect_eq(follow_view(srv, acct)[:2], ([], 0), "%s: nothing stored, version 0" % acct)


def item_fields(tag):
    return (tag, "ProfileItem", "Tag", "Value")


def set_fail_rows(acct, tag, values, code):
    return [({"From_Account": acct, "ProfileItem": [{"Tag": tag, "Value": v}]}, code,
             item_fields(tag)) for v in values]


def cname(i):
    """The i-th (0..675) custom tag name made of letters only."""
    return CUSTOM + "Q" + chr(65 + i // 26) + chr(97 + i % 26)


# ---------------------------------------------------------------------------------------------
# portrait_set: valid values of every type


def test_set_and_get_every_standard_tag(srv):
    a = srv.import_accounts(["ps_all"])[0]
    # set in an order that differs from STD_TAGS, so TagList order and first-set order differ
    vals = [
        (LEVEL, 7),
        (NICK, "Alice \u5f20\u4e09 \U0001F600"),
        (FORBID, "AdminForbid_Type_SendOut"),
        (BIRTHDAY, 19900101),
        (IMAGE, "http://example.com/a.png?x=1&y=2"),
        (GENDER, "Gender_Type_Female"),
        (SELFSIG, "hi\n\t\"quoted\" \\ / </script>"),
        (LANGUAGE, 2052),
        (ALLOW, "AllowType_Type_AllowAny"),
        (LOCATION, "CN-BJ-Haidian"),
    ]
    must_set(srv, a, vals)
    d = dict(vals)
    expect_profile(srv, a, d, STD_TAGS)
    expect_profile(srv, a, d, list(reversed(STD_TAGS)))
    expect_profile(srv, a, d, [GENDER, LEVEL])
    expect_profile(srv, a, d, READ_TAGS)
    seq, r = expect_view(srv, a, vals)   # follow_get: every tag, in the order first set
    check(seq > 0, r, "ProfileSequence > 0 once tags are set")


def test_enum_tags_every_value(srv):
    a = srv.import_accounts(["ps_enum"])[0]
    fl = Failures()
    for tag, values in ENUMS.items():
        for v in values:
            with fl:
                must_set(srv, a, [(tag, v)])
                r = pget(srv, [a], [tag])
                expect_get(r, [(a, OK, [(tag, v)])])
    fl.done()
    expect_profile(srv, a, {GENDER: ENUMS[GENDER][-1], ALLOW: ENUMS[ALLOW][-1],
                            FORBID: ENUMS[FORBID][-1]})


def test_integer_tags_valid(srv):
    a = srv.import_accounts(["ps_int"])[0]
    fl = Failures()
    for tag in INT_TAGS:
        for v in (0, 1, 20240229, 2 ** 31, U32_MAX):
            with fl:
                must_set(srv, a, [(tag, v)])
                expect_get(pget(srv, [a], [tag]), [(a, OK, [(tag, v)])])
    fl.done()
    expect_view(srv, a, [(t, U32_MAX) for t in INT_TAGS])


def test_string_tags_valid(srv):
    a = srv.import_accounts(["ps_str"])[0]
    fl = Failures()
    values = ["x", "x" * 500, "\u00e9" * 250, "\U0001F600" * 125, "\u4e2d" * 166 + "ab",
              "line1\nline2\ttab \"q\" \\ \u2028", "a\u0001b\u001f", "   "]
    for tag in STRING_TAGS:
        for v in values:
            with fl:
                must_set(srv, a, [(tag, v)])
                expect_get(pget(srv, [a], [tag]), [(a, OK, [(tag, v)])])
    for v in ("x" * 16, "\u00e9" * 8, "\U0001F600" * 4, "\u4e2d" * 5 + "a", "a", "Shenzhen"):
        with fl:
            must_set(srv, a, [(LOCATION, v)])
            expect_get(pget(srv, [a], [LOCATION]), [(a, OK, [(LOCATION, v)])])
    fl.done()


def test_empty_string_is_a_value(srv):
    # The contract lists no rule against "", so it is a value that is stored and returned.
    a = srv.import_accounts(["ps_empty"])[0]
    must_set(srv, a, [(NICK, ""), (LOCATION, ""), (HOBBY, "")])
    expect_profile(srv, a, {NICK: "", LOCATION: "", HOBBY: ""})
    expect_view(srv, a, [(NICK, ""), (LOCATION, ""), (HOBBY, "")])


def test_custom_tags_valid(srv):
    a = srv.import_accounts(["ps_cust"])[0]
    pairs = [(CUSTOM_OK[0], "reading"), (CUSTOM_OK[1], 0), (CUSTOM_OK[2], U32_MAX),
             (CUSTOM_OK[3], "y" * 500), (CUSTOM_OK[4], "\u00e9" * 250)]
    must_set(srv, a, pairs)
    expect_profile(srv, a, dict(pairs))
    expect_view(srv, a, pairs)
    # a custom tag may change type on a later set: string -> int -> string
    must_set(srv, a, [(HOBBY, 42)])
    expect_get(pget(srv, [a], [HOBBY]), [(a, OK, [(HOBBY, 42)])])
    must_set(srv, a, [(HOBBY, "42")])
    expect_get(pget(srv, [a], [HOBBY]), [(a, OK, [(HOBBY, "42")])])
    # the letters are case-sensitive names: Hobby and HOBBY are two tags
    must_set(srv, a, [(CUSTOM + "HOBBY", "upper")])
    expect_get(pget(srv, [a], [HOBBY, CUSTOM + "HOBBY", CUSTOM + "hobby"]),
               [(a, OK, [(HOBBY, "42"), (CUSTOM + "HOBBY", "upper")])])


# ---------------------------------------------------------------------------------------------
# portrait_set: invalid values of every type


def test_string_tag_errors(srv):
    a = srv.import_accounts(["pe_str"])[0]
    rows = []
    for tag in STRING_TAGS:
        rows += set_fail_rows(a, tag, WRONG_TYPES_FOR_STRING, PROFILE_WRONG_TYPE)
        rows += set_fail_rows(a, tag, ["x" * 501, "\u00e9" * 251, "\U0001F600" * 126,
                                       "x" * 5000], PROFILE_VALUE_TOO_LONG)
        rows += set_fail_rows(a, tag, ["a\u0000b", "\u0000", "abc\u0000"], PROFILE_INVALID_VALUE)
    rows += set_fail_rows(a, LOCATION, WRONG_TYPES_FOR_STRING, PROFILE_WRONG_TYPE)
    rows += set_fail_rows(a, LOCATION, ["x" * 17, "\u00e9" * 9, "\U0001F600" * 5,
                                        "\u4e2d" * 6, "x" * 501], PROFILE_VALUE_TOO_LONG)
    rows += set_fail_rows(a, LOCATION, ["a\u0000b", "\u0000"], PROFILE_INVALID_VALUE)
    fl = expect_fail_rows(srv, SET, rows, fl=Failures())
    expect_nothing_stored(srv, a, fl)
    fl.done()


def test_enum_tag_errors(srv):
    a = srv.import_accounts(["pe_enum"])[0]
    rows = []
    for tag, values in ENUMS.items():
        rows += set_fail_rows(a, tag, [0, 1, 1.5, True, None, [values[0]], {"v": values[0]}],
                              PROFILE_WRONG_TYPE)
        bad = ["", "x", values[0].lower(), values[0].upper(), values[0] + " ", " " + values[0],
               values[0] + "\u0000", values[0].split("_")[-1], values[0][:-1]]
        rows += set_fail_rows(a, tag, bad, PROFILE_INVALID_VALUE)
    # the spec's shorthand "Female" is not a value; the long names are
    rows += set_fail_rows(a, GENDER, ["Female", "Male", "Unknown", "Gender_Type_Other"],
                          PROFILE_INVALID_VALUE)
    rows += set_fail_rows(a, ALLOW, ["AllowAny", "AllowType_Type_Any"], PROFILE_INVALID_VALUE)
    rows += set_fail_rows(a, FORBID, ["SendOut", "AdminForbid_Type_All"], PROFILE_INVALID_VALUE)
    # the value of one enum tag is no value for another
    rows += set_fail_rows(a, GENDER, [ENUMS[ALLOW][0]], PROFILE_INVALID_VALUE)
    rows += set_fail_rows(a, FORBID, [ENUMS[GENDER][0]], PROFILE_INVALID_VALUE)
    # a long enum-like string: either "too long" or "invalid value" is fair, but it must fail
    fl = expect_fail_rows(srv, SET, rows, fl=Failures())
    for tag in ENUMS:
        with fl:
            r = pset(srv, a, [(tag, "x" * 501)])
            expect_envelope(r)
            check(r["ActionStatus"] == "FAIL" and
                  r["ErrorCode"] in (PROFILE_VALUE_TOO_LONG, PROFILE_INVALID_VALUE), r,
                  "a 501-byte value for %s must fail with 40601 or 40605" % tag)
    expect_nothing_stored(srv, a, fl)
    fl.done()


def test_integer_tag_errors(srv):
    a = srv.import_accounts(["pe_int"])[0]
    rows = []
    for tag in INT_TAGS:
        rows += set_fail_rows(a, tag, WRONG_TYPES_FOR_INT, PROFILE_WRONG_TYPE)
        rows += set_fail_rows(a, tag, BAD_INTS, PROFILE_INVALID_VALUE)
    fl = expect_fail_rows(srv, SET, rows, fl=Failures())
    expect_nothing_stored(srv, a, fl)
    fl.done()


def test_custom_tag_errors(srv):
    a = srv.import_accounts(["pe_cust"])[0]
    rows = []
    for tag in (HOBBY, CUSTOM + "ABCDEFGH"):
        rows += set_fail_rows(a, tag, WRONG_TYPES_FOR_CUSTOM, PROFILE_WRONG_TYPE)
        rows += set_fail_rows(a, tag, ["x" * 501, "\u00e9" * 251, "x" * 5000],
                              PROFILE_VALUE_TOO_LONG)
        rows += set_fail_rows(a, tag, BAD_INTS, PROFILE_INVALID_VALUE)
        rows += set_fail_rows(a, tag, ["a\u0000b", "\u0000"], PROFILE_INVALID_VALUE)
    for name in CUSTOM_BAD:
        rows += set_fail_rows(a, name, ["x"], PROFILE_UNKNOWN_TAG)
        rows += set_fail_rows(a, name, [5], PROFILE_UNKNOWN_TAG)
    fl = expect_fail_rows(srv, SET, rows, fl=Failures())
    expect_nothing_stored(srv, a, fl)
    fl.done()


def test_unknown_tags(srv):
    a = srv.import_accounts(["pe_unk"])[0]
    rows = []
    for name in UNKNOWN_TAGS:
        rows += set_fail_rows(a, name, ["x"], PROFILE_UNKNOWN_TAG)
    fl = expect_fail_rows(srv, SET, rows, fl=Failures())
    expect_nothing_stored(srv, a, fl)
    fl.done()


def test_portrait_set_request_errors(srv):
    a = srv.import_accounts(["pr_a"])[0]
    good = [{"Tag": NICK, "Value": "n"}]
    rows = [
        ({"ProfileItem": good}, PROFILE_INVALID_PARAMS, "From_Account"),
        ({"From_Account": "pr_none", "ProfileItem": good}, PROFILE_NOT_IMPORTED,
         ("From_Account", "pr_none")),
        ({"From_Account": "x" * 31 + "y", "ProfileItem": good}, PROFILE_NOT_IMPORTED, None),
    ]
    for bad in MALFORMED:
        rows.append(({"From_Account": bad, "ProfileItem": good}, PROFILE_INVALID_PARAMS,
                     "From_Account"))
    for v in NOT_STRINGS:
        rows.append(({"From_Account": v, "ProfileItem": good}, USERID_NOT_STRING, "From_Account"))
    for pi in ("missing", [], {}, good[0], "Tag_Profile_IM_Nick", 5, None, True):
        body = {"From_Account": a}
        if pi != "missing":
            body["ProfileItem"] = pi
        rows.append((body, PROFILE_INVALID_PARAMS, "ProfileItem"))
    bad_items = [
        5, "x", None, [], [NICK, "n"], True,
        {}, {"Tag": NICK}, {"Value": "n"}, {"tag": NICK, "value": "n"},
        {"Tag": 5, "Value": "n"}, {"Tag": None, "Value": "n"}, {"Tag": [NICK], "Value": "n"},
        {"Tag": {"n": NICK}, "Value": "n"}, {"Tag": True, "Value": "n"},
    ]
    for it in bad_items:
        rows.append(({"From_Account": a, "ProfileItem": [it]}, PROFILE_INVALID_PARAMS, None))
        rows.append(({"From_Account": a, "ProfileItem": good + [it]}, PROFILE_INVALID_PARAMS, None))
    fl = expect_fail_rows(srv, SET, rows, fl=Failures())
    expect_nothing_stored(srv, a, fl)
    with fl:
        r = pget(srv, ["pr_none"], [NICK])
        expect_get(r, [("pr_none", PROFILE_NOT_IMPORTED, [])])
    fl.done()


def test_item_with_extra_keys_is_accepted(srv):
    # Not in the contract's list of errors: an item with Tag, Value and something else is an item
    # with a Tag and a Value.  Reported separately so a stricter server shows up clearly.
    a = srv.import_accounts(["pr_extra"])[0]
    r = srv.call(SET, {"From_Account": a,
                       "ProfileItem": [{"Tag": NICK, "Value": "n", "Comment": "extra"}]})
    expect_set_ok(r)
    expect_profile(srv, a, {NICK: "n"})


# ---------------------------------------------------------------------------------------------
# portrait_set semantics


def test_all_or_nothing(srv):
    a = srv.import_accounts(["an_a"])[0]
    must_set(srv, a, [(NICK, "keep"), (LEVEL, 3), (HOBBY, "chess")])
    before = {NICK: "keep", LEVEL: 3, HOBBY: "chess"}
    seq0, _ = expect_view(srv, a, [(NICK, "keep"), (LEVEL, 3), (HOBBY, "chess")])
    changes = [(NICK, "changed"), (GENDER, "Gender_Type_Male"), (LEVEL, 4), (HOBBY, 9),
               (CUSTOM + "New", "new")]
    bad = [
        ({"Tag": NICK, "Value": 5}, PROFILE_WRONG_TYPE),
        ({"Tag": LEVEL, "Value": "4"}, PROFILE_WRONG_TYPE),
        ({"Tag": HOBBY, "Value": 1.5}, PROFILE_WRONG_TYPE),
        ({"Tag": SELFSIG, "Value": "s" * 501}, PROFILE_VALUE_TOO_LONG),
        ({"Tag": LOCATION, "Value": "l" * 17}, PROFILE_VALUE_TOO_LONG),
        ({"Tag": GENDER, "Value": "Gender_Type_X"}, PROFILE_INVALID_VALUE),
        ({"Tag": BIRTHDAY, "Value": -1}, PROFILE_INVALID_VALUE),
        ({"Tag": LANGUAGE, "Value": U32_MAX + 1}, PROFILE_INVALID_VALUE),
        ({"Tag": IMAGE, "Value": "a\u0000"}, PROFILE_INVALID_VALUE),
        ({"Tag": "Tag_Profile_IM_Nope", "Value": "x"}, PROFILE_UNKNOWN_TAG),
        ({"Tag": CUSTOM + "TooLongName", "Value": "x"}, PROFILE_UNKNOWN_TAG),
        ({"Tag": NICK}, PROFILE_INVALID_PARAMS),
        ({"Value": "x"}, PROFILE_INVALID_PARAMS),
        ("not an object", PROFILE_INVALID_PARAMS),
        ({"Tag": 7, "Value": "x"}, PROFILE_INVALID_PARAMS),
    ]
    fl = Failures()
    for it, code in bad:
        for pos in ("last", "first", "middle"):
            good_items = items(changes)
            if pos == "last":
                body_items = good_items + [it]
            elif pos == "first":
                body_items = [it] + good_items
            else:
                body_items = good_items[:2] + [it] + good_items[2:]
            with fl:
                r = srv.call(SET, {"From_Account": a, "ProfileItem": body_items})
                expect_fail(r, code)
    # a bad earlier value is not rescued by a good later value of the same tag
    for first, code in (((NICK, 5), PROFILE_WRONG_TYPE), ((LEVEL, -1), PROFILE_INVALID_VALUE),
                        ((NICK, "n" * 501), PROFILE_VALUE_TOO_LONG)):
        with fl:
            expect_fail(pset(srv, a, [first, (NICK, "ok"), (LEVEL, 5)]), code)
    # nor the other way round
    with fl:
        expect_fail(pset(srv, a, [(NICK, "ok"), (NICK, 5)]), PROFILE_WRONG_TYPE)
    with fl:
        expect_profile(srv, a, before)
    with fl:
        seq1, _ = expect_view(srv, a, [(NICK, "keep"), (LEVEL, 3), (HOBBY, "chess")])
        expect_eq(seq1, seq0, "version must not change on failed sets")
    fl.done()


def test_later_duplicate_wins(srv):
    a, b = srv.import_accounts(["dw_a", "dw_b"])
    must_set(srv, a, [(NICK, "first"), (GENDER, "Gender_Type_Male"), (NICK, "second")])
    expect_profile(srv, a, {NICK: "second", GENDER: "Gender_Type_Male"})
    must_set(srv, a, [(GENDER, "Gender_Type_Female"), (GENDER, "Gender_Type_Unknown")])
    expect_profile(srv, a, {NICK: "second", GENDER: "Gender_Type_Unknown"})
    must_set(srv, a, [(HOBBY, "s"), (LEVEL, 1), (HOBBY, 9), (LEVEL, 2), (LEVEL, 0)])
    expect_profile(srv, a, {NICK: "second", GENDER: "Gender_Type_Unknown", HOBBY: 9, LEVEL: 0})
    expect_view(srv, a, [(NICK, "second"), (GENDER, "Gender_Type_Unknown"), (HOBBY, 9),
                         (LEVEL, 0)], ordered=False)
    # many copies of one tag (100 items: still within the limit)
    must_set(srv, b, [(NICK, "n%d" % i) for i in range(100)])
    expect_profile(srv, b, {NICK: "n99"})
    expect_view(srv, b, [(NICK, "n99")])


def test_set_again_replaces(srv):
    a = srv.import_accounts(["sr_a"])[0]
    must_set(srv, a, [(NICK, "one")])
    must_set(srv, a, [(GENDER, "Gender_Type_Male"), (BIRTHDAY, 20000101)])
    must_set(srv, a, [(NICK, "two")])
    must_set(srv, a, [(BIRTHDAY, 19991231), (HOBBY, "go")])
    must_set(srv, a, [(GENDER, "Gender_Type_Female")])
    expect_profile(srv, a, {NICK: "two", GENDER: "Gender_Type_Female", BIRTHDAY: 19991231,
                            HOBBY: "go"})
    # follow_get lists tags in the order they were first set; replacing does not move a tag
    expect_view(srv, a, [(NICK, "two"), (GENDER, "Gender_Type_Female"), (BIRTHDAY, 19991231),
                         (HOBBY, "go")])
    # a long value replaced by a short one and back
    must_set(srv, a, [(SELFSIG, "s" * 500)])
    must_set(srv, a, [(SELFSIG, "s")])
    expect_get(pget(srv, [a], [SELFSIG]), [(a, OK, [(SELFSIG, "s")])])
    must_set(srv, a, [(SELFSIG, "\u00e9" * 250)])
    expect_get(pget(srv, [a], [SELFSIG]), [(a, OK, [(SELFSIG, "\u00e9" * 250)])])


# ---------------------------------------------------------------------------------------------
# portrait_get


def test_portrait_get_shapes_and_per_item_codes(srv):
    g1, g2 = srv.import_accounts(["pg_1", "pg_2"])
    must_set(srv, g1, [(NICK, "G1"), (LEVEL, 5), (HOBBY, "h"), (CUSTOM + "Num", 77)])
    tags = [LEVEL, GENDER, NICK, CUSTOM + "Num", HOBBY]
    g1_items = [(LEVEL, 5), (NICK, "G1"), (CUSTOM + "Num", 77), (HOBBY, "h")]
    r = pget(srv, [g1], tags)
    expect_get(r, [(g1, OK, g1_items)])
    r = pget(srv, [g1, "pg_none", g2, "", g1, "x" * 33, "a\x01b", "bad\udcffutf8", "\u00e9" * 17],
             tags)
    expect_get(r, [(g1, OK, g1_items), ("pg_none", PROFILE_NOT_IMPORTED, []), (g2, OK, []),
                   ("", PROFILE_INVALID_PARAMS, []), (g1, OK, g1_items),
                   ("x" * 33, PROFILE_INVALID_PARAMS, []), ("a\x01b", PROFILE_INVALID_PARAMS, []),
                   ("bad\udcffutf8", PROFILE_INVALID_PARAMS, []),
                   ("\u00e9" * 17, PROFILE_INVALID_PARAMS, [])])
    # duplicates answered once each, the same for both entries
    r = pget(srv, [g2, g1, g2, g1, "pg_none", "pg_none"], [NICK])
    expect_get(r, [(g2, OK, []), (g1, OK, [(NICK, "G1")]), (g2, OK, []), (g1, OK, [(NICK, "G1")]),
                   ("pg_none", PROFILE_NOT_IMPORTED, []), ("pg_none", PROFILE_NOT_IMPORTED, [])])
    arr = r["UserProfileItem"]
    check(arr[1] == arr[3] and arr[4] == arr[5], r, "duplicate entries get the same result")
    # only tags that are not set: []
    r = pget(srv, [g1], [GENDER, SELFSIG, CUSTOM + "Other"])
    expect_get(r, [(g1, OK, [])])
    # integers come back as integers, strings as strings
    must_set(srv, g2, [(CUSTOM + "Num", "77"), (HOBBY, 0)])
    r = pget(srv, [g1, g2], [CUSTOM + "Num", HOBBY])
    expect_get(r, [(g1, OK, [(CUSTOM + "Num", 77), (HOBBY, "h")]),
                   (g2, OK, [(CUSTOM + "Num", "77"), (HOBBY, 0)])])
    check(b'"Value":77' in r.raw.replace(b" ", b"") and b'"Value":0' in r.raw.replace(b" ", b""),
          r, "integers are written as JSON integers")


def test_portrait_get_request_errors(srv):
    a = srv.import_accounts(["pq_a"])[0]
    rows = [
        ({"TagList": [NICK]}, PROFILE_INVALID_PARAMS, "To_Account"),
        ({"To_Account": a, "TagList": [NICK]}, PROFILE_INVALID_PARAMS, "To_Account"),
        ({"To_Account": [], "TagList": [NICK]}, PROFILE_INVALID_PARAMS, "To_Account"),
        ({"To_Account": {"a": a}, "TagList": [NICK]}, PROFILE_INVALID_PARAMS, "To_Account"),
        ({"To_Account": None, "TagList": [NICK]}, PROFILE_INVALID_PARAMS, "To_Account"),
        ({"To_Account": 5, "TagList": [NICK]}, PROFILE_INVALID_PARAMS, "To_Account"),
        ({"To_Account": [a]}, PROFILE_INVALID_PARAMS, "TagList"),
        ({"To_Account": [a], "TagList": NICK}, PROFILE_INVALID_PARAMS, "TagList"),
        ({"To_Account": [a], "TagList": []}, PROFILE_INVALID_PARAMS, "TagList"),
        ({"To_Account": [a], "TagList": {"t": NICK}}, PROFILE_INVALID_PARAMS, "TagList"),
        ({"To_Account": [a], "TagList": None}, PROFILE_INVALID_PARAMS, "TagList"),
    ]
    for v in (5, None, [NICK], {"Tag": NICK}, True):
        rows.append(({"To_Account": [a], "TagList": [NICK, v]}, PROFILE_INVALID_PARAMS, "TagList"))
    for name in UNKNOWN_TAGS + CUSTOM_BAD:
        rows.append(({"To_Account": [a], "TagList": [NICK, name]}, PROFILE_UNKNOWN_TAG, None))
    for v in NOT_STRINGS:
        rows.append(({"To_Account": [a, v], "TagList": [NICK]}, USERID_NOT_STRING, "To_Account"))
        rows.append(({"To_Account": [v], "TagList": [NICK]}, USERID_NOT_STRING, "To_Account"))
    expect_fail_rows(srv, GET, rows)


def test_batch_limits(srv):
    ids = ["bl_%03d" % i for i in range(101)]
    srv.import_accounts(ids[:100])
    must_set(srv, ids[0], [(NICK, "first")])
    must_set(srv, ids[99], [(NICK, "last")])
    fl = Failures()
    # 100 targets pass, 101 fail request-wide
    with fl:
        r = pget(srv, ids[:100], [NICK])
        expect_get(r, [(u, OK, [(NICK, "first")] if i == 0 else [(NICK, "last")] if i == 99
                        else []) for i, u in enumerate(ids[:100])])
    with fl:
        expect_fail(pget(srv, ids, [NICK]), PROFILE_INVALID_PARAMS, "To_Account")
    with fl:  # 100 with one not imported: per-item
        r = pget(srv, ids[1:], [NICK])
        expect_get(r, [(u, PROFILE_NOT_IMPORTED if u == ids[100] else OK,
                        [(NICK, "last")] if u == ids[99] else []) for u in ids[1:]])
    # 100 tags in TagList pass, 101 fail
    tags100 = STD_TAGS + [cname(i) for i in range(90)]
    with fl:
        expect_get(pget(srv, [ids[0]], tags100), [(ids[0], OK, [(NICK, "first")])])
    with fl:
        expect_fail(pget(srv, [ids[0]], tags100 + [cname(90)]), PROFILE_INVALID_PARAMS, "TagList")
    # 100 items in one portrait_set pass (40 distinct tags, the later duplicate wins), 101 fail
    # and store nothing
    pairs100 = [(cname(i % 40), "v%d" % i if i % 2 else i) for i in range(100)]
    last = {}
    for t, v in pairs100:
        last[t] = v
    final = [(cname(i), last[cname(i)]) for i in range(40)]   # first-set order, last value
    with fl:
        must_set(srv, ids[1], pairs100)
        r = pget(srv, [ids[1]], [t for t, _ in final])
        expect_get(r, [(ids[1], OK, final)])
        rev = list(reversed(final))
        expect_get(pget(srv, [ids[1]], [t for t, _ in rev]), [(ids[1], OK, rev)])
    with fl:
        expect_view(srv, ids[1], final)
    pairs101 = [(cname(i + 200), "w") for i in range(101)]
    with fl:
        expect_fail(pset(srv, ids[2], pairs101), PROFILE_INVALID_PARAMS, "ProfileItem")
    with fl:
        expect_get(pget(srv, [ids[2]], [t for t, _ in pairs101[:100]]), [(ids[2], OK, [])])
        expect_eq(follow_view(srv, ids[2])[:2], ([], 0), "101 items: nothing stored")
    fl.done()


def test_one_set_of_100_distinct_tags(srv):
    # The contract allows 100 items per portrait_set and names no cap on the number of tags a
    # profile holds, so 100 distinct custom tags in one request are stored and read back.
    a = srv.import_accounts(["bl_distinct"])[0]
    pairs100 = [(cname(i), "v%d" % i if i % 2 else i) for i in range(100)]
    must_set(srv, a, pairs100)
    expect_get(pget(srv, [a], [t for t, _ in pairs100]), [(a, OK, pairs100)])
    rev = list(reversed(pairs100))
    expect_get(pget(srv, [a], [t for t, _ in rev]), [(a, OK, rev)])
    expect_view(srv, a, pairs100)


# ---------------------------------------------------------------------------------------------
# Nick / FaceUrl from the account imports


def test_import_nick_and_faceurl(srv):
    a = "im_a"
    import_one(srv, a, Nick="N1", FaceUrl="http://f/1.png")
    expect_profile(srv, a, {NICK: "N1", IMAGE: "http://f/1.png"})
    s1, r = expect_view(srv, a, [(NICK, "N1"), (IMAGE, "http://f/1.png")], ordered=False)
    check(s1 > 0, r, "version > 0 after an import with Nick/FaceUrl")
    import_one(srv, a, Nick="N2 \u5f20")
    expect_profile(srv, a, {NICK: "N2 \u5f20", IMAGE: "http://f/1.png"})
    s2, r = expect_view(srv, a, [(NICK, "N2 \u5f20"), (IMAGE, "http://f/1.png")], ordered=False)
    check(s2 > s1, r, "import with a new Nick bumps the version (%d -> %d)" % (s1, s2))
    import_one(srv, a, FaceUrl="http://f/2.png")
    expect_profile(srv, a, {NICK: "N2 \u5f20", IMAGE: "http://f/2.png"})
    s3 = seq_of(srv, a)
    expect_eq(s3 > s2, True, "import with a new FaceUrl bumps the version (%d -> %d)" % (s2, s3))
    # an import without Nick/FaceUrl leaves them alone
    import_one(srv, a)
    expect_profile(srv, a, {NICK: "N2 \u5f20", IMAGE: "http://f/2.png"})
    s4 = seq_of(srv, a)
    expect_eq(s4 >= s3, True, "version never goes back (%d -> %d)" % (s3, s4))
    r = srv.call(SVC + "multiaccount_import", {"Accounts": [a]})
    expect_ok(r, ["FailAccounts"])
    r = srv.call(SVC + "multiaccount_import", {"AccountList": [{"UserID": a}]})
    expect_ok(r, ["FailAccounts"])
    expect_profile(srv, a, {NICK: "N2 \u5f20", IMAGE: "http://f/2.png"})
    # tags set by portrait_set survive an import that changes Nick
    must_set(srv, a, [(GENDER, "Gender_Type_Male"), (HOBBY, 3)])
    import_one(srv, a, Nick="N3")
    expect_profile(srv, a, {NICK: "N3", IMAGE: "http://f/2.png", GENDER: "Gender_Type_Male",
                            HOBBY: 3})
    # portrait_set of Nick/Image, then an import, then portrait_set again: the last one wins
    must_set(srv, a, [(NICK, "P"), (IMAGE, "http://p")])
    expect_profile(srv, a, {NICK: "P", IMAGE: "http://p", GENDER: "Gender_Type_Male", HOBBY: 3})
    import_one(srv, a, Nick="I", FaceUrl="http://i")
    expect_profile(srv, a, {NICK: "I", IMAGE: "http://i", GENDER: "Gender_Type_Male", HOBBY: 3})
    # legacy Identifier
    r = srv.call(SVC + "account_import", {"Identifier": "im_legacy", "Nick": "Leg",
                                          "FaceUrl": "http://l"})
    expect_ok(r)
    expect_profile(srv, "im_legacy", {NICK: "Leg", IMAGE: "http://l"})
    # no Nick/FaceUrl: nothing set, version 0
    import_one(srv, "im_plain")
    expect_profile(srv, "im_plain", {})
    expect_eq(follow_view(srv, "im_plain")[:2], ([], 0), "plain import: no tags, version 0")


def test_multiaccount_import_nick_and_faceurl(srv):
    r = srv.call(SVC + "multiaccount_import", {"AccountList": [
        {"UserID": "mn_1", "Nick": "M1", "FaceUrl": "http://m/1"},
        {"UserID": "mn_2", "Nick": "M2"},
        {"UserID": "mn_3", "FaceUrl": "http://m/3"},
        {"UserID": "mn_4"}]})
    expect_ok(r, ["FailAccounts"])
    expect_eq(r["FailAccounts"], [], r, "FailAccounts")
    r = pget(srv, ["mn_1", "mn_2", "mn_3", "mn_4"], [IMAGE, NICK])
    expect_get(r, [("mn_1", OK, [(IMAGE, "http://m/1"), (NICK, "M1")]),
                   ("mn_2", OK, [(NICK, "M2")]), ("mn_3", OK, [(IMAGE, "http://m/3")]),
                   ("mn_4", OK, [])])
    s1 = seq_of(srv, "mn_1")
    expect_eq(s1 > 0, True, "mn_1 version > 0 (%d)" % s1)
    expect_eq(seq_of(srv, "mn_4"), 0, "mn_4 version")
    r = srv.call(SVC + "multiaccount_import", {"AccountList": [
        {"UserID": "mn_1", "Nick": "M1 new"}, {"UserID": "mn_2"}, {"UserID": "mn_4", "Nick": "M4"}]})
    expect_ok(r, ["FailAccounts"])
    r = srv.call(SVC + "multiaccount_import", {"Accounts": ["mn_1", "mn_2", "mn_3"]})
    expect_ok(r, ["FailAccounts"])
    r = pget(srv, ["mn_1", "mn_2", "mn_3", "mn_4"], [NICK, IMAGE])
    expect_get(r, [("mn_1", OK, [(NICK, "M1 new"), (IMAGE, "http://m/1")]),
                   ("mn_2", OK, [(NICK, "M2")]), ("mn_3", OK, [(IMAGE, "http://m/3")]),
                   ("mn_4", OK, [(NICK, "M4")])])
    s2 = seq_of(srv, "mn_1")
    expect_eq(s2 > s1, True, "mn_1 version after a new Nick (%d -> %d)" % (s1, s2))
    expect_eq(seq_of(srv, "mn_4") > 0, True, "mn_4 version after its first Nick")


# ---------------------------------------------------------------------------------------------
# the profile version


def test_version_increments(srv):
    a = srv.import_accounts(["pv_a"])[0]
    expect_eq(seq_of(srv, a), 0, "never set: version 0")
    must_set(srv, a, [(NICK, "one")])
    s1 = seq_of(srv, a)
    expect_eq(s1 > 0, True, "after the first set the version is > 0 (%d)" % s1)
    must_set(srv, a, [(GENDER, "Gender_Type_Male")])
    s2 = seq_of(srv, a)
    expect_eq(s2 > s1, True, "a new tag bumps the version (%d -> %d)" % (s1, s2))
    must_set(srv, a, [(NICK, "two"), (LEVEL, 1), (NICK, "three")])
    s3 = seq_of(srv, a)
    expect_eq(s3 > s2, True, "a multi-item set bumps the version (%d -> %d)" % (s2, s3))
    # failures of every kind leave it alone
    expect_fail(pset(srv, a, [(NICK, 5)]), PROFILE_WRONG_TYPE)
    expect_fail(pset(srv, a, [(NICK, "ok"), (LEVEL, -1)]), PROFILE_INVALID_VALUE)
    expect_fail(pset(srv, a, [(NICK, "x" * 501)]), PROFILE_VALUE_TOO_LONG)
    expect_fail(pset(srv, a, [(CUSTOM + "123", "x")]), PROFILE_UNKNOWN_TAG)
    expect_fail(srv.call(SET, {"From_Account": a, "ProfileItem": []}), PROFILE_INVALID_PARAMS)
    expect_fail(pset(srv, a, [(NICK, "admin only")], query_overrides={"identifier": "bob"}),
                NOT_ADMIN)
    expect_eq(seq_of(srv, a), s3, "failed portrait_sets leave the version alone")
    expect_profile(srv, a, {NICK: "three", GENDER: "Gender_Type_Male", LEVEL: 1})
    # an import that changes Nick bumps it; then portrait_set bumps it further
    import_one(srv, a, Nick="four")
    s4 = seq_of(srv, a)
    expect_eq(s4 > s3, True, "an import with a new Nick bumps the version (%d -> %d)" % (s3, s4))
    must_set(srv, a, [(HOBBY, 1)])
    s5 = seq_of(srv, a)
    expect_eq(s5 > s4, True, "portrait_set after an import (%d -> %d)" % (s4, s5))
    # versions of different accounts are independent: b's sets do not move a's
    b = srv.import_accounts(["pv_b"])[0]
    for i in range(5):
        must_set(srv, b, [(NICK, "b%d" % i)])
    expect_eq(seq_of(srv, a), s5, "another account's sets do not move a's version")
    expect_eq(seq_of(srv, b) > 0, True, "b's version > 0")


def test_version_bumps_on_every_successful_set(srv):
    # Contract: "every successful portrait_set ... increases the account's profile version",
    # also one that sets a value equal to the stored one.
    a = srv.import_accounts(["pv_same"])[0]
    must_set(srv, a, [(NICK, "same")])
    s1 = seq_of(srv, a)
    must_set(srv, a, [(NICK, "same")])
    s2 = seq_of(srv, a)
    expect_eq(s2 > s1, True, "a successful set of an equal value still bumps (%d -> %d)"
              % (s1, s2))


# ---------------------------------------------------------------------------------------------
# follow_get shows profiles


def _fan_profile(i):
    if i % 3 == 0:
        return []
    if i % 3 == 1:
        return [(NICK, "fan %d" % i)]
    return [(NICK, "fan %d \u7c89" % i), (LEVEL, i), (HOBBY, "h%d" % i), (CUSTOM + "Num", i * 1000)]


def test_follow_get_pages_with_profiles(srv):
    star = srv.import_accounts(["fs_star"])[0]
    fans = srv.import_accounts(["fs_f%02d" % i for i in range(45)])
    expect_profile_items = {}
    for i, f in enumerate(fans):
        p = _fan_profile(i)
        if p:
            must_set(srv, f, p)
        expect_profile_items[f] = p
        srv.must_add(f, [star])
    must_set(srv, star, [(NICK, "Star"), (IMAGE, "http://star")])
    for i in range(0, 10, 4):
        srv.must_add(star, fans[i:i + 4])     # star follows fans 0..11: mutual with them
    seqs = {}

    def check_walk(ft, want, who):
        got = srv.walk(star, ft, want, lenient_seq=True)
        expect_eq(sorted(it["To_Account"] for it, _ in got), sorted(who),
                  "list %d of the star" % ft)
        for it, r in got:
            acct = it["To_Account"]
            pairs = profile_pairs(r, it["ProfileItem"], acct)
            expect_pairs(r, pairs, expect_profile_items[acct], "follow_get item %s" % acct)
            if not expect_profile_items[acct]:
                check(it["ProfileSequence"] == 0, r, "%s: never set, ProfileSequence 0" % acct)
            if acct in seqs:
                check(seqs[acct] == it["ProfileSequence"], r,
                      "%s: the same version in every list" % acct)
            seqs[acct] = it["ProfileSequence"]

    check_walk(FANS, 7, fans)
    check_walk(FANS, 1000, fans)
    check_walk(FOLLOWING, 5, fans[:12])
    check_walk(MUTUAL, 5, fans[:12])
    # each fan sees the star's profile
    for f in fans[:3]:
        got = srv.walk(f, FOLLOWING, 10, lenient_seq=True)
        expect_eq([(it["To_Account"], profile_pairs(r, it["ProfileItem"], f)) for it, r in got],
                  [(star, [(NICK, "Star"), (IMAGE, "http://star")])], "%s's following" % f)
    # change some fans' profiles: the pages show the new values and larger versions
    old = dict(seqs)
    changed = fans[0:6] + fans[30:33]
    for f in changed:
        must_set(srv, f, [(NICK, "renamed " + f)])
        p = expect_profile_items[f]
        if any(t == NICK for t, _ in p):
            expect_profile_items[f] = [(t, "renamed " + f if t == NICK else v) for t, v in p]
        else:
            expect_profile_items[f] = p + [(NICK, "renamed " + f)]
    seqs.clear()
    check_walk(FANS, 10, fans)
    check_walk(MUTUAL, 100, fans[:12])
    fl = Failures()
    for f in fans:
        with fl:
            if f in changed:
                expect_eq(seqs[f] > old[f], True, "%s: version after the rename (%d -> %d)"
                          % (f, old[f], seqs[f]))
            else:
                expect_eq(seqs[f], old[f], "%s: version of an unchanged profile" % f)
    fl.done()


def test_pages_show_each_change_at_once(srv):
    # A worker keeps the profiles its pages read (src/store/profcache.c) while the profiles
    # table's mark stays the same. After any acknowledged change, every worker's next page must
    # show it: the same page is asked for again and again so that every worker holds a copy.
    star = srv.import_accounts(["pc_star"])[0]
    fans = srv.import_accounts(["pc_f%d" % i for i in range(6)])
    for f in fans:
        srv.must_add(f, [star])
    must_set(srv, fans[1], [(NICK, "one")])
    want = {f: [] for f in fans}
    want[fans[1]] = [(NICK, "one")]
    rounds = [0]

    def pages_show(what):
        rounds[0] += 1
        for k in range(8):   # 8 calls: both workers answer some
            r = srv.follow_get(star, FANS, "", 100)
            expect_get_page(r, 100, lenient_seq=True)
            got = {it["To_Account"]: profile_pairs(r, it["ProfileItem"], it["To_Account"])
                   for it in r["FollowItem"]}
            expect_eq(got, want, r, "call %d after %s" % (k + 1, what))

    pages_show("the first sets")
    for n in range(12):
        f = fans[n % 3]          # a fan with no profile yet gets one, then it changes
        must_set(srv, f, [(NICK, "n%d" % n)])
        want[f] = [(NICK, "n%d" % n)]
        pages_show("portrait_set %d of %s" % (n, f))
    # account_delete takes the profile with it; imported again the fan has none
    srv.account_delete([fans[1]])
    del want[fans[1]]
    pages_show("account_delete")
    import_one(srv, fans[1])
    srv.must_add(fans[1], [star])
    want[fans[1]] = []
    pages_show("the fan imported again")
    # a multiaccount_import with a Nick of a new fan, then of one that has a profile
    r = srv.call(SVC + "multiaccount_import", {"AccountList": [{"UserID": "pc_new", "Nick": "new"}]})
    expect_ok(r, ["FailAccounts"])
    srv.must_add("pc_new", [star])
    want["pc_new"] = [(NICK, "new")]
    pages_show("multiaccount_import of a new fan")
    expect_eq(rounds[0], 16, "rounds of pages")


# ---------------------------------------------------------------------------------------------
# account_delete


def test_delete_removes_profile(srv):
    a = "dp_a"
    import_one(srv, a, Nick="Before", FaceUrl="http://before")
    must_set(srv, a, [(GENDER, "Gender_Type_Female"), (HOBBY, "x"), (LEVEL, 9)])
    expect_profile(srv, a, {NICK: "Before", IMAGE: "http://before", GENDER: "Gender_Type_Female",
                            HOBBY: "x", LEVEL: 9})
    f = srv.import_accounts(["dp_fan"])[0]
    srv.must_add(f, [a])
    r = srv.account_delete([a])
    expect_results(r, "ResultItem", [(a, OK)], keys=["UserID", "ResultCode", "ResultInfo"],
                   idkey_name="UserID")
    expect_get(pget(srv, [a, f], [NICK]), [(a, PROFILE_NOT_IMPORTED, []), (f, OK, [])])
    expect_fail(pset(srv, a, [(NICK, "ghost")]), PROFILE_NOT_IMPORTED)
    # imported again: a fresh, empty profile
    srv.import_accounts([a])
    expect_profile(srv, a, {})
    expect_profile(srv, a, {}, [NICK, IMAGE, GENDER, HOBBY, LEVEL])
    expect_eq(srv.walk(f, FOLLOWING, lenient_seq=True), [],
              "the fan's edge went with the account")
    pairs, seq, r = follow_view(srv, a)
    expect_eq(pairs, [], "follow_get profile of the re-imported account")
    # imported again with a Nick: only that Nick
    srv.account_delete([a])
    import_one(srv, a, Nick="After")
    expect_profile(srv, a, {NICK: "After"})
    expect_view(srv, a, [(NICK, "After")])


# ---------------------------------------------------------------------------------------------
# auth and routing


def test_non_admin_and_unknown_command(srv):
    a = srv.import_accounts(["na_a"])[0]
    fl = Failures()
    for ident in ("bob", "na_a"):
        with fl:
            expect_fail(pset(srv, a, [(NICK, "x")], query_overrides={"identifier": ident}),
                        NOT_ADMIN)
        with fl:
            expect_fail(pget(srv, [a], [NICK], query_overrides={"identifier": ident}), NOT_ADMIN)
        # admin rights are checked before the body
        for p in (SET, GET):
            with fl:
                expect_fail(srv.call(p, b"not json", query_overrides={"identifier": ident}),
                            NOT_ADMIN)
            with fl:
                expect_fail(srv.call(p, {}, query_overrides={"identifier": ident}), NOT_ADMIN)
    for p in ("profile/nope", "profile/portrait_set/x", "profile/Portrait_Get", "profile/",
              "profile", "profiles/portrait_get"):
        with fl:
            expect_fail(srv.call(p, {"To_Account": [a], "TagList": [NICK]}), UNKNOWN_COMMAND)
    with fl:
        expect_fail(srv.call(GET, None, method="GET"), METHOD_NOT_POST)
    for p in (SET, GET):
        with fl:
            expect_fail(srv.call(p, b"{not json"), INVALID_JSON)
        with fl:
            expect_fail(srv.call(p, b""), INVALID_JSON)
        with fl:
            expect_fail(srv.call(p, {}), PROFILE_INVALID_PARAMS)
    with fl:
        expect_profile(srv, a, {})
    fl.done()


# ---------------------------------------------------------------------------------------------
# a page of 1000 fans, each with a profile


def _parallel(n_threads, jobs, fn):
    """fn(job) for every job, by n_threads threads; a thread stops at its first failure."""
    lock = threading.Lock()
    it = iter(jobs)

    def worker():
        while True:
            with lock:
                try:
                    job = next(it)
                except StopIteration:
                    return
            fn(job)

    in_threads([worker] * n_threads)


def test_thousand_fans_with_profiles(srv):
    t0 = time.time()
    star = srv.import_accounts(["kf_star"])[0]
    fans = ["kf_%04d" % i for i in range(1000)]
    nick = {f: "\u7c89\u4e1d %s " % f + "n" * (i % 60) for i, f in enumerate(fans)}
    face = {f: "https://cdn.example.com/avatars/%s.png?size=" % f + "9" * (i % 100)
            for i, f in enumerate(fans)}

    def imp(chunk):
        r = srv.call(SVC + "multiaccount_import", {"AccountList": [
            {"UserID": f, "Nick": nick[f], "FaceUrl": face[f]} for f in chunk]})
        expect_ok(r, ["FailAccounts"])
        expect_eq(r["FailAccounts"], [], r, "FailAccounts")

    _parallel(4, [fans[i:i + 100] for i in range(0, 1000, 100)], imp)
    extra = {}
    for i in range(0, 1000, 10):   # every 10th fan also has a long signature and a custom int
        extra[fans[i]] = [(SELFSIG, ("\u00e9" * 250)), (HOBBY, i)]

    def fan_job(f):
        srv.must_add(f, [star])
        if f in extra:
            must_set(srv, f, extra[f])

    _parallel(8, fans, fan_job)
    t_setup = time.time() - t0

    expected = {}
    for f in fans:
        want = [(NICK, nick[f]), (IMAGE, face[f])]
        expected[f] = want + extra.get(f, [])

    def check_items(r, its):
        fl = Failures()
        for i, it in enumerate(its):
            f = it["To_Account"]
            with fl:
                pairs = profile_pairs(r, it["ProfileItem"], "FollowItem[%d]" % i)
                # Nick and Image come from one import: either order is first-set order
                head, tail = pairs[:2], pairs[2:]
                exp = expected[f]
                expect_pairs(r, sorted(head), sorted(exp[:2]), "FollowItem[%d] %s (import)"
                             % (i, f))
                expect_pairs(r, tail, exp[2:], "FollowItem[%d] %s (portrait_set)" % (i, f))
                check(it["ProfileSequence"] > 0, r, "FollowItem[%d] ProfileSequence > 0" % i)
            if len(fl.msgs) >= 5:
                break
        fl.done()

    r = srv.follow_get(star, FANS, "", 1000)
    expect_get_page(r, 1000, lenient_seq=True)
    its = r["FollowItem"]
    expect_eq(len(its), 1000, r, "one page of WantNum 1000 holds all 1000 fans")
    expect_eq(sorted(it["To_Account"] for it in its), fans, r, "the fans")
    if r["NextCursor"] != "":
        r2 = srv.follow_get(star, FANS, r["NextCursor"], 1000)
        expect_get_page(r2, 1000, lenient_seq=True)
        expect_eq((r2["FollowItem"], r2["NextCursor"]), ([], ""), r2, "nothing after 1000 fans")
    check_items(r, its)
    size = len(r.raw)
    # the same through pages of 100
    got = srv.walk(star, FANS, 100, lenient_seq=True)
    expect_eq([it["To_Account"] for it, _ in got], [it["To_Account"] for it in its],
              "pages of 100 list the fans in the same order")
    for it, rr in got[:1000:97]:
        check_items(rr, [it])
    print("       (setup %.1fs, 1000-item page %d bytes)" % (t_setup, size))


def test_concurrent_sets_each_bump_the_version(srv):
    # Sets of one account from many connections at once: no update is lost, and since the
    # version strictly increases with each change, N successful sets move it by at least N.
    a = srv.import_accounts(["cc_a"])[0]
    must_set(srv, a, [(NICK, "start")])
    v0 = seq_of(srv, a)
    n_threads, per_thread = 8, 25
    tags = [CUSTOM + "T" + chr(97 + k) for k in range(n_threads)]

    def job(k):
        for i in range(per_thread):
            must_set(srv, a, [(tags[k], i), (NICK, "t%d-%d" % (k, i))])

    _parallel(n_threads, range(n_threads), job)
    r = pget(srv, [a], tags)
    expect_get(r, [(a, OK, [(t, per_thread - 1) for t in tags])])
    r = pget(srv, [a], [NICK])
    expect_ok(r, ["UserProfileItem"])
    nick = r["UserProfileItem"][0]["ProfileItem"][0]["Value"]
    check(nick.endswith("-%d" % (per_thread - 1)), r, "Nick is the last value of some thread")
    v1 = seq_of(srv, a)
    expect_eq(v1 >= v0 + n_threads * per_thread, True,
              "%d concurrent sets: version %d -> %d" % (n_threads * per_thread, v0, v1))


def test_profiles_survive_restart(srv):
    a, b = srv.import_accounts(["rs_a", "rs_b"])
    import_one(srv, a, Nick="Persist", FaceUrl="http://p")
    must_set(srv, a, [(GENDER, "Gender_Type_Male"), (HOBBY, 12), (LOCATION, "\u00e9" * 8)])
    srv.must_add(b, [a])
    v0 = seq_of(srv, a)
    want = {NICK: "Persist", IMAGE: "http://p", GENDER: "Gender_Type_Male", HOBBY: 12,
            LOCATION: "\u00e9" * 8}
    srv.restart()
    expect_profile(srv, a, want)
    expect_eq(seq_of(srv, a), v0, "version after a restart")
    srv.restart(crash=True)
    expect_profile(srv, a, want)
    got = srv.walk(b, FOLLOWING, lenient_seq=True)
    expect_eq([(it["To_Account"], it["ProfileSequence"]) for it, _ in got], [(a, v0)],
              "b's following after a crash")
    must_set(srv, a, [(NICK, "After restart")])
    expect_eq(seq_of(srv, a) > v0, True, "the version keeps increasing after a restart")

if __name__ == "__main__":
    run_tests(globals())
