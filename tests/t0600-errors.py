#!/usr/bin/env python3
"""Request-wide errors of the HTTP layer, the query string, admin rights and the JSON body, one
request per row, and the order in which they are checked."""
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

FOLLOW_PATHS = ["follow/follow_add", "follow/follow_delete", "follow/follow_check",
                "follow/follow_get", "follow/follow_get_info"]
ACCOUNT_PATHS = ["im_open_login_svc/account_import", "im_open_login_svc/multiaccount_import",
                 "im_open_login_svc/account_check", "im_open_login_svc/account_delete"]
ALL_PATHS = FOLLOW_PATHS + ACCOUNT_PATHS

GOOD_CHECK = {"From_Account": "er_a", "To_Account": ["er_b"]}


def test_setup(srv):
    srv.import_accounts(["er_a", "er_b"])
    r = srv.call("follow/follow_check", GOOD_CHECK)
    expect_results(r, "ResultItem", [("er_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)


def test_unknown_path_60009(srv):
    paths = ["x/y", "follow/nope", "im_open_login_svc/nope", "follow/follow_addx",
             "follow/Follow_Add", "follow", "follow/", "follow/follow_add/extra", "x",
             "im_open_login_svc", "/v4/", "profile/nope", "sns/friend_add", "openim/sendmsg"]
    for p in paths:
        expect_fail(srv.call(p, GOOD_CHECK), UNKNOWN_COMMAND)
    # path is checked first: no query, GET, bad body still 60009
    expect_fail(srv.call("x/y", b"", query_overrides=""), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/nope", None, method="GET"), UNKNOWN_COMMAND)
    expect_fail(srv.call("x/y", b"{not json", query_overrides={"identifier": "er_a"}),
                UNKNOWN_COMMAND)


def test_method_60008(srv):
    for p in ALL_PATHS:
        expect_fail(srv.call(p, None, method="GET"), METHOD_NOT_POST)
    for m in ("PUT", "DELETE", "PATCH"):
        expect_fail(srv.call("follow/follow_check", GOOD_CHECK, method=m), METHOD_NOT_POST)
    # method before the query string and the body
    expect_fail(srv.call("follow/follow_check", None, method="GET", query_overrides=""),
                METHOD_NOT_POST)
    expect_fail(srv.call("follow/follow_check", b"nope", method="PUT",
                         query_overrides={"sdkappid": None}), METHOD_NOT_POST)


def test_body_size_60002(srv):
    limit = 1048576
    # exactly the limit: accepted (and unknown fields are ignored)
    base = b'{"From_Account":"er_a","To_Account":["er_b"],"pad":"'
    body = base + b"a" * (limit - len(base) - 2) + b'"}'
    assert len(body) == limit
    r = srv.call("follow/follow_check", body)
    expect_results(r, "ResultItem", [("er_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)
    # one byte more: 60002, through the normal client
    body2 = base + b"a" * (limit - len(base) - 1) + b'"}'
    assert len(body2) == limit + 1
    r = srv.raw_request(b"POST /v4/follow/follow_check?" + srv.query().encode() +
                        b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body2) + body2)
    check(r.status == 200, r, "HTTP 200")
    expect_fail(r, HTTP_PARSE_ERROR)
    # much larger: still 60002, answered without the server reading it all
    huge = 64 * 1024 * 1024
    head = (b"POST /v4/follow/follow_add?" + srv.query().encode() +
            b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % huge)
    r = srv.raw_request(head + b"{" + b" " * (4 * 1024 * 1024))
    check(r.status == 200, r, "HTTP 200")
    expect_fail(r, HTTP_PARSE_ERROR)
    # body size is checked before the query string and the admin check
    r = srv.raw_request(b"POST /v4/follow/follow_check?" + srv.query({"sdkappid": None}).encode() +
                        b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
                        b"Connection: close\r\n\r\n" % len(body2) + body2)
    expect_fail(r, HTTP_PARSE_ERROR)
    r = srv.raw_request(b"POST /v4/im_open_login_svc/account_check?" +
                        srv.query({"identifier": "er_a"}).encode() +
                        b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
                        b"Connection: close\r\n\r\n" % len(body2) + body2)
    expect_fail(r, HTTP_PARSE_ERROR)
    # the server still works
    r = srv.call("follow/follow_check", GOOD_CHECK)
    expect_ok(r, ["ResultItem"])


def test_query_string_errors(srv):
    rows = [
        ({"sdkappid": None}, SDKAPPID_MISSING),
        ({"sdkappid": None, "identifier": None, "usersig": None, "random": None,
          "contenttype": None}, SDKAPPID_MISSING),
        ({"sdkappid": "1400000001"}, SDKAPPID_UNKNOWN),
        ({"sdkappid": "abc"}, SDKAPPID_UNKNOWN),
        ({"sdkappid": "-1400000000"}, SDKAPPID_UNKNOWN),
        ({"sdkappid": "14000000000"}, SDKAPPID_UNKNOWN),
        ({"sdkappid": "1400000001", "identifier": None}, SDKAPPID_UNKNOWN),
        ({"identifier": None}, INVALID_QUERY),
        ({"identifier": ""}, INVALID_QUERY),  # README decision
        ({"identifier": None, "usersig": ""}, INVALID_QUERY),
        ({"usersig": None}, INVALID_QUERY),
        ({"usersig": None, "random": "abc"}, INVALID_QUERY),
        ({"usersig": ""}, SIG_EMPTY),
        ({"usersig": "", "random": "abc", "contenttype": None}, SIG_EMPTY),
        ({"random": None}, INVALID_QUERY),
        ({"random": "abc"}, INVALID_QUERY),
        ({"random": "-1"}, INVALID_QUERY),
        ({"random": "4294967296"}, INVALID_QUERY),
        ({"random": "99999999999999999999999"}, INVALID_QUERY),
        ({"random": ""}, INVALID_QUERY),
        ({"random": "12x"}, INVALID_QUERY),
        ({"random": "1.5"}, INVALID_QUERY),
        ({"random": "abc", "contenttype": "xml"}, INVALID_QUERY),
        ({"contenttype": None}, INVALID_QUERY),
        ({"contenttype": "xml"}, INVALID_QUERY),
        ({"contenttype": ""}, INVALID_QUERY),
    ]
    for p in ("follow/follow_check", "im_open_login_svc/account_check"):
        body = GOOD_CHECK if p.startswith("follow") else {"CheckItem": [{"UserID": "er_a"}]}
        for qo, code in rows:
            expect_fail(srv.call(p, body, query_overrides=qo), code)
        # the query string is checked before admin rights and the body
        expect_fail(srv.call(p, b"{bad", query_overrides={"identifier": "er_a", "random": "x"}),
                    INVALID_QUERY)
        expect_fail(srv.call(p, b"", query_overrides={"identifier": "er_a", "sdkappid": "7"}),
                    SDKAPPID_UNKNOWN)


def test_admin_rights(srv):
    for p in FOLLOW_PATHS:
        expect_fail(srv.call(p, GOOD_CHECK, query_overrides={"identifier": "er_a"}),
                    FOLLOW_NOT_ADMIN)
        # admin rights before the body
        expect_fail(srv.call(p, b"not json", query_overrides={"identifier": "er_a"}),
                    FOLLOW_NOT_ADMIN)
        expect_fail(srv.call(p, b"", query_overrides={"identifier": "Administrator"}),
                    FOLLOW_NOT_ADMIN)
    for p in ACCOUNT_PATHS:
        expect_fail(srv.call(p, {"CheckItem": [{"UserID": "er_a"}]},
                             query_overrides={"identifier": "er_a"}), NOT_ADMIN)
        expect_fail(srv.call(p, b"not json", query_overrides={"identifier": "nobody"}), NOT_ADMIN)
    expect_eq(srv.counts("er_a"), (0, 0, 0), "nothing changed")


def test_body_not_json_60003(srv):
    bodies = [b"", b" ", b"not json", b"{", b'{"From_Account":"er_a"', b"{} x", b"{}{}",
              b"[]", b'["er_a"]', b"123", b'"str"', b"null", b"true", b"\xff\xfe{}",
              b'{"From_Account":er_a}', b'{From_Account:"er_a"}', b'{"a":1 "b":2}',
              b'{"a":"\\x41"}', b'{"a":tru}']
    fl = Failures()
    for p in ALL_PATHS:
        for b in bodies:
            with fl:
                expect_fail(srv.call(p, b), INVALID_JSON)
    fl.done()


def test_body_strict_json_60003(srv):
    # Not JSON by RFC 8259 either, though lenient parsers take them.
    bodies = [b"{'From_Account':'er_a'}", b'{"From_Account":"er_a",}', b'{"a":[1,]}',
              b'{"a":01}', b'{"a":NaN}', b'{"a":"x\x01y"}', b'{"a":1}/*c*/']
    fl = Failures()
    for p in ("follow/follow_add", "im_open_login_svc/account_check"):
        for b in bodies:
            with fl:
                expect_fail(srv.call(p, b), INVALID_JSON)
    fl.done()


def depth_body(depth):
    """A JSON object whose nesting depth (counting the top-level object as 1) is `depth`."""
    inner = "[" * (depth - 1) + "]" * (depth - 1)
    return ('{"x":%s,"From_Account":"er_a","To_Account":["er_b"]}' % inner).encode()


def test_nesting_depth_60003(srv):
    # depth 32 is fine, 33 is too deep
    r = srv.call("follow/follow_check", depth_body(32))
    expect_results(r, "ResultItem", [("er_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)
    expect_fail(srv.call("follow/follow_check", depth_body(33)), INVALID_JSON)
    expect_fail(srv.call("follow/follow_check", depth_body(2000)), INVALID_JSON)
    expect_fail(srv.call("im_open_login_svc/account_check", depth_body(100)), INVALID_JSON)
    expect_fail(srv.call("follow/follow_check", b"[" * 100000), INVALID_JSON)
    deep_obj = ('{"a":' * 40 + "1" + "}" * 40).encode()
    expect_fail(srv.call("follow/follow_add", deep_obj), INVALID_JSON)


def test_query_string_forms(srv):
    # parameter order does not matter, values may be percent-encoded
    qs = "contenttype=json&random=7&usersig=%s&identifier=%%61dministrator&sdkappid=1400000000" % (
        urllib.parse.quote(usersig(ADMIN)))
    r = srv.call("follow/follow_check", GOOD_CHECK, query_overrides=qs)
    expect_results(r, "ResultItem", [("er_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)


def chunked(data, size=1000):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def test_chunked_request_body(srv):
    # a client may send the body chunked, without Content-Length
    body = json.dumps(GOOD_CHECK).encode()
    head = (b"POST /v4/follow/follow_check?" + srv.query().encode() +
            b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    r = srv.raw_request(head + chunked(body, 7))
    expect_results(r, "ResultItem", [("er_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)
    # Chunked and over the limit: 60002 from the application, unless lighttpd refuses first:
    # streaming request bodies to FastCGI, lighttpd collects at most 64 KiB of a chunked body to
    # learn its length and answers 411 itself beyond that (a front-server answer, not the app's).
    big = b'{"From_Account":"er_a","To_Account":["er_b"],"pad":"' + b"a" * 1048576 + b'"}'
    r = srv.raw_request(head + chunked(big, 65536), expect_status=(200, 411))
    if r.status == 200:
        expect_fail(r, HTTP_PARSE_ERROR)


def test_huge_values(srv):
    big = "x" * 100000
    expect_fail_rows(srv, "follow/follow_add", [
        ({"From_Account": big, "FollowItem": [{"To_Account": "er_b"}]}, INVALID_PARAMS,
         "From_Account"),
        ({"From_Account": "er_a", "FollowItem": [{"To_Account": "er_b"}] * 30000}, INVALID_PARAMS,
         "FollowItem"),
    ])
    expect_fail_rows(srv, "follow/follow_check", [
        ({"From_Account": "er_a", "To_Account": ["er_b"] * 100000}, INVALID_PARAMS, "To_Account"),
    ])
    expect_fail_rows(srv, "im_open_login_svc/account_import",
                     [({"UserID": big}, ACCOUNT_INVALID_PARAMS)])
    expect_fail_rows(srv, "follow/follow_get", [
        ({"From_Account": "er_a", "FollowType": 1, "StartCursor": big}, INVALID_PARAMS,
         "StartCursor"),
    ])
    # an integer beyond 64 bits is still "more than 1000"
    r = srv.call("follow/follow_get", {"From_Account": "er_a", "FollowType": 1, "WantNum": 10 ** 30})
    expect_get_page(r, 1000)
    r = srv.follow_check("er_a", [big])
    expect_results(r, "ResultItem", [(big, INVALID_PARAMS, {"FollowType": 0})], keys=CHECK_KEYS)
    r = srv.follow_add("er_a", [big])
    expect_results(r, "ResultItem", [(big, INVALID_PARAMS)])


def test_server_survives(srv):
    r = srv.call("follow/follow_check", GOOD_CHECK)
    expect_results(r, "ResultItem", [("er_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)


if __name__ == "__main__":
    run_tests(globals())
