#!/usr/bin/env python3
"""Random follow_add / follow_delete batches mirrored in an in-memory model; the lists (all three
types, paged with WantNum 7), counts and follow_check must match the model at every checkpoint.

The seed is printed; SEED=<n> replays a run, BATCHES=<n> changes its length."""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

N_ACCOUNTS = 20
BATCHES = int(os.environ.get("BATCHES", "1200"))
CHECKPOINTS = set(range(200, BATCHES, 200)) | {BATCHES}
# every so many batches, pause a second so FollowTimes differ and an old edge that is followed
# again visibly keeps its first FollowTime
PAUSE_EVERY = 150
GHOST = "rm_ghost"


class Model:
    def __init__(self, accounts):
        self.accounts = accounts
        self.edges = {}  # (from, to) -> (lo, hi): the FollowTime is within [lo, hi]

    def fans(self, a):
        return {x for (x, y) in self.edges if y == a}

    def following(self, a):
        return {y for (x, y) in self.edges if x == a}

    def mutual(self, a):
        return self.fans(a) & self.following(a)

    def follow_type(self, a, b):
        return (2 if (a, b) in self.edges else 0) + (1 if (b, a) in self.edges else 0)

    def time_bounds(self, a, b, list_type):
        """Bounds of the FollowTime shown for b in a's list of this type."""
        if list_type == FANS:
            return self.edges[(b, a)]
        if list_type == FOLLOWING:
            return self.edges[(a, b)]
        e1, e2 = self.edges[(a, b)], self.edges[(b, a)]
        return (max(e1[0], e2[0]), max(e1[1], e2[1]))


def expected_code(frm, t, accounts):
    if t == frm:
        return INVALID_PARAMS
    if t == "" or len(t.encode()) > 32:
        return INVALID_PARAMS
    if t not in accounts:
        return NOT_IMPORTED
    return OK


def random_batch(rng, frm, accounts):
    targets = []
    for _ in range(rng.randint(1, 5)):
        x = rng.random()
        if x < 0.07:
            targets.append(frm)
        elif x < 0.13:
            targets.append(GHOST)
        elif x < 0.15:
            targets.append(rng.choice(["", "z" * 33]))
        elif x < 0.25 and targets:
            targets.append(rng.choice(targets))
        else:
            targets.append(rng.choice(accounts))
    return targets


def verify(srv, model, label):
    accounts = model.accounts
    times = {}
    for a in accounts:
        want_lists = {FANS: model.fans(a), FOLLOWING: model.following(a), MUTUAL: model.mutual(a)}
        for lt, want in want_lists.items():
            items = srv.get_all(a, lt, 7)
            ids = [it["To_Account"] for it in items]
            if set(ids) != want or len(ids) != len(want):
                raise TestFailure("%s: list %d of %s is %s, model says %s" % (
                    label, lt, a, sorted(ids), sorted(want)))
            keys = [(-it["FollowTime"], idkey(it["To_Account"])) for it in items]
            if keys != sorted(keys):
                raise TestFailure("%s: list %d of %s out of order: %s" % (label, lt, a, items))
            for it in items:
                lo, hi = model.time_bounds(a, it["To_Account"], lt)
                if not lo <= it["FollowTime"] <= hi:
                    raise TestFailure("%s: list %d of %s: FollowTime of %s is %d, expected %d..%d"
                                      % (label, lt, a, it["To_Account"], it["FollowTime"], lo, hi))
                times[(a, lt, it["To_Account"])] = it["FollowTime"]
    # the same edge shows the same time on both sides
    for (a, lt, b), t in times.items():
        if lt == FANS:
            expect_eq(times[(b, FOLLOWING, a)], t, "%s: time of edge %s->%s" % (label, b, a))
        elif lt == MUTUAL:
            expect_eq(times[(b, MUTUAL, a)], t, "%s: mutual time of %s/%s" % (label, a, b))
    # counts
    targets = accounts + [GHOST]
    for i in range(0, len(targets), 20):
        chunk = targets[i:i + 20]
        frm = accounts[i % len(accounts)]
        r = srv.follow_get_info(frm, chunk)
        exp = []
        for t in chunk:
            if t == GHOST:
                exp.append((t, NOT_IMPORTED, {"FollowerCount": 0, "FollowingCount": 0,
                                              "MutualFollowingCount": 0}))
            else:
                exp.append((t, OK, {"FollowerCount": len(model.fans(t)),
                                    "FollowingCount": len(model.following(t)),
                                    "MutualFollowingCount": len(model.mutual(t))}))
        expect_results(r, "FollowInfo", exp, keys=INFO_KEYS)
    # follow_check of every pair
    for a in accounts:
        r = srv.follow_check(a, targets)
        expect_results(r, "ResultItem", [
            (t, NOT_IMPORTED if t == GHOST else OK,
             {"FollowType": 0 if t == GHOST else model.follow_type(a, t)}) for t in targets],
            keys=CHECK_KEYS)


def test_random_batches_match_model(srv):
    seed = int(os.environ.get("SEED", str(random.randrange(1 << 30))))
    print("  seed %d (SEED=%d replays it)" % (seed, seed))
    sys.stdout.flush()
    rng = random.Random(seed)
    accounts = ["rm_%02d" % i for i in range(N_ACCOUNTS)]
    srv.import_accounts(accounts)
    model = Model(accounts)
    verify(srv, model, "start")
    acc_set = set(accounts)
    for n in range(1, BATCHES + 1):
        frm = rng.choice(accounts)
        targets = random_batch(rng, frm, accounts)
        add = rng.random() < 0.6
        # the server's clock may be a coarse one, up to a tick behind time.time(): allow 1 s
        t0 = int(time.time()) - 1
        r = srv.follow_add(frm, targets) if add else srv.follow_delete(frm, targets)
        t1 = int(time.time())
        expect_results(r, "ResultItem", [(t, expected_code(frm, t, acc_set)) for t in targets])
        for t in dict.fromkeys(targets):
            if expected_code(frm, t, acc_set) != OK:
                continue
            if add:
                model.edges.setdefault((frm, t), (t0, t1))
            else:
                model.edges.pop((frm, t), None)
        if n in CHECKPOINTS:
            verify(srv, model, "after batch %d (seed %d)" % (n, seed))
        if n % PAUSE_EVERY == 0:
            time.sleep(1.0)
    print("  %d edges at the end" % len(model.edges))


def test_delete_an_account_matches_model(srv):
    # continue on the graph left by the random run: delete two accounts, compare again
    accounts = ["rm_%02d" % i for i in range(N_ACCOUNTS)]
    model = Model(accounts)
    for a in accounts:
        for it in srv.get_all(a, FOLLOWING):
            model.edges[(a, it["To_Account"])] = (it["FollowTime"], it["FollowTime"])
    gone = accounts[:2]
    r = srv.account_delete(gone)
    expect_results(r, "ResultItem", [(u, OK) for u in gone],
                   keys=["UserID", "ResultCode", "ResultInfo"], idkey_name="UserID")
    srv.import_accounts(gone)
    model.edges = {e: t for e, t in model.edges.items() if e[0] not in gone and e[1] not in gone}
    verify(srv, model, "after deleting %s" % gone)


if __name__ == "__main__":
    run_tests(globals())
