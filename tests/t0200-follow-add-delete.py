#!/usr/bin/env python3
"""follow_add and follow_delete: success shapes, effects on counts and lists, per-target codes,
duplicates, batch limits and every request-wide error."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

# UserIDs that break the 1-32 byte / no control byte / valid UTF-8 rule (the str "\udcff" becomes
# the raw byte 0xff in the body).
MALFORMED = ["", "x" * 33, "\u00e9" * 17, "a\x01b", "tab\there", "bad\udcffutf8", "\x1f"]
# A NUL inside an id: malformed too (kept apart: echoing it back is checked on its own).
NUL_ID = "a\x00b"
NOT_STRINGS = [5, {}, [], True, 1.5, {"UserID": "x"}]  # null: see test_null_ids_are_60015


def add_body(frm, tos):
    return {"From_Account": frm, "FollowItem": [{"To_Account": t} for t in tos]}


def test_add_and_delete_shapes_and_counts(srv):
    a, b, c, d = srv.import_accounts(["ad_a", "ad_b", "ad_c", "ad_d"])
    t0 = int(time.time())
    r = srv.follow_add(a, [b, c, d])
    t1 = int(time.time())
    expect_results(r, "ResultItem", [(b, OK), (c, OK), (d, OK)])
    expect_eq(srv.counts(a), (0, 3, 0), "a after following b, c, d")
    for x in (b, c, d):
        expect_eq(srv.counts(x), (1, 0, 0), "%s after a followed it" % x)
        expect_eq(srv.follow_type(a, x), 2, "a -> %s" % x)
        expect_eq(srv.follow_type(x, a), 1, "%s -> a" % x)
    items = srv.get_all(a, FOLLOWING)
    expect_eq(sorted(it["To_Account"] for it in items), [b, c, d], "a's following")
    for it in items:
        check(t0 - 1 <= it["FollowTime"] <= t1 + 1, items, "FollowTime should be now")

    r = srv.follow_delete(a, [c])
    expect_results(r, "ResultItem", [(c, OK)])
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")
    expect_eq(srv.counts(a), (0, 2, 0), "a after unfollowing c")
    expect_eq(srv.counts(c), (0, 0, 0), "c after a unfollowed it")
    expect_eq(srv.follow_type(a, c), 0, "a -> c after unfollow")
    expect_eq(sorted(srv.list_ids(a, FOLLOWING)), [b, d], "a's following")
    expect_eq(srv.list_ids(c, FANS), [], "c's fans")

    r = srv.follow_delete(a, [b, d])
    expect_results(r, "ResultItem", [(b, OK), (d, OK)])
    expect_eq(srv.counts(a), (0, 0, 0), "a after unfollowing all")


def test_add_already_following_changes_nothing(srv):
    a, b = srv.import_accounts(["af_a", "af_b"])
    srv.must_add(a, [b])
    before = srv.get_all(a, FOLLOWING)
    time.sleep(1.1)
    r = srv.follow_add(a, [b])
    expect_results(r, "ResultItem", [(b, OK)])
    r = srv.follow_add(a, [b, b])
    expect_results(r, "ResultItem", [(b, OK), (b, OK)])
    after = srv.get_all(a, FOLLOWING)
    expect_eq(after, before, "following list (FollowTime must not change)")
    expect_eq(srv.get_all(b, FANS)[0]["FollowTime"], before[0]["FollowTime"], "fan FollowTime")
    expect_eq(srv.counts(a), (0, 1, 0), "a")
    expect_eq(srv.counts(b), (1, 0, 0), "b")


def test_delete_not_following_is_ok(srv):
    a, b = srv.import_accounts(["dn_a", "dn_b"])
    r = srv.follow_delete(a, [b])
    expect_results(r, "ResultItem", [(b, OK)])
    srv.must_add(b, [a])
    r = srv.follow_delete(a, [b])  # b follows a, a does not follow b
    expect_results(r, "ResultItem", [(b, OK)])
    expect_eq(srv.counts(a), (1, 0, 0), "a")
    expect_eq(srv.counts(b), (0, 1, 0), "b")
    expect_eq(srv.follow_type(a, b), 1, "a -> b")


def test_mutual_counts_and_types(srv):
    a, b = srv.import_accounts(["mu_a", "mu_b"])
    srv.must_add(a, [b])
    srv.must_add(b, [a])
    expect_eq(srv.counts(a), (1, 1, 1), "a mutual with b")
    expect_eq(srv.counts(b), (1, 1, 1), "b mutual with a")
    expect_eq(srv.follow_type(a, b), 3, "a -> b")
    expect_eq(srv.follow_type(b, a), 3, "b -> a")
    expect_eq(srv.list_ids(a, MUTUAL), [b], "a's mutual")
    expect_eq(srv.list_ids(b, MUTUAL), [a], "b's mutual")
    srv.must_delete(a, [b])
    expect_eq(srv.counts(a), (1, 0, 0), "a after unfollowing b")
    expect_eq(srv.counts(b), (0, 1, 0), "b after a unfollowed")
    expect_eq(srv.follow_type(a, b), 1, "a -> b")
    expect_eq(srv.follow_type(b, a), 2, "b -> a")
    expect_eq(srv.list_ids(a, MUTUAL), [], "a's mutual")
    expect_eq(srv.list_ids(b, MUTUAL), [], "b's mutual")
    srv.must_add(a, [b])
    expect_eq(srv.counts(a), (1, 1, 1), "a mutual again")


def test_add_per_target_codes_in_request_order(srv):
    a, b, c = srv.import_accounts(["pt_a", "pt_b", "pt_c"])
    targets = [b, a, "pt_ghost", "", "x" * 33, "a\x01b", c]
    r = srv.follow_add(a, targets)
    expect_results(r, "ResultItem", [(b, OK), (a, INVALID_PARAMS), ("pt_ghost", NOT_IMPORTED),
                                     ("", INVALID_PARAMS), ("x" * 33, INVALID_PARAMS),
                                     ("a\x01b", INVALID_PARAMS), (c, OK)])
    expect_eq(srv.counts(a), (0, 2, 0), "only the valid targets were followed")
    expect_eq(srv.counts(b), (1, 0, 0), "b")
    expect_eq(srv.counts(c), (1, 0, 0), "c")


def test_add_every_malformed_target(srv):
    a, b = srv.import_accounts(["mt_a", "mt_b"])
    fl = Failures()
    for bad in MALFORMED:
        with fl:
            r = srv.call("follow/follow_add", add_body(a, [bad, b]))
            expect_results(r, "ResultItem", [(bad, INVALID_PARAMS), (b, OK)])
    fl.done()
    r = srv.follow_add(a, [a])
    expect_results(r, "ResultItem", [(a, INVALID_PARAMS)])
    r = srv.follow_add(a, ["mt_ghost"])
    expect_results(r, "ResultItem", [("mt_ghost", NOT_IMPORTED)])
    expect_eq(srv.counts(a), (0, 1, 0), "a")


def test_add_duplicates_processed_once(srv):
    a, b, c = srv.import_accounts(["du_a", "du_b", "du_c"])
    r = srv.follow_add(a, [b, c, b, a, "du_ghost", a, "du_ghost", "", ""])
    expect_results(r, "ResultItem", [(b, OK), (c, OK), (b, OK), (a, INVALID_PARAMS),
                                     ("du_ghost", NOT_IMPORTED), (a, INVALID_PARAMS),
                                     ("du_ghost", NOT_IMPORTED), ("", INVALID_PARAMS),
                                     ("", INVALID_PARAMS)])
    expect_eq(srv.counts(a), (0, 2, 0), "a")
    expect_eq(srv.counts(b), (1, 0, 0), "b followed once")
    expect_eq(srv.list_ids(b, FANS), [a], "b's fans")
    r = srv.follow_delete(a, [b, b, c, "du_ghost", "du_ghost", a, a])
    expect_results(r, "ResultItem", [(b, OK), (b, OK), (c, OK), ("du_ghost", NOT_IMPORTED),
                                     ("du_ghost", NOT_IMPORTED), (a, INVALID_PARAMS),
                                     (a, INVALID_PARAMS)])
    expect_eq(srv.counts(a), (0, 0, 0), "a")
    expect_eq(srv.counts(b), (0, 0, 0), "b unfollowed once")


def test_delete_per_target_codes(srv):
    a, b, c = srv.import_accounts(["dp_a", "dp_b", "dp_c"])
    srv.must_add(a, [b, c])
    r = srv.follow_delete(a, [b, a, "dp_ghost", c])
    expect_results(r, "ResultItem", [(b, OK), (a, INVALID_PARAMS), ("dp_ghost", NOT_IMPORTED),
                                     (c, OK)])
    fl = Failures()
    for bad in MALFORMED:
        with fl:
            r = srv.call("follow/follow_delete", {"From_Account": a, "To_Account": [bad, b]})
            expect_results(r, "ResultItem", [(bad, INVALID_PARAMS), (b, OK)])
    fl.done()
    expect_eq(srv.counts(a), (0, 0, 0), "a")


def test_batch_limits(srv):
    a = "bl_a"
    targets = ["bl_t%02d" % i for i in range(21)]
    srv.import_accounts([a] + targets)
    r = srv.follow_add(a, targets)
    expect_fail(r, INVALID_PARAMS, "FollowItem")
    expect_eq(srv.counts(a), (0, 0, 0), "nothing followed by a refused batch")
    r = srv.follow_add(a, targets[:20])
    expect_results(r, "ResultItem", [(t, OK) for t in targets[:20]])
    expect_eq(srv.counts(a), (0, 20, 0), "20 followed")
    r = srv.follow_delete(a, targets)
    expect_fail(r, INVALID_PARAMS, "To_Account")
    expect_eq(srv.counts(a), (0, 20, 0), "nothing unfollowed by a refused batch")
    r = srv.follow_delete(a, targets[:20])
    expect_results(r, "ResultItem", [(t, OK) for t in targets[:20]])
    expect_eq(srv.counts(a), (0, 0, 0), "20 unfollowed")
    # duplicates count toward the limit as entries
    r = srv.follow_add(a, [targets[0]] * 21)
    expect_fail(r, INVALID_PARAMS, "FollowItem")
    r = srv.follow_add(a, [targets[0]] * 20)
    expect_results(r, "ResultItem", [(targets[0], OK)] * 20)


def test_add_request_wide_errors(srv):
    a, b = srv.import_accounts(["rw_a", "rw_b"])
    rows = [
        ({"FollowItem": [{"To_Account": b}]}, INVALID_PARAMS, "From_Account"),
        ({"From_Account": a}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": []}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": "rw_b"}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": {"To_Account": b}}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": 5}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": None}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": [b]}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": [{"To_Account": b}, 5]}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": [[b]]}, INVALID_PARAMS, "FollowItem"),
        ({"From_Account": a, "FollowItem": [{}]}, INVALID_PARAMS, ("FollowItem", "To_Account")),
        ({"From_Account": a, "FollowItem": [{"To_Account": b}, {"to_account": b}]}, INVALID_PARAMS,
         ("FollowItem", "To_Account")),
        ({"From_Account": "rw_ghost", "FollowItem": [{"To_Account": b}]}, NOT_IMPORTED, None),
        # README decision: From_Account is checked even when no target is valid
        ({"From_Account": "rw_ghost", "FollowItem": [{"To_Account": "rw_ghost"},
                                                     {"To_Account": ""}]}, NOT_IMPORTED, None),
    ]
    for bad in MALFORMED:
        rows.append(({"From_Account": bad, "FollowItem": [{"To_Account": b}]}, INVALID_PARAMS,
                     "From_Account"))
    for v in NOT_STRINGS:
        rows.append(({"From_Account": v, "FollowItem": [{"To_Account": b}]}, USERID_NOT_STRING,
                     None))
        rows.append(({"From_Account": a, "FollowItem": [{"To_Account": b}, {"To_Account": v}]},
                     USERID_NOT_STRING, None))
    rows.append(({"From_Account": NUL_ID, "FollowItem": [{"To_Account": b}]}, INVALID_PARAMS,
                 "From_Account"))
    expect_fail_rows(srv, "follow/follow_add", rows)
    expect_eq(srv.counts(a), (0, 0, 0), "a after refused requests")
    expect_eq(srv.counts(b), (0, 0, 0), "b after refused requests")


def test_delete_request_wide_errors(srv):
    a, b = srv.import_accounts(["dw_a", "dw_b"])
    srv.must_add(a, [b])
    rows = to_account_rows(a, b, "dw_ghost", MALFORMED + [NUL_ID], NOT_STRINGS)
    rows.append(({"From_Account": "dw_ghost", "To_Account": ["dw_ghost", ""]}, NOT_IMPORTED,
                 None))
    expect_fail_rows(srv, "follow/follow_delete", rows)
    expect_eq(srv.counts(a), (0, 1, 0), "a still follows b")


def test_null_ids_are_60015(srv):
    # The brief: a UserID that is null is "not a JSON string" -> 60015 request-wide
    # (README.md says null counts as absent -> 30001: the two disagree).
    a, b = srv.import_accounts(["nl_a", "nl_b"])
    expect_fail_rows(srv, "follow/follow_add", [
        ({"From_Account": None, "FollowItem": [{"To_Account": b}]}, USERID_NOT_STRING),
        ({"From_Account": a, "FollowItem": [{"To_Account": b}, {"To_Account": None}]},
         USERID_NOT_STRING),
    ])
    expect_fail_rows(srv, "follow/follow_delete", [
        ({"From_Account": None, "To_Account": [b]}, USERID_NOT_STRING),
        ({"From_Account": a, "To_Account": [b, None]}, USERID_NOT_STRING),
    ])


def test_nul_in_target_is_30001_and_echoed(srv):
    a, b = srv.import_accounts(["nu_a", "nu_b"])
    fl = Failures()
    with fl:
        r = srv.call("follow/follow_add", add_body(a, [NUL_ID, b]))
        expect_results(r, "ResultItem", [(NUL_ID, INVALID_PARAMS), (b, OK)])
    with fl:
        r = srv.call("follow/follow_delete", {"From_Account": a, "To_Account": [NUL_ID, b]})
        expect_results(r, "ResultItem", [(NUL_ID, INVALID_PARAMS), (b, OK)])
    fl.done()


def test_32_byte_ids_work(srv):
    a, b = "x" * 32, "\u00e9" * 16
    srv.import_accounts([a, b])
    srv.must_add(a, [b])
    srv.must_add(b, [a])
    expect_eq(srv.list_ids(a, MUTUAL), [b], "mutual list of a 32-byte id")
    expect_eq(srv.counts(b), (1, 1, 1), "counts of a 32-byte multibyte id")


def test_escaped_and_raw_utf8_are_the_same_id(srv):
    a = "\u00fc" * 16                   # 32 bytes
    e = "\U0001F600" * 8                # 32 bytes, 4-byte characters
    srv.import_accounts([a, e, "es_b"])
    # the same ids written with \u escapes (and a surrogate pair)
    body = ('{"From_Account":"%s","FollowItem":[{"To_Account":"%s"},{"To_Account":"es_b"}]}' % (
        "\\u00fc" * 16, "\\ud83d\\ude00" * 8)).encode()
    r = srv.call("follow/follow_add", body)
    expect_results(r, "ResultItem", [(e, OK), ("es_b", OK)])
    expect_eq(srv.list_ids(e, FANS), [a], "fans of the emoji id")
    r = srv.follow_add(a, [e])  # raw UTF-8 this time: already following
    expect_results(r, "ResultItem", [(e, OK)])
    expect_eq(srv.counts(a), (0, 2, 0), "a")


def test_refollow_gets_new_time(srv):
    a, b = srv.import_accounts(["rf_a", "rf_b"])
    srv.must_add(a, [b])
    t_first = srv.get_all(a, FOLLOWING)[0]["FollowTime"]
    time.sleep(1.1)
    srv.must_delete(a, [b])
    srv.must_add(a, [b])
    t_second = srv.get_all(a, FOLLOWING)[0]["FollowTime"]
    check(t_second > t_first, {"first": t_first, "second": t_second},
          "a new follow after an unfollow has a new FollowTime")
    expect_eq(srv.counts(a), (0, 1, 0), "a")


if __name__ == "__main__":
    run_tests(globals())
