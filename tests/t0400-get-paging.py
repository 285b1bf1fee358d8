#!/usr/bin/env python3
"""follow_get: shape, order, WantNum, cursors, paging 250 fans, paging while others change the list,
mutual lists and their FollowTime, request-wide errors."""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403


def make_fans(srv, target, fans):
    srv.import_accounts([target] + list(fans))
    times = {}
    for f in fans:
        t0 = int(time.time())
        srv.must_add(f, [target])
        times[f] = (t0, int(time.time()))
    return times


def test_empty_lists(srv):
    a = srv.import_accounts(["pe_a"])[0]
    for ft in (FANS, FOLLOWING, MUTUAL):
        r = srv.follow_get(a, ft)
        expect_get_page(r)
        expect_eq((r["FollowItem"], r["NextCursor"]), ([], ""), r, "empty list")


def test_250_fans_in_pages_of_100(srv):
    target = "pg_target"
    fans = ["pg_f%03d" % i for i in range(250)]
    times = make_fans(srv, target, fans)
    expect_eq(srv.counts(target), (250, 0, 0), "target counts")
    cursor = ""
    pages = []
    for n in range(3):
        r = srv.follow_get(target, FANS, cursor, 100)
        expect_get_page(r, 100)
        pages.append(r)
        cursor = r["NextCursor"]
        if n < 2:
            check(cursor != "", r, "page %d should have a NextCursor" % (n + 1))
    expect_eq([len(p["FollowItem"]) for p in pages], [100, 100, 50], "page sizes")
    expect_eq(pages[2]["NextCursor"], "", pages[2], "NextCursor of the last page")
    items = [it for p in pages for it in p["FollowItem"]]
    ids = [it["To_Account"] for it in items]
    expect_eq(len(set(ids)), 250, "distinct entries")
    expect_eq(set(ids), set(fans), "the fans")
    keys = [(-it["FollowTime"], idkey(it["To_Account"])) for it in items]
    expect_eq(keys, sorted(keys), "order across pages (newest first, then account ascending)")
    for it in items:
        lo, hi = times[it["To_Account"]]
        check(lo - 1 <= it["FollowTime"] <= hi + 1, it, "FollowTime of %s" % it["To_Account"])
    # each fan sees the target in its following list with the same FollowTime
    ft = {it["To_Account"]: it["FollowTime"] for it in items}
    for f in fans[:10] + fans[-10:]:
        r = srv.follow_get(f, FOLLOWING)
        expect_get_page(r)
        expect_eq([(x["To_Account"], x["FollowTime"]) for x in r["FollowItem"]],
                  [(target, ft[f])], r, "following list of %s" % f)
    # the same walk with other page sizes gives the same list
    for want in (1, 7, 99, 249, 250, 251, 1000):
        walked = srv.get_all(target, FANS, want)
        expect_eq(walked, items, "walk with WantNum %d" % want)


def test_cursor_is_reusable(srv):
    target = "pg_target"
    r1 = srv.follow_get(target, FANS, "", 10)
    expect_get_page(r1, 10)
    c = r1["NextCursor"]
    check(c != "", r1, "NextCursor expected")
    r2 = srv.follow_get(target, FANS, c, 10)
    r3 = srv.follow_get(target, FANS, c, 10)
    expect_get_page(r2, 10)
    expect_eq(r3["FollowItem"], r2["FollowItem"], r3, "same cursor, same page")
    # the page after the cursor continues where the first page stopped
    r4 = srv.follow_get(target, FANS, "", 20)
    expect_eq(r1["FollowItem"] + r2["FollowItem"], r4["FollowItem"], r4, "pages 1+2 = first 20")


