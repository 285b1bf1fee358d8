#!/usr/bin/env python3
"""Concurrency: 4 FastCGI processes, 8 client threads doing random follows and unfollows among the
same 10 accounts. Every call answers OK; afterwards counters equal list lengths and the lists agree
with each other and with follow_check."""
import functools
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

ACCOUNTS = ["cc_%02d" % i for i in range(10)]
THREADS = 8
CALLS = int(os.environ.get("CALLS", "150"))


def worker(srv, seed, stats):
    rng = random.Random(seed)
    for _ in range(CALLS):
        frm = rng.choice(ACCOUNTS)
        others = [a for a in ACCOUNTS if a != frm]
        targets = rng.sample(others, rng.randint(1, 3))
        x = rng.random()
        if x < 0.55:
            r = srv.follow_add(frm, targets)
            expect_results(r, "ResultItem", [(t, OK) for t in targets])
        elif x < 0.9:
            r = srv.follow_delete(frm, targets)
            expect_results(r, "ResultItem", [(t, OK) for t in targets])
        elif x < 0.95:
            r = srv.follow_check(frm, targets)
            expect_ok(r, ["ResultItem"])
        else:
            r = srv.follow_get(frm, rng.choice((FANS, FOLLOWING, MUTUAL)), "", 5)
            expect_get_page(r, 5)
        stats.append(1)


def run_threads(srv, base_seed):
    stats = []
    t0 = time.time()
    try:
        in_threads([functools.partial(worker, srv, base_seed + i, stats) for i in range(THREADS)])
    finally:
        print("  %d calls in %.1fs" % (len(stats), time.time() - t0))


def verify_consistent(srv):
    fans, following, mutual = {}, {}, {}
    for a in ACCOUNTS:
        fans[a] = set(srv.list_ids(a, FANS, 3))
        following[a] = set(srv.list_ids(a, FOLLOWING, 3))
        mutual[a] = set(srv.list_ids(a, MUTUAL, 3))
    r = srv.follow_get_info(ACCOUNTS[0], ACCOUNTS)
    expect_results(r, "FollowInfo", [
        (a, OK, {"FollowerCount": len(fans[a]), "FollowingCount": len(following[a]),
                 "MutualFollowingCount": len(mutual[a])}) for a in ACCOUNTS], keys=INFO_KEYS)
    for a in ACCOUNTS:
        for b in ACCOUNTS:
            if a == b:
                continue
            expect_eq(a in fans[b], b in following[a],
                      "%s in fans of %s vs %s in following of %s" % (a, b, b, a))
            both = b in following[a] and b in fans[a]
            expect_eq(b in mutual[a], both, "%s in mutual of %s" % (b, a))
        r = srv.follow_check(a, ACCOUNTS)
        expect_results(r, "ResultItem", [
            (b, OK, {"FollowType": 0 if a == b else
                     (2 if b in following[a] else 0) + (1 if b in fans[a] else 0)})
            for b in ACCOUNTS], keys=CHECK_KEYS)
    return sum(len(v) for v in following.values())


def test_concurrent_follow_unfollow(srv):
    srv.import_accounts(ACCOUNTS)
    seed = int(os.environ.get("SEED", str(random.randrange(1 << 30))))
    print("  seed %d" % seed)
    for round_ in range(3):
        run_threads(srv, seed + 100 * round_)
        edges = verify_consistent(srv)
        print("  round %d: %d edges afterwards" % (round_ + 1, edges))


def test_concurrent_mutual_races(srv):
    # pairs follow each other at the same moment, again and again
    pairs = [(ACCOUNTS[i], ACCOUNTS[i + 1]) for i in range(0, 10, 2)]
    for a, b in pairs:
        srv.follow_delete(a, [b])
        srv.follow_delete(b, [a])
    errors = []
    barrier = threading.Barrier(len(pairs) * 2)

    def side(frm, to):
        try:
            for _ in range(40):
                barrier.wait(10)
                expect_results(srv.follow_add(frm, [to]), "ResultItem", [(to, OK)])
                barrier.wait(10)
                expect_results(srv.follow_delete(frm, [to]), "ResultItem", [(to, OK)])
            barrier.wait(10)
            expect_results(srv.follow_add(frm, [to]), "ResultItem", [(to, OK)])
        except Exception as e:  # noqa: BLE001 - recorded before the others' BrokenBarrierError
            errors.append(e)
            barrier.abort()

    in_threads([functools.partial(side, x, y) for a, b in pairs for x, y in ((a, b), (b, a))])
    if errors:
        raise errors[0]
    verify_consistent(srv)
    for a, b in pairs:
        expect_eq(srv.follow_type(a, b), 3, "%s and %s end mutual" % (a, b))


def test_concurrent_account_delete(srv):
    # deleting an account while others follow and unfollow it keeps the counters right
    victim = ACCOUNTS[9]
    stop = threading.Event()

    def churn(seed):
        rng = random.Random(seed)
        while not stop.is_set():
            frm = rng.choice(ACCOUNTS[:9])
            r = srv.follow_add(frm, [victim]) if rng.random() < 0.6 else \
                srv.follow_delete(frm, [victim])
            expect_ok(r, ["ResultItem"])
            check(r["ResultItem"][0]["ResultCode"] in (OK, NOT_IMPORTED), r, "0 or 30003")

    def delete_and_import():
        try:
            for _ in range(15):
                time.sleep(0.02)
                expect_ok(srv.account_delete([victim]), ["ResultItem"])
                srv.import_accounts([victim])
        finally:
            stop.set()

    in_threads([functools.partial(churn, s) for s in range(4)] + [delete_and_import])
    verify_consistent(srv)


if __name__ == "__main__":
    run_tests(globals(), procs=4)
