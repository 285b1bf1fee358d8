#!/usr/bin/env python3
"""Basics: the server answers JSON with the envelope, every registered API exists, a simple
follow round trip works end to end."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403


def test_envelope_on_success(srv):
    r = srv.account_check(["b_nobody"])
    expect_ok(r, ["ResultItem"])
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")


def test_envelope_on_failure(srv):
    r = srv.call("follow/follow_add", {})
    expect_fail(r, INVALID_PARAMS, "From_Account")
    check(list(r.keys()) == ENVELOPE, r, "key order")


def test_every_registered_api_exists(srv):
    # {} is a bad request for each of them; what matters is that none is 60009.
    for cmd in ("follow_add", "follow_delete", "follow_check", "follow_get", "follow_get_info"):
        expect_fail(srv.call("follow/" + cmd, {}), INVALID_PARAMS)
    for cmd in ("account_import", "multiaccount_import", "account_check", "account_delete"):
        expect_fail(srv.call("im_open_login_svc/" + cmd, {}), ACCOUNT_INVALID_PARAMS)


def test_import_and_follow_round_trip(srv):
    a, b = "b_alice", "b_bob"
    r = srv.call("im_open_login_svc/account_import", {"UserID": a})
    expect_ok(r)
    r = srv.call("im_open_login_svc/account_import", {"UserID": b})
    expect_ok(r)

    t0 = int(time.time())
    r = srv.follow_add(a, [b])
    t1 = int(time.time())
    expect_results(r, "ResultItem", [(b, OK)])
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")

    r = srv.follow_check(a, [b])
    expect_results(r, "ResultItem", [(b, OK, {"FollowType": 2})], keys=CHECK_KEYS)
    r = srv.follow_check(b, [a])
    expect_results(r, "ResultItem", [(a, OK, {"FollowType": 1})], keys=CHECK_KEYS)

    r = srv.follow_get_info(a, [a, b])
    expect_results(r, "FollowInfo", [
        (a, OK, {"FollowerCount": 0, "FollowingCount": 1, "MutualFollowingCount": 0}),
        (b, OK, {"FollowerCount": 1, "FollowingCount": 0, "MutualFollowingCount": 0}),
    ], keys=INFO_KEYS)

    r = srv.follow_get(a, FOLLOWING)
    expect_get_page(r)
    expect_eq([it["To_Account"] for it in r["FollowItem"]], [b], r, "a's following")
    expect_eq(r["NextCursor"], "", r, "NextCursor")
    ft = r["FollowItem"][0]["FollowTime"]
    check(t0 - 1 <= ft <= t1 + 1, r, "FollowTime should be now (%d..%d)" % (t0, t1))

    r = srv.follow_get(b, FANS)
    expect_get_page(r)
    expect_eq([(it["To_Account"], it["FollowTime"]) for it in r["FollowItem"]], [(a, ft)], r,
              "b's fans")
    expect_eq(r["NextCursor"], "", r, "NextCursor")

    r = srv.follow_get(a, MUTUAL)
    expect_get_page(r)
    expect_eq(r["FollowItem"], [], r, "a's mutual")

    r = srv.follow_delete(a, [b])
    expect_results(r, "ResultItem", [(b, OK)])
    expect_eq(srv.counts(a), (0, 0, 0), "counts of a after delete")
    expect_eq(srv.counts(b), (0, 0, 0), "counts of b after delete")


def test_follow_get_item_exact_key_order(srv):
    a, b = "b_order1", "b_order2"
    srv.import_accounts([a, b])
    srv.must_add(a, [b])
    r = srv.follow_get(a, FOLLOWING)
    expect_get_page(r)
    check(list(r.keys()) == ENVELOPE + ["FollowItem", "NextCursor"], r, "top-level key order")


def test_random_bounds_accepted(srv):
    for v in ("0", "4294967295", "1"):
        r = srv.call("follow/follow_check", {"From_Account": "b_alice", "To_Account": ["b_bob"]},
                     query_overrides={"random": v})
        expect_results(r, "ResultItem", [("b_bob", OK, {"FollowType": 0})], keys=CHECK_KEYS)


def test_many_requests_one_connection(srv):
    # keep-alive: a few hundred requests on the same connection all answer
    for i in range(300):
        r = srv.follow_check("b_alice", ["b_bob"])
        expect_ok(r, ["ResultItem"])


if __name__ == "__main__":
    run_tests(globals())