def test_default_wantnum_and_cap(srv):
    w = "cap_w"
    targets = ["cap_t%04d" % i for i in range(1001)]
    srv.import_accounts([w] + targets)
    for i in range(0, 1001, 20):
        srv.must_add(w, targets[i:i + 20])
    expect_eq(srv.counts(w), (0, 1001, 0), "w follows 1001")
    # WantNum absent: 100
    r = srv.call("follow/follow_get", {"From_Account": w, "FollowType": 2, "StartCursor": ""})
    expect_get_page(r, 100)
    expect_eq(len(r["FollowItem"]), 100, r, "default page size")
    check(r["NextCursor"] != "", r, "more follow")
    # StartCursor absent: the first page
    r2 = srv.call("follow/follow_get", {"From_Account": w, "FollowType": 2})
    expect_get_page(r2, 100)
    expect_eq(r2["FollowItem"], r["FollowItem"], r2, "no StartCursor = first page")
    # more than 1000 is served as 1000
    for want in (1001, 5000, 2147483647, 2 ** 40):
        r = srv.follow_get(w, FOLLOWING, "", want)
        expect_get_page(r, 1000)
        expect_eq(len(r["FollowItem"]), 1000, r, "WantNum %d served as 1000" % want)
        check(r["NextCursor"] != "", r, "one more entry follows")
        r2 = srv.follow_get(w, FOLLOWING, r["NextCursor"], want)
        expect_get_page(r2, 1000)
        expect_eq(len(r2["FollowItem"]), 1, r2, "the 1001st entry")
        expect_eq(r2["NextCursor"], "", r2, "end of the list")
        ids = [it["To_Account"] for it in r["FollowItem"] + r2["FollowItem"]]
        expect_eq(sorted(ids), targets, "all 1001")
    r = srv.follow_get(w, FOLLOWING, "", 1000)
    expect_eq(len(r["FollowItem"]), 1000, r, "WantNum 1000")


def test_equal_times_in_byte_order(srv):
    a = "eq_a"
    names = ["eq_Zed", "eq_alpha", "eq_Alpha", "eq__x", "eq_\u00e9t\u00e9", "eq_0num", "eq_~t",
             "eq_a", "eq_ab", "eq_\u4e2d", "eq_B"]
    others = [n for n in names if n != a]
    srv.import_accounts(names)
    srv.must_add(a, others)  # one batch: one FollowTime
    items = srv.get_all(a, FOLLOWING, 3)  # checks the order, page by page
    keys = [(-it["FollowTime"], idkey(it["To_Account"])) for it in items]
    expect_eq(keys, sorted(keys), "order across pages")
    expect_eq(sorted(it["To_Account"] for it in items), sorted(others), "the followed accounts")
    if len({it["FollowTime"] for it in items}) == 1:  # the usual case: one batch, one second
        expect_eq([it["To_Account"] for it in items], sorted(others, key=idkey),
                  "equal FollowTimes come in ascending byte order")


def test_mutual_list_and_time(srv):
    a, b, c, d = srv.import_accounts(["mt_a", "mt_b", "mt_c", "mt_d"])
    srv.must_add(a, [b, c])
    time.sleep(1.1)
    srv.must_add(b, [a])
    time.sleep(1.1)
    srv.must_add(c, [a])
    srv.must_add(d, [a])  # d is a fan only
    fans = {it["To_Account"]: it["FollowTime"] for it in srv.get_all(a, FANS)}
    following = {it["To_Account"]: it["FollowTime"] for it in srv.get_all(a, FOLLOWING)}
    check(fans[b] > following[b], (fans, following), "b followed back later")
    mutual = srv.get_all(a, MUTUAL)
    expect_eq([it["To_Account"] for it in mutual], [c, b], "a's mutual list, newest first")
    expect_eq(mutual[0]["FollowTime"], max(fans[c], following[c]), "mutual time of c")
    expect_eq(mutual[1]["FollowTime"], max(fans[b], following[b]), "mutual time of b")
    mb = srv.get_all(b, MUTUAL)
    expect_eq([(it["To_Account"], it["FollowTime"]) for it in mb], [(a, fans[b])],
              "b's mutual list: the time the pair became mutual")
    expect_eq(srv.counts(a), (3, 2, 2), "a counts")
    # paging a mutual list
    expect_eq(srv.get_all(a, MUTUAL, 1), mutual, "mutual walk with WantNum 1")
    # the pair stops being mutual
    srv.must_delete(b, [a])
    expect_eq(srv.list_ids(a, MUTUAL), [c], "a's mutual after b unfollowed")
    expect_eq(srv.list_ids(b, MUTUAL), [], "b's mutual after b unfollowed")


