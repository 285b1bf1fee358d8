#!/usr/bin/env python3
"""The follow limits 32100-32103, on a server with max_following=3, max_followers=2, max_mutual=1."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403


def test_max_following_32100(srv):
    a, b, c, d, e = srv.import_accounts(["lf_a", "lf_b", "lf_c", "lf_d", "lf_e"])
    srv.must_add(a, [b, c, d])
    r = srv.follow_add(a, [e])
    expect_results(r, "ResultItem", [(e, MAX_FOLLOWING)])
    expect_eq(srv.counts(a), (0, 3, 0), "a stays at the limit")
    expect_eq(srv.counts(e), (0, 0, 0), "e got no fan")
    # already following at the limit: 0, nothing changes
    r = srv.follow_add(a, [b, e, c])
    expect_results(r, "ResultItem", [(b, OK), (e, MAX_FOLLOWING), (c, OK)])
    expect_eq(srv.counts(a), (0, 3, 0), "a")
    # unfollowing frees a place
    srv.must_delete(a, [b])
    r = srv.follow_add(a, [e, b])
    expect_results(r, "ResultItem", [(e, OK), (b, MAX_FOLLOWING)])
    expect_eq(sorted(srv.list_ids(a, FOLLOWING)), [c, d, e], "a's following")


def test_max_following_within_one_batch(srv):
    a, b, c, d, e, f = srv.import_accounts(["lb_a", "lb_b", "lb_c", "lb_d", "lb_e", "lb_f"])
    r = srv.follow_add(a, [b, c, a, "lb_ghost", d, e, f])
    expect_results(r, "ResultItem", [(b, OK), (c, OK), (a, INVALID_PARAMS),
                                     ("lb_ghost", NOT_IMPORTED), (d, OK), (e, MAX_FOLLOWING),
                                     (f, MAX_FOLLOWING)])
    expect_eq(srv.counts(a), (0, 3, 0), "a")
    expect_eq(sorted(srv.list_ids(a, FOLLOWING)), [b, c, d], "a's following")


def test_limit_with_duplicates_in_a_batch(srv):
    a, b, c, x, y = srv.import_accounts(["ld_a", "ld_b", "ld_c", "ld_x", "ld_y"])
    srv.must_add(a, [b, c])
    # x is processed once (taking the last place); y is over the limit; the repeats echo them
    r = srv.follow_add(a, [x, y, x, y, b])
    expect_results(r, "ResultItem", [(x, OK), (y, MAX_FOLLOWING), (x, OK), (y, MAX_FOLLOWING),
                                     (b, OK)])
    expect_eq(srv.counts(a), (0, 3, 0), "a")
    expect_eq(srv.counts(x), (1, 0, 0), "x")


def test_max_followers_32101(srv):
    t, x, y, z = srv.import_accounts(["lr_t", "lr_x", "lr_y", "lr_z"])
    srv.must_add(x, [t])
    srv.must_add(y, [t])
    r = srv.follow_add(z, [t])
    expect_results(r, "ResultItem", [(t, MAX_FOLLOWERS)])
    expect_eq(srv.counts(t), (2, 0, 0), "t stays at 2 fans")
    expect_eq(srv.counts(z), (0, 0, 0), "z follows nobody")
    r = srv.follow_add(x, [t])  # already a fan
    expect_results(r, "ResultItem", [(t, OK)])
    srv.must_delete(y, [t])
    r = srv.follow_add(z, [t])
    expect_results(r, "ResultItem", [(t, OK)])
    expect_eq(sorted(srv.list_ids(t, FANS)), [x, z], "t's fans")


def test_max_mutual_from_32102(srv):
    p, q, r_ = srv.import_accounts(["lm_p", "lm_q", "lm_r"])
    srv.must_add(p, [q])
    srv.must_add(q, [p])  # p <-> q: p has its one mutual
    srv.must_add(r_, [p])  # r follows p
    r = srv.follow_add(p, [r_])  # would make p <-> r mutual; p is at the mutual limit
    expect_results(r, "ResultItem", [(r_, MAX_MUTUAL_FROM)])
    expect_eq(srv.counts(p), (2, 1, 1), "p")
    expect_eq(srv.counts(r_), (0, 1, 0), "r")
    expect_eq(srv.follow_type(p, r_), 1, "p -> r")


def test_max_mutual_target_32103(srv):
    p, q, s = srv.import_accounts(["ln_p", "ln_q", "ln_s"])
    srv.must_add(p, [q])
    srv.must_add(q, [p])  # p <-> q: p has its one mutual
    srv.must_add(p, [s])  # p follows s
    r = srv.follow_add(s, [p])  # would make s <-> p mutual; the target p is at the limit
    expect_results(r, "ResultItem", [(p, MAX_MUTUAL_TO)])
    expect_eq(srv.counts(p), (1, 2, 1), "p")
    expect_eq(srv.counts(s), (1, 0, 0), "s")
    expect_eq(srv.follow_type(s, p), 1, "s -> p")
    # a follow that does not make a pair is not limited by max_mutual
    w = srv.import_accounts(["ln_w"])[0]
    r = srv.follow_add(q, [w])
    expect_results(r, "ResultItem", [(w, OK)])
    # once p <-> q ends, s may follow p back
    srv.must_delete(q, [p])
    r = srv.follow_add(s, [p])
    expect_results(r, "ResultItem", [(p, OK)])
    expect_eq(srv.counts(p), (1, 2, 1), "p mutual with s now")
    expect_eq(srv.list_ids(p, MUTUAL), [s], "p's mutual")


if __name__ == "__main__":
    run_tests(globals(), max_following=3, max_followers=2, max_mutual=1)
