#!/usr/bin/env python3
"""Account APIs (im_open_login_svc): import, multi-import, check, delete; what deleting an account
does to the follow graph; parameter errors."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

SVC = "im_open_login_svc/"
MALFORMED = ["", "x" * 33, "\u00e9" * 17, "a\x01b", "bad\udcffutf8"]
NOT_STRINGS = [5, {}, [], True]  # null: see test_null_userid_is_60015
CHECK_ITEM_KEYS = ["UserID", "ResultCode", "ResultInfo", "AccountStatus"]
DELETE_ITEM_KEYS = ["UserID", "ResultCode", "ResultInfo"]


def expect_status(srv, expected):
    """expected: {id: "Imported"/"NotImported"}."""
    ids = list(expected)
    r = srv.account_check(ids)
    expect_results(r, "ResultItem", [(u, OK, {"AccountStatus": expected[u]}) for u in ids],
                   keys=CHECK_ITEM_KEYS, idkey_name="UserID")


def item_list_rows(key, uid):
    """expect_fail_rows rows for a body {key: [{"UserID": ...}...]} (account_check,
    account_delete) that is missing, empty, not a list of objects, or has a UserID that is not a
    string."""
    rows = [({}, ACCOUNT_INVALID_PARAMS)]
    for v in ([], uid, {"UserID": uid}, [uid], [5]):
        rows.append(({key: v}, ACCOUNT_INVALID_PARAMS))
    for v in NOT_STRINGS:
        rows.append(({key: [{"UserID": uid}, {"UserID": v}]}, USERID_NOT_STRING))
    return rows


def test_account_import(srv):
    r = srv.call(SVC + "account_import", {"UserID": "ai_1"})
    expect_ok(r)
    check(list(r.keys()) == ENVELOPE, r, "only the envelope")
    r = srv.call(SVC + "account_import", {"UserID": "ai_2", "Nick": "Two",
                                          "FaceUrl": "http://example.com/2.png"})
    expect_ok(r)
    r = srv.call(SVC + "account_import", {"UserID": "ai_2", "Nick": "Two again"})
    expect_ok(r)
    r = srv.call(SVC + "account_import", {"Identifier": "ai_3"})
    expect_ok(r)
    r = srv.call(SVC + "account_import", {"UserID": "x" * 32})
    expect_ok(r)
    r = srv.call(SVC + "account_import", {"UserID": "\u00e9" * 16})
    expect_ok(r)
    expect_status(srv, {"ai_1": "Imported", "ai_2": "Imported", "ai_3": "Imported",
                        "x" * 32: "Imported", "\u00e9" * 16: "Imported", "ai_4": "NotImported"})


def test_account_import_errors(srv):
    rows = [
        ({}, ACCOUNT_INVALID_PARAMS, ("UserID", "Identifier")),
        ({"Nick": "n"}, ACCOUNT_INVALID_PARAMS, ("UserID", "Identifier")),
        # README decision: Nick / FaceUrl must be strings when present
        ({"UserID": "ai_bad", "Nick": 5}, ACCOUNT_INVALID_PARAMS, "Nick"),
        ({"UserID": "ai_bad", "FaceUrl": ["x"]}, ACCOUNT_INVALID_PARAMS, "FaceUrl"),
    ]
    for bad in MALFORMED:
        rows.append(({"UserID": bad}, ACCOUNT_INVALID_PARAMS, None))
        rows.append(({"Identifier": bad}, ACCOUNT_INVALID_PARAMS, None))
    for v in NOT_STRINGS:
        rows.append(({"UserID": v}, USERID_NOT_STRING, None))
        rows.append(({"Identifier": v}, USERID_NOT_STRING, None))
    expect_fail_rows(srv, SVC + "account_import", rows)
    expect_status(srv, {"x" * 31 + "y": "NotImported", "ai_bad": "NotImported"})


def test_multiaccount_import(srv):
    r = srv.call(SVC + "multiaccount_import",
                 {"AccountList": [{"UserID": "mi_1"}, {"UserID": "mi_2", "Nick": "n2"},
                                  {"UserID": "mi_3", "Nick": "n3", "FaceUrl": "http://x/3"}]})
    expect_ok(r, ["FailAccounts"])
    check(list(r.keys()) == ENVELOPE + ["FailAccounts"], r, "key order")
    expect_eq(r["FailAccounts"], [], r, "FailAccounts")
    r = srv.call(SVC + "multiaccount_import", {"Accounts": ["mi_4", "mi_5", "mi_1"]})
    expect_ok(r, ["FailAccounts"])
    expect_eq(r["FailAccounts"], [], r, "FailAccounts (legacy form)")
    expect_status(srv, {"mi_%d" % i: "Imported" for i in range(1, 6)})


def test_multiaccount_import_fail_accounts(srv):
    bad = ["", "x" * 33, "a\x01b"]
    r = srv.call(SVC + "multiaccount_import",
                 {"AccountList": [{"UserID": "mf_1"}, {"UserID": bad[0]}, {"UserID": "mf_2"},
                                  {"UserID": bad[1]}, {"UserID": bad[2]}]})
    expect_ok(r, ["FailAccounts"])
    expect_eq(r["FailAccounts"], bad, r, "FailAccounts lists the malformed ids")
    r = srv.call(SVC + "multiaccount_import", {"Accounts": ["mf_3", bad[1], "mf_4"]})
    expect_ok(r, ["FailAccounts"])
    expect_eq(r["FailAccounts"], [bad[1]], r, "FailAccounts (legacy form)")
    expect_status(srv, {"mf_1": "Imported", "mf_2": "Imported", "mf_3": "Imported",
                        "mf_4": "Imported"})


def test_multiaccount_import_limits_and_errors(srv):
    ids = ["ml_%03d" % i for i in range(101)]
    expect_fail(srv.call(SVC + "multiaccount_import",
                         {"AccountList": [{"UserID": u} for u in ids]}), ACCOUNT_INVALID_PARAMS)
    expect_fail(srv.call(SVC + "multiaccount_import", {"Accounts": ids}), ACCOUNT_INVALID_PARAMS)
    expect_status(srv, {ids[0]: "NotImported", ids[100]: "NotImported"})
    r = srv.call(SVC + "multiaccount_import", {"AccountList": [{"UserID": u} for u in ids[:100]]})
    expect_ok(r, ["FailAccounts"])
    expect_eq(r["FailAccounts"], [], r, "FailAccounts")
    r = srv.call(SVC + "multiaccount_import", {"Accounts": ids[1:]})
    expect_ok(r, ["FailAccounts"])
    expect_eq(r["FailAccounts"], [], r, "FailAccounts")
    rows = [
        ({}, ACCOUNT_INVALID_PARAMS),
        ({"AccountList": []}, ACCOUNT_INVALID_PARAMS),
        ({"Accounts": []}, ACCOUNT_INVALID_PARAMS),
        ({"AccountList": "ml_x"}, ACCOUNT_INVALID_PARAMS),
        ({"AccountList": {"UserID": "ml_x"}}, ACCOUNT_INVALID_PARAMS),
        ({"Accounts": "ml_x"}, ACCOUNT_INVALID_PARAMS),
        ({"AccountList": ["ml_x"]}, ACCOUNT_INVALID_PARAMS),
        ({"AccountList": [5]}, ACCOUNT_INVALID_PARAMS),
    ]
    for v in NOT_STRINGS:
        rows.append(({"AccountList": [{"UserID": "ml_y"}, {"UserID": v}]}, USERID_NOT_STRING))
        rows.append(({"Accounts": ["ml_y", v]}, USERID_NOT_STRING))
    expect_fail_rows(srv, SVC + "multiaccount_import", rows)
    expect_status(srv, {"ml_x": "NotImported", "ml_y": "NotImported"})


def test_account_check(srv):
    srv.import_accounts(["ac_1", "ac_2"])
    r = srv.account_check(["ac_1", "ac_none", "ac_2", "ac_1"])
    expect_results(r, "ResultItem", [
        ("ac_1", OK, {"AccountStatus": "Imported"}),
        ("ac_none", OK, {"AccountStatus": "NotImported"}),
        ("ac_2", OK, {"AccountStatus": "Imported"}),
        ("ac_1", OK, {"AccountStatus": "Imported"}),
    ], keys=CHECK_ITEM_KEYS, idkey_name="UserID")
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")
    # a malformed id is a per-item 70402
    for bad in MALFORMED:
        r = srv.account_check(["ac_1", bad])
        expect_ok(r, ["ResultItem"])
        expect_eq(len(r["ResultItem"]), 2, r, "two elements")
        it0, it1 = r["ResultItem"]
        expect_eq((it0["UserID"], it0["ResultCode"], it0["ResultInfo"], it0["AccountStatus"]),
                  ("ac_1", OK, "", "Imported"), r, "first element")
        check(set(DELETE_ITEM_KEYS) <= set(it1) <= set(CHECK_ITEM_KEYS), r, "keys of element 2")
        expect_eq((it1["UserID"], it1["ResultCode"]), (bad, ACCOUNT_INVALID_PARAMS), r,
                  "malformed element")
        check(it1["ResultInfo"] != "", r, "ResultInfo explains")
        check(it1.get("AccountStatus", "NotImported") == "NotImported", r, "AccountStatus")


def test_account_check_limits_and_errors(srv):
    ids = ["cl_%03d" % i for i in range(101)]
    srv.import_accounts(ids[:50])
    r = srv.account_check(ids[:100])
    expect_results(r, "ResultItem",
                   [(u, OK, {"AccountStatus": "Imported" if i < 50 else "NotImported"})
                    for i, u in enumerate(ids[:100])], keys=CHECK_ITEM_KEYS, idkey_name="UserID")
    expect_fail(srv.account_check(ids), ACCOUNT_INVALID_PARAMS)
    expect_fail_rows(srv, SVC + "account_check", item_list_rows("CheckItem", "cl_000"))


def test_account_delete(srv):
    srv.import_accounts(["ad_1", "ad_2", "ad_3"])
    r = srv.account_delete(["ad_1", "ad_none", "", "ad_2"])
    expect_ok(r, ["ResultItem"])
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")
    expect_results(r, "ResultItem", [("ad_1", OK), ("ad_none", ACCOUNT_NOT_FOUND),
                                     ("", ACCOUNT_INVALID_PARAMS), ("ad_2", OK)],
                   keys=DELETE_ITEM_KEYS, idkey_name="UserID")
    expect_status(srv, {"ad_1": "NotImported", "ad_2": "NotImported", "ad_3": "Imported"})
    r = srv.account_delete(["ad_1"])
    expect_results(r, "ResultItem", [("ad_1", ACCOUNT_NOT_FOUND)], keys=DELETE_ITEM_KEYS,
                   idkey_name="UserID")
    for bad in MALFORMED:
        r = srv.account_delete([bad])
        expect_results(r, "ResultItem", [(bad, ACCOUNT_INVALID_PARAMS)], keys=DELETE_ITEM_KEYS,
                       idkey_name="UserID")
    # import again after delete
    srv.import_accounts(["ad_1"])
    expect_status(srv, {"ad_1": "Imported"})


def test_account_delete_limits_and_errors(srv):
    ids = ["dl_%03d" % i for i in range(101)]
    srv.import_accounts(ids[:100])
    expect_fail(srv.account_delete(ids), ACCOUNT_INVALID_PARAMS)
    expect_status(srv, {ids[0]: "Imported", ids[99]: "Imported"})
    r = srv.account_delete(ids[:100])
    expect_results(r, "ResultItem", [(u, OK) for u in ids[:100]], keys=DELETE_ITEM_KEYS,
                   idkey_name="UserID")
    expect_status(srv, {ids[0]: "NotImported", ids[99]: "NotImported"})
    expect_fail_rows(srv, SVC + "account_delete", item_list_rows("DeleteItem", "dl_000"))


def test_delete_removes_edges_and_fixes_counts(srv):
    a, x, y, m, n = srv.import_accounts(["de_a", "de_x", "de_y", "de_m", "de_n"])
    fans = ["de_f%02d" % i for i in range(30)]
    follows = ["de_g%02d" % i for i in range(25)]
    srv.import_accounts(fans + follows)
    srv.must_add(x, [a, y])
    srv.must_add(a, [y, m])
    srv.must_add(m, [a, y])
    srv.must_add(n, [x])
    for f in fans:
        srv.must_add(f, [a, m])
    srv.must_add(a, follows[:20])
    srv.must_add(a, follows[20:])
    expect_eq(srv.counts(a), (32, 27, 1), "a before delete")
    expect_eq(srv.counts(m), (31, 2, 1), "m before delete")

    r = srv.account_delete([a])
    expect_results(r, "ResultItem", [(a, OK)], keys=DELETE_ITEM_KEYS, idkey_name="UserID")

    expect_eq(srv.counts(x), (1, 1, 0), "x (followed a and y)")
    expect_eq(srv.list_ids(x, FOLLOWING), [y], "x's following")
    expect_eq(srv.counts(y), (2, 0, 0), "y (followed by x and m; a's follow gone)")
    expect_eq(sorted(srv.list_ids(y, FANS)), sorted([x, m]), "y's fans")
    expect_eq(srv.counts(m), (30, 1, 0), "m (was mutual with a)")
    expect_eq(srv.list_ids(m, MUTUAL), [], "m's mutual")
    expect_eq(srv.list_ids(m, FOLLOWING), [y], "m's following")
    expect_eq(sorted(srv.list_ids(m, FANS)), sorted(fans), "m's fans")
    expect_eq(srv.counts(n), (0, 1, 0), "n unrelated")
    for f in fans[:3]:
        expect_eq(srv.counts(f), (0, 1, 0), "fan %s" % f)
        expect_eq(srv.list_ids(f, FOLLOWING), [m], "following of %s" % f)
    for g in follows:
        expect_eq(srv.counts(g), (0, 0, 0), "followed %s" % g)
        expect_eq(srv.list_ids(g, FANS), [], "fans of %s" % g)
    r = srv.follow_check(x, [a, y])
    expect_results(r, "ResultItem", [(a, NOT_IMPORTED, {"FollowType": 0}),
                                     (y, OK, {"FollowType": 2})], keys=CHECK_KEYS)
    r = srv.follow_add(x, [a])
    expect_results(r, "ResultItem", [(a, NOT_IMPORTED)])
    expect_fail(srv.follow_add(a, [x]), NOT_IMPORTED)
    expect_fail(srv.follow_get(a, FANS), NOT_IMPORTED)
    expect_fail(srv.follow_get_info(a, [x]), NOT_IMPORTED)
    r = srv.follow_get_info(x, [a])
    expect_results(r, "FollowInfo", [(a, NOT_IMPORTED, {"FollowerCount": 0, "FollowingCount": 0,
                                                        "MutualFollowingCount": 0})],
                   keys=INFO_KEYS)

    # imported again: a fresh account with no edges
    srv.import_accounts([a])
    expect_eq(srv.counts(a), (0, 0, 0), "a re-imported")
    for ft in (FANS, FOLLOWING, MUTUAL):
        expect_eq(srv.list_ids(a, ft), [], "list %d of a re-imported" % ft)
    expect_eq(srv.follow_type(x, a), 0, "x -> a after re-import")
    srv.must_add(x, [a])
    expect_eq(srv.counts(a), (1, 0, 0), "a after x follows again")
    expect_eq(srv.counts(x), (1, 2, 0), "x")


def test_import_again_keeps_edges(srv):
    p, q = srv.import_accounts(["ke_p", "ke_q"])
    srv.must_add(p, [q])
    srv.must_add(q, [p])
    expect_ok(srv.call(SVC + "account_import", {"UserID": p, "Nick": "P"}))
    expect_ok(srv.call(SVC + "multiaccount_import", {"Accounts": [p, q]}), ["FailAccounts"])
    expect_ok(srv.call(SVC + "multiaccount_import", {"AccountList": [{"UserID": q}]}),
              ["FailAccounts"])
    expect_eq(srv.counts(p), (1, 1, 1), "p after re-import")
    expect_eq(srv.counts(q), (1, 1, 1), "q after re-import")
    expect_eq(srv.follow_type(p, q), 3, "p -> q")


def test_non_admin_gets_60010(srv):
    for cmd, body in (("account_import", {"UserID": "na_1"}),
                      ("multiaccount_import", {"Accounts": ["na_1"]}),
                      ("account_check", {"CheckItem": [{"UserID": "na_1"}]}),
                      ("account_delete", {"DeleteItem": [{"UserID": "na_1"}]})):
        expect_fail(srv.call(SVC + cmd, body, query_overrides={"identifier": "na_user"}), NOT_ADMIN)
    expect_status(srv, {"na_1": "NotImported"})


def test_null_userid_is_60015(srv):
    # The brief: a UserID that is null is "not a JSON string" -> 60015
    # (README.md says null counts as absent -> 70402: the two disagree).
    fl = Failures()
    for cmd, body in (("account_import", {"UserID": None}),
                      ("account_import", {"Identifier": None}),
                      ("multiaccount_import", {"AccountList": [{"UserID": "nl_1"}, {"UserID": None}]}),
                      ("multiaccount_import", {"Accounts": ["nl_1", None]}),
                      ("account_check", {"CheckItem": [{"UserID": "nl_1"}, {"UserID": None}]}),
                      ("account_delete", {"DeleteItem": [{"UserID": "nl_1"}, {"UserID": None}]})):
        with fl:
            expect_fail(srv.call(SVC + cmd, body), USERID_NOT_STRING)
    fl.done()


if __name__ == "__main__":
    run_tests(globals())
