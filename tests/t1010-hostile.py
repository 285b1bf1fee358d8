#!/usr/bin/env python3
"""Hostile bodies: repeated JSON keys, huge and fractional numbers, nulls in every field. Each
gets the request-wide code of its family and changes nothing. (A null UserID is 60015, tested
in t0200/t0500: the spec calls it a UserID that is not a string.)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403


def test_duplicate_keys_are_bad_fields(srv):
    srv.import_accounts(["h_a", "h_b"])
    expect_fail(srv.call("follow/follow_add",
                         b'{"From_Account":"h_a","From_Account":"h_b","FollowItem":[{"To_Account":"h_b"}]}'),
                INVALID_PARAMS)
    expect_fail(srv.call("follow/follow_add",
                         b'{"From_Account":"h_a","FollowItem":[{"To_Account":"h_b","To_Account":"h_a"}]}'),
                INVALID_PARAMS)
    # the same key spelt with an escape is the same key
    expect_fail(srv.call("follow/follow_check",
                         b'{"From_Account":"h_a","From_\\u0041ccount":"h_b","To_Account":["h_b"]}'),
                INVALID_PARAMS)
    expect_fail(srv.call("im_open_login_svc/account_import", b'{"UserID":"h_c","UserID":"h_d"}'),
                ACCOUNT_INVALID_PARAMS)
    # nothing changed
    expect_eq(srv.follow_type("h_a", "h_b"), 0, None, "no follow was made")
    r = srv.account_check(["h_c", "h_d"])
    expect_eq([it["AccountStatus"] for it in r["ResultItem"]], ["NotImported"] * 2, r, "no import")
    # equal keys in different objects are fine
    r = srv.call("follow/follow_add",
                 b'{"From_Account":"h_a","FollowItem":[{"To_Account":"h_b"},{"To_Account":"h_b"}]}')
    expect_results(r, "ResultItem", [("h_b", OK), ("h_b", OK)])


def test_numbers(srv):
    srv.import_accounts(["h_n"])
    for ft in ("1.0", "1.5", "1e400", "-1e400", "1e2", "1" + "0" * 30, "-1" + "0" * 30, '"1"',
               "true", "null", "[1]", '{"a":1}'):
        body = ('{"From_Account":"h_n","FollowType":%s}' % ft).encode()
        expect_fail(srv.call("follow/follow_get", body), INVALID_PARAMS, "FollowType")
    for want in ("1.0", "0.5", "1e400", '"100"', "false", "[100]", "0", "-1", "-1" + "0" * 30,
                 "null"):
        body = ('{"From_Account":"h_n","FollowType":1,"WantNum":%s}' % want).encode()
        expect_fail(srv.call("follow/follow_get", body), INVALID_PARAMS, "WantNum")
    # the spec serves any larger WantNum as 1000, however large
    expect_get_page(srv.call("follow/follow_get",
                             {"From_Account": "h_n", "FollowType": 1, "WantNum": 10 ** 30}), 1000)


def test_nulls_everywhere(srv):
    srv.import_accounts(["h_x", "h_y"])
    rows = [
        ("follow/follow_add", {"From_Account": "h_x", "FollowItem": None}, INVALID_PARAMS),
        ("follow/follow_add", {"From_Account": "h_x", "FollowItem": [None]}, INVALID_PARAMS),
        ("follow/follow_delete", {"From_Account": "h_x", "To_Account": None}, INVALID_PARAMS),
        ("follow/follow_check", {"From_Account": "h_x", "To_Account": None}, INVALID_PARAMS),
        ("follow/follow_get_info", {"From_Account": "h_x", "To_Account": None}, INVALID_PARAMS),
        ("follow/follow_get", {"From_Account": "h_x", "FollowType": None}, INVALID_PARAMS),
        ("follow/follow_get", {"From_Account": "h_x", "FollowType": 1, "StartCursor": None},
         INVALID_PARAMS),
        ("follow/follow_get", {"From_Account": "h_x", "FollowType": 1, "WantNum": None},
         INVALID_PARAMS),
        ("follow/follow_get", {"From_Account": "h_x", "FollowType": 1, "x": None}, OK),
        ("im_open_login_svc/multiaccount_import", {"AccountList": None}, ACCOUNT_INVALID_PARAMS),
        ("im_open_login_svc/multiaccount_import", {"Accounts": None}, ACCOUNT_INVALID_PARAMS),
        ("im_open_login_svc/account_check", {"CheckItem": None}, ACCOUNT_INVALID_PARAMS),
        ("im_open_login_svc/account_delete", {"DeleteItem": [None]}, ACCOUNT_INVALID_PARAMS),
        ("im_open_login_svc/account_import", {"UserID": "h_z", "Nick": None},
         ACCOUNT_INVALID_PARAMS),
        ("im_open_login_svc/account_import", {"UserID": "h_z", "FaceUrl": None},
         ACCOUNT_INVALID_PARAMS),
    ]
    for path, body, code in rows:
        r = srv.call(path, body)
        if code:
            expect_fail(r, code)
        else:
            expect_ok(r, ["FollowItem", "NextCursor"])


if __name__ == "__main__":
    run_tests(globals())
