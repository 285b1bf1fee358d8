#!/usr/bin/env python3
"""follow_check and follow_get_info: types, counts, per-target codes, batch limits, request-wide
errors."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

MALFORMED = ["", "x" * 33, "\u00e9" * 17, "a\x01b", "bad\udcffutf8"]
NUL_ID = "a\x00b"
NOT_STRINGS = [5, {}, [], True, {"To_Account": "x"}]  # null: see test_null_ids_are_60015


def setup_graph(srv, p):
    """u follows f (u->f), g follows u (g->u), u <-> m, n unrelated."""
    u, f, g, m, n = srv.import_accounts([p + "u", p + "f", p + "g", p + "m", p + "n"])
    srv.must_add(u, [f, m])
    srv.must_add(g, [u])
    srv.must_add(m, [u])
    return u, f, g, m, n


def test_check_types(srv):
    u, f, g, m, n = setup_graph(srv, "ck_")
    r = srv.follow_check(u, [n, g, f, m, u, "ck_ghost"])
    expect_results(r, "ResultItem", [
        (n, OK, {"FollowType": 0}),
        (g, OK, {"FollowType": 1}),
        (f, OK, {"FollowType": 2}),
        (m, OK, {"FollowType": 3}),
        (u, OK, {"FollowType": 0}),
        ("ck_ghost", NOT_IMPORTED, {"FollowType": 0}),
    ], keys=CHECK_KEYS)
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")
    # seen from the other side
    r = srv.follow_check(f, [u])
    expect_results(r, "ResultItem", [(u, OK, {"FollowType": 1})], keys=CHECK_KEYS)
    r = srv.follow_check(g, [u])
    expect_results(r, "ResultItem", [(u, OK, {"FollowType": 2})], keys=CHECK_KEYS)
    r = srv.follow_check(m, [u])
    expect_results(r, "ResultItem", [(u, OK, {"FollowType": 3})], keys=CHECK_KEYS)


def test_check_malformed_and_duplicate_targets(srv):
    u, f, g, m, n = setup_graph(srv, "cm_")
    fl = Failures()
    for bad in MALFORMED:
        with fl:
            r = srv.follow_check(u, [bad, m])
            expect_results(r, "ResultItem", [(bad, INVALID_PARAMS, {"FollowType": 0}),
                                             (m, OK, {"FollowType": 3})], keys=CHECK_KEYS)
    with fl:
        r = srv.follow_check(u, [m, m, f, u, u, "cm_ghost", "cm_ghost"])
        expect_results(r, "ResultItem", [
            (m, OK, {"FollowType": 3}), (m, OK, {"FollowType": 3}), (f, OK, {"FollowType": 2}),
            (u, OK, {"FollowType": 0}), (u, OK, {"FollowType": 0}),
            ("cm_ghost", NOT_IMPORTED, {"FollowType": 0}),
            ("cm_ghost", NOT_IMPORTED, {"FollowType": 0}),
        ], keys=CHECK_KEYS)
    fl.done()


def test_check_batch_limit_100(srv):
    u = "cl_u"
    targets = ["cl_t%03d" % i for i in range(101)]
    srv.import_accounts([u] + targets)
    srv.must_add(u, targets[:20])
    r = srv.follow_check(u, targets[:100])
    expect_results(r, "ResultItem",
                   [(t, OK, {"FollowType": 2 if i < 20 else 0})
                    for i, t in enumerate(targets[:100])],
                   keys=CHECK_KEYS)
    expect_fail(srv.follow_check(u, targets), INVALID_PARAMS, "To_Account")


def test_get_info_counts(srv):
    u, f, g, m, n = setup_graph(srv, "gi_")
    r = srv.follow_get_info(u, [u, f, g, m, n, "gi_ghost"])
    z = {"FollowerCount": 0, "FollowingCount": 0, "MutualFollowingCount": 0}
    expect_results(r, "FollowInfo", [
        (u, OK, {"FollowerCount": 2, "FollowingCount": 2, "MutualFollowingCount": 1}),
        (f, OK, {"FollowerCount": 1, "FollowingCount": 0, "MutualFollowingCount": 0}),
        (g, OK, {"FollowerCount": 0, "FollowingCount": 1, "MutualFollowingCount": 0}),
        (m, OK, {"FollowerCount": 1, "FollowingCount": 1, "MutualFollowingCount": 1}),
        (n, OK, z),
        ("gi_ghost", NOT_IMPORTED, z),
    ], keys=INFO_KEYS)
    check(list(r.keys()) == ENVELOPE + ["FollowInfo"], r, "key order")
    # From_Account need not be among the targets; counts do not depend on who asks
    r = srv.follow_get_info(n, [m, u])
    expect_results(r, "FollowInfo", [
        (m, OK, {"FollowerCount": 1, "FollowingCount": 1, "MutualFollowingCount": 1}),
        (u, OK, {"FollowerCount": 2, "FollowingCount": 2, "MutualFollowingCount": 1}),
    ], keys=INFO_KEYS)


def test_get_info_malformed_and_duplicates(srv):
    u, f, g, m, n = setup_graph(srv, "gm_")
    z = {"FollowerCount": 0, "FollowingCount": 0, "MutualFollowingCount": 0}
    cu = {"FollowerCount": 2, "FollowingCount": 2, "MutualFollowingCount": 1}
    fl = Failures()
    for bad in MALFORMED:
        with fl:
            r = srv.follow_get_info(u, [bad, u])
            expect_results(r, "FollowInfo", [(bad, INVALID_PARAMS, z), (u, OK, cu)], keys=INFO_KEYS)
    with fl:
        r = srv.follow_get_info(u, [u, u, "gm_ghost", "gm_ghost"])
        expect_results(r, "FollowInfo", [(u, OK, cu), (u, OK, cu), ("gm_ghost", NOT_IMPORTED, z),
                                         ("gm_ghost", NOT_IMPORTED, z)], keys=INFO_KEYS)
    fl.done()


def test_get_info_batch_limit_20(srv):
    u = "il_u"
    targets = ["il_t%02d" % i for i in range(21)]
    srv.import_accounts([u] + targets)
    srv.must_add(u, targets[:20])
    r = srv.follow_get_info(u, targets[:20])
    expect_results(r, "FollowInfo", [
        (t, OK, {"FollowerCount": 1, "FollowingCount": 0, "MutualFollowingCount": 0})
        for t in targets[:20]], keys=INFO_KEYS)
    expect_fail(srv.follow_get_info(u, targets), INVALID_PARAMS, "To_Account")


def request_wide_rows(a, b):
    return to_account_rows(a, b, "rq_ghost", MALFORMED + [NUL_ID], NOT_STRINGS)


def test_check_request_wide_errors(srv):
    a, b = srv.import_accounts(["cw_a", "cw_b"])
    expect_fail_rows(srv, "follow/follow_check", request_wide_rows(a, b))


def test_get_info_request_wide_errors(srv):
    a, b = srv.import_accounts(["iw_a", "iw_b"])
    expect_fail_rows(srv, "follow/follow_get_info", request_wide_rows(a, b))


def test_deleted_from_account_fails_whatever_the_targets(srv):
    """The acting account is read only when no edge proved it exists: every shape of target list
    must still end in the request-wide error once it is gone."""
    u, f, g, m, n = setup_graph(srv, "dl_")
    expect_ok(srv.account_delete([u]), ["ResultItem"])
    for tos in ([f, g, m], [n], [u], [u, f], ["dl_ghost"], [u, "dl_ghost", m]):
        for call in (srv.follow_check, srv.follow_get_info):
            expect_fail(call(u, tos), NOT_IMPORTED, "From_Account")
    # the others' edges to u went with it
    expect_results(srv.follow_check(m, [u, f]), "ResultItem",
                   [(u, NOT_IMPORTED, {"FollowType": 0}), (f, OK, {"FollowType": 0})],
                   keys=CHECK_KEYS)


def test_nul_in_target_is_30001_and_echoed(srv):
    u, f, g, m, n = setup_graph(srv, "nu_")
    z = {"FollowerCount": 0, "FollowingCount": 0, "MutualFollowingCount": 0}
    fl = Failures()
    with fl:
        r = srv.follow_check(u, [NUL_ID, m])
        expect_results(r, "ResultItem", [(NUL_ID, INVALID_PARAMS, {"FollowType": 0}),
                                         (m, OK, {"FollowType": 3})], keys=CHECK_KEYS)
    with fl:
        r = srv.follow_get_info(u, [NUL_ID, n])
        expect_results(r, "FollowInfo", [(NUL_ID, INVALID_PARAMS, z), (n, OK, z)], keys=INFO_KEYS)
    fl.done()


def test_null_ids_are_60015(srv):
    # The brief: a UserID that is null is "not a JSON string" -> 60015 request-wide
    # (README.md says null counts as absent -> 30001: the two disagree).
    a, b = srv.import_accounts(["nl_a", "nl_b"])
    for p in ("follow/follow_check", "follow/follow_get_info"):
        expect_fail_rows(srv, p, [
            ({"From_Account": None, "To_Account": [b]}, USERID_NOT_STRING),
            ({"From_Account": a, "To_Account": [b, None]}, USERID_NOT_STRING),
        ])


if __name__ == "__main__":
    run_tests(globals())
