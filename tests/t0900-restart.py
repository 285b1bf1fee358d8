#!/usr/bin/env python3
"""Data survives a restart of the service (SIGTERM), and, with durability = write, a crash of every
process (SIGKILL); the stores opened again are consistent."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

ACCOUNTS = ["rs_%02d" % i for i in range(8)]


def snapshot(srv):
    snap = {}
    for a in ACCOUNTS:
        snap[a] = (srv.counts(a),
                   [(it["To_Account"], it["FollowTime"]) for t in (FANS, FOLLOWING, MUTUAL)
                    for it in srv.get_all(a, t)])
    r = srv.account_check(ACCOUNTS + ["rs_gone"])
    expect_ok(r, ["ResultItem"])
    snap["status"] = [it["AccountStatus"] for it in r["ResultItem"]]
    return snap


def make_graph(srv):
    srv.import_accounts(ACCOUNTS + ["rs_gone"])
    for i, a in enumerate(ACCOUNTS):
        srv.must_add(a, [b for j, b in enumerate(ACCOUNTS) if j != i and (i * j) % 3 != 1])
    srv.must_add("rs_gone", ACCOUNTS[:3])
    r = srv.account_delete(["rs_gone"])
    expect_ok(r, ["ResultItem"])


def test_graceful_restart_keeps_data(srv):
    make_graph(srv)
    before = snapshot(srv)
    srv.restart()
    expect_eq(snapshot(srv), before, "state after a restart")


def test_crash_keeps_committed_data(srv):
    srv.must_delete(ACCOUNTS[0], ACCOUNTS[1:4])
    srv.must_add(ACCOUNTS[7], ACCOUNTS[:4])
    before = snapshot(srv)
    srv.restart(crash=True)
    expect_eq(snapshot(srv), before, "state after SIGKILL of every process and a restart")
    # and it still works
    srv.must_add(ACCOUNTS[0], ACCOUNTS[1:4])


if __name__ == "__main__":
    run_tests(globals())