def test_cursor_after_its_anchor_changes(srv):
    """The entry a cursor continues after is removed (or moves to the front) before the next page:
    the walk neither repeats nor skips the other entries."""
    target = "an_target"
    fans = ["an_f%02d" % i for i in range(20)]
    make_fans(srv, target, fans)
    full = srv.list_ids(target, FANS)
    r = srv.follow_get(target, FANS, "", 5)
    expect_get_page(r, 5)
    page1 = [it["To_Account"] for it in r["FollowItem"]]
    expect_eq(page1, full[:5], r, "first page")
    anchor = page1[-1]
    srv.must_delete(anchor, [target])
    r2 = srv.follow_get(target, FANS, r["NextCursor"], 5)
    expect_get_page(r2, 5)
    expect_eq([it["To_Account"] for it in r2["FollowItem"]], full[5:10], r2,
              "page after a cursor whose entry was removed")
    anchor2 = full[9]
    srv.must_delete(anchor2, [target])
    srv.must_add(anchor2, [target])  # back, now the newest fan
    r3 = srv.follow_get(target, FANS, r2["NextCursor"], 5)
    expect_get_page(r3, 5)
    expect_eq([it["To_Account"] for it in r3["FollowItem"]], full[10:15], r3,
              "page after a cursor whose entry moved to the front")
    rest = srv.follow_get(target, FANS, r3["NextCursor"], 100)
    expect_get_page(rest, 100)
    expect_eq([it["To_Account"] for it in rest["FollowItem"]], full[15:], rest, "the rest")
    expect_eq(rest["NextCursor"], "", rest, "end")


def test_mutual_list_order_and_paging(srv):
    m = "mo_m"
    xs = ["mo_x%02d" % i for i in range(30)]
    srv.import_accounts([m] + xs)
    for i in range(0, 30, 20):
        srv.must_add(m, xs[i:i + 20])  # m follows everybody first
    time.sleep(1.1)
    odd, even = xs[1::2], xs[0::2]
    for x in odd:
        srv.must_add(x, [m])  # odd ones follow back: mutual from now
    time.sleep(1.1)
    for x in even:
        srv.must_add(x, [m])  # even ones later
    mutual = srv.get_all(m, MUTUAL, 4)
    times_odd = {it["FollowTime"] for it in mutual if it["To_Account"] in odd}
    times_even = {it["FollowTime"] for it in mutual if it["To_Account"] in even}
    check(max(times_odd) < min(times_even), mutual, "the later pairs are the newer mutuals")
    fans = {it["To_Account"]: it["FollowTime"] for it in srv.get_all(m, FANS)}
    for it in mutual:
        expect_eq(it["FollowTime"], fans[it["To_Account"]], "mutual time = the follow back")
    if len(times_odd) == 1 and len(times_even) == 1:
        expect_eq([it["To_Account"] for it in mutual], sorted(even) + sorted(odd),
                  "mutual list order")
    expect_eq(srv.counts(m), (30, 30, 30), "m's counts")
    # a pair that ends and starts again is the newest mutual
    srv.must_delete(m, [odd[0]])
    expect_eq(len(srv.get_all(m, MUTUAL, 7)), 29, "29 mutuals")
    time.sleep(1.1)
    srv.must_add(m, [odd[0]])
    mutual2 = srv.get_all(m, MUTUAL, 7)
    expect_eq(mutual2[0]["To_Account"], odd[0], "the renewed pair comes first")
    check(mutual2[0]["FollowTime"] > max(times_even), mutual2, "with the time it became mutual again")
    expect_eq(len(mutual2), 30, "30 mutuals")


