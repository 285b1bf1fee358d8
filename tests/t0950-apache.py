#!/usr/bin/env python3
"""The same responder hosted by Apache 2.4 with mod_fcgid (conf/hosting/apache-fcgid.conf):
routing, the envelope, errors before the body, follows and paging work as under lighttpd."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from apache import FcgidServer  # noqa: E402
from hostchecks import check_console_files  # noqa: E402


def test_follow_round_trip(srv):
    srv.import_accounts(["ap_a", "ap_b"])
    expect_results(srv.follow_add("ap_a", ["ap_b", "ap_a", "ap_nobody"]), "ResultItem",
                   [("ap_b", OK), ("ap_a", INVALID_PARAMS), ("ap_nobody", NOT_IMPORTED)])
    expect_results(srv.follow_check("ap_b", ["ap_a"]), "ResultItem",
                   [("ap_a", OK, {"FollowType": 1})], keys=CHECK_KEYS)


def test_paging(srv):
    fans = ["ap_f%03d" % i for i in range(25)]
    srv.import_accounts(["ap_star"] + fans)
    for f in fans:
        expect_results(srv.follow_add(f, ["ap_star"]), "ResultItem", [("ap_star", OK)])
    seen, cursor = [], ""
    while True:
        r = srv.follow_get("ap_star", FANS, cursor=cursor, want=10)
        expect_get_page(r, want=10)
        seen += [it["To_Account"] for it in r["FollowItem"]]
        cursor = r["NextCursor"]
        if not cursor:
            break
    expect_eq(sorted(seen), fans, r, "every fan exactly once")


def test_console_files(srv):
    check_console_files(srv)


def test_errors_before_the_body(srv):
    expect_fail(srv.call("follow/nope", {}), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/follow_check", {}, method="GET"), METHOD_NOT_POST)
    expect_fail(srv.call("follow/follow_check", b"x" * (1024 * 1024 + 1)), HTTP_PARSE_ERROR)
    expect_fail(srv.call("follow/follow_check", {}, query_overrides={"sdkappid": None}),
                SDKAPPID_MISSING)
    expect_fail(srv.call("follow/follow_check", b"{"), INVALID_JSON)


if __name__ == "__main__":
    run_tests(globals(), server_class=FcgidServer)