def test_walk_while_others_change_the_list(srv):
    target = "wk_target"
    stable = ["wk_s%03d" % i for i in range(120)]
    # churners' names sort right after every 4th stable fan, so when they follow in the same
    # second as the stable fans they sit between them in the list
    others = ["wk_s%03d_c" % (i * 4) for i in range(30)]
    srv.import_accounts([target] + stable + others)
    for i, s in enumerate(stable):
        srv.must_add(s, [target])
        if i % 8 == 0:  # every other churner is a fan when the walk starts, among the stable ones
            srv.must_add(others[i // 4], [target])
    sync_rng = random.Random(11)
    stop = threading.Event()
    errors = []
    churn_count = [0]

    def churn():
        rng = random.Random(7)
        state = {o: (i % 2 == 0) for i, o in enumerate(others)}
        try:
            while not stop.is_set():
                o = rng.choice(others)
                if state[o]:
                    srv.must_delete(o, [target])
                else:
                    srv.must_add(o, [target])
                state[o] = not state[o]
                churn_count[0] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    th = threading.Thread(target=churn)
    th.start()
    try:
        for want in (7, 3, 7, 11, 1, 7, 5, 2):
            cursor = ""
            walked = []
            pages = 0
            while True:
                r = srv.follow_get(target, FANS, cursor, want)
                expect_get_page(r, want)
                walked.extend(r["FollowItem"])
                cursor = r["NextCursor"]
                # and between every two pages, one more change for sure: a churner unfollows
                # (unfollowing one that does not follow is fine) and follows again
                o = sync_rng.choice(others)
                srv.must_delete(o, [target])
                if sync_rng.random() < 0.5:
                    srv.must_add(o, [target])
                pages += 1
                check(pages < 10000, r, "walk does not end")
                if cursor == "":
                    break
            ids = [it["To_Account"] for it in walked]
            dup = sorted({x for x in ids if ids.count(x) > 1})
            check(not dup, {"repeated": dup}, "entries repeated in a walk (WantNum %d)" % want)
            missing = sorted(set(stable) - set(ids))
            check(not missing, {"missing": missing},
                  "fans that existed for the whole walk were skipped (WantNum %d)" % want)
            unknown = sorted(set(ids) - set(stable) - set(others))
            check(not unknown, {"unknown": unknown}, "entries that never were fans")
            keys = [(-it["FollowTime"], idkey(it["To_Account"])) for it in walked]
            expect_eq(keys, sorted(keys), "order across the walk")
    finally:
        stop.set()
        th.join()
    if errors:
        raise errors[0]
    check(churn_count[0] > 20, {"churn": churn_count[0]}, "the churn thread made changes")


def test_cursor_of_another_list_is_30001(srv):
    # README decision: a cursor made for another FollowType -> 30001
    a, b, c = srv.import_accounts(["cx_a", "cx_b", "cx_c"])
    srv.must_add(b, [a])
    srv.must_add(c, [a])
    srv.must_add(a, [b, c])
    r = srv.follow_get(a, FANS, "", 1)
    expect_get_page(r, 1)
    cur = r["NextCursor"]
    check(cur != "", r, "a cursor")
    expect_fail(srv.follow_get(a, FOLLOWING, cur, 1), INVALID_PARAMS, "StartCursor")
    expect_fail(srv.follow_get(a, MUTUAL, cur, 1), INVALID_PARAMS, "StartCursor")
    r = srv.follow_get(a, FANS, cur, 1)
    expect_get_page(r, 1)


def test_get_request_wide_errors(srv):
    a, b = srv.import_accounts(["ge_a", "ge_b"])
    srv.must_add(a, [b])

    def body(**kw):
        b = {"From_Account": a, "FollowType": 1, "StartCursor": "", "WantNum": 10}
        for k, v in kw.items():
            if v is KeyError:
                b.pop(k)
            else:
                b[k] = v
        return b

    rows = [
        (body(From_Account=KeyError), INVALID_PARAMS, "From_Account"),
        (body(From_Account="ge_ghost"), NOT_IMPORTED, None),
        (body(FollowType=KeyError), INVALID_PARAMS, "FollowType"),
    ]
    for v in (0, 4, -1, "1", 1.5, None, [1], {}):
        rows.append((body(FollowType=v), INVALID_PARAMS, "FollowType"))
    for v in (0, -1, -100, -2 ** 40, 1.5, "10", [10], {}):
        rows.append((body(WantNum=v), INVALID_PARAMS, "WantNum"))
    for v in ("zzz", "!!", "\u00e9", 5, [], {}):
        rows.append((body(StartCursor=v), INVALID_PARAMS, "StartCursor"))
    for bad in ("", "x" * 33, "a\x01b", "a\x00b", "bad\udcffutf8"):
        rows.append((body(From_Account=bad), INVALID_PARAMS, "From_Account"))
    for v in (5, {}, [], True):  # null: see test_null_from_account_is_60015
        rows.append((body(From_Account=v), USERID_NOT_STRING, None))
    expect_fail_rows(srv, "follow/follow_get", rows)
    # the same body with valid fields is fine
    r = srv.call("follow/follow_get", body())
    expect_get_page(r, 10)


def test_null_from_account_is_60015(srv):
    # The brief: a UserID that is null is "not a JSON string" -> 60015 request-wide
    # (README.md says null counts as absent -> 30001: the two disagree).
    expect_fail(srv.call("follow/follow_get", {"From_Account": None, "FollowType": 1}),
                USERID_NOT_STRING)


if __name__ == "__main__":
    run_tests(globals())
