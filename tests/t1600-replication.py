#!/usr/bin/env python3
"""Several machines (README, "Several machines"): three replicated sites on loopback, each a
lighttpd with its workers, dispatcher and replication process. Writes through any site reach all
three; the master's death under load elects another, whose writes succeed again, with every
acknowledged write on the survivors, and the dead site comes back as a replica that catches up
(five rounds); a killed worker, dispatcher or replication process, on the master or a replica,
loses nothing; a site alone acknowledges no write but answers reads; webhooks go on from the new
master with growing EventIds. Each check waits with a bound; times are printed, never asserted."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from cluster import Cluster, Writers, ctl, stats  # noqa: E402
from receiver import Receiver, first_deliveries  # noqa: E402

TARGETS = ["t%d" % i for i in range(2000)]


def import_all(c, names):
    c.sites[c.master()].import_accounts(list(names) + TARGETS)


def test_writes_reach_every_site(_srv):
    with Cluster() as c:
        import_all(c, ["a0", "a1", "a2"])
        t0 = time.time()
        for i in range(3):
            c.sites[i].must_add("a%d" % i, ["t%d" % k for k in range(10)])
        edges = [("a%d" % i, "t%d" % k) for i in range(3) for k in range(10)]
        c.check_edges(edges, timeout=2)
        print("  writes through each site seen on all three within %.3f s" % (time.time() - t0))
        same = c.wait_same(10)
        check("a2\tt9" in same or "t9" in same, {}, "the export holds the follows")
        st = [stats(s) for s in c.sites]
        roles = sorted(x["repl_role"] for x in st)
        expect_eq(roles, ["master", "replica", "replica"], "repl_role of the three sites")
        masters = set(x["repl_master"] for x in st)
        expect_eq(len(masters), 1, "every site names the same master")
        m = c.master()
        expect_eq(masters.pop(), "127.0.0.1:%d" % c.repl[m], "repl_master is HOST:PORT")
        expect_eq(len(st[0]["repl_site"]), 3, "stats lists the three sites")
        # Reads and followctl work on a replica: verify finds nothing wrong anywhere.
        for s in c.sites:
            check("violations: 0" in ctl(s, "verify"), {}, "verify on every site")


def failover_round(c, rnd, names):
    """Writers through the two replicas; SIGKILL of every process of the master; a new master;
    every acknowledged write on both survivors; the dead site back as a replica, caught up."""
    m = c.master()
    reps = [i for i in c.live() if i != m]
    w = Writers(c, reps, ["t%d" % k for k in range(rnd * 300, rnd * 300 + 300)])
    w.start()
    time.sleep(0.7)
    t_kill = time.time()
    c.kill_site(m)
    deadline = time.time() + 20
    while w.oks_after(t_kill) < 20 and time.time() < deadline:
        time.sleep(0.05)
    w.stop()
    first = w.first_ok_after(t_kill)
    check(first is not None, {}, "round %d: no write succeeded after the master's death: %s"
          % (rnd, w.describe_errors(t_kill)))
    new_m = c.master()
    check(new_m != m, {}, "round %d: a new master" % rnd)
    print("  round %d: master %d killed; site %d elected; writes again after %.3f s; %d acked"
          % (rnd, m, new_m, first - t_kill, len(w.acked)))
    c.check_edges(w.acked)
    c.start_site(m)
    c.wait_same(30)
    c.check_edges(w.acked, sites=[m])
    expect_eq(stats(c.sites[m])["repl_role"], "replica", "round %d: the old master is back" % rnd)


def test_failover_under_load_five_rounds(_srv):
    with Cluster() as c:
        names = ["w%d_0" % i for i in range(3)]
        import_all(c, names)
        for rnd in range(5):
            failover_round(c, rnd, names)


def site_pids(srv):
    """The site's replication process, its dispatcher, and its workers (pids)."""
    data = os.path.join(srv.rundir, "data", "site")
    with open(os.path.join(data, "ready")) as f:
        site = int(f.read().split()[0])
    dispatcher, workers = None, []
    for name in os.listdir(os.path.join(data, "procs")):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % name, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if b"FOLLOW_ROLE=dispatcher" in env:
            dispatcher = int(name)
        else:
            workers.append(int(name))
    return site, dispatcher, workers


def test_any_process_killed(_srv):
    rcv = Receiver()  # so that each site's dispatcher has the environment open
    try:
        any_process_killed(rcv)
    finally:
        rcv.stop()


def any_process_killed(rcv):
    with Cluster(callback_url=rcv.url("/cb"), callback_token="tok") as c:
        names = ["w%d_0" % i for i in range(3)]
        import_all(c, names)
        rnd = 0
        for where in ("master", "replica"):
            for what in ("worker", "dispatcher", "replication"):
                m = c.master()
                victim_site = m if where == "master" else [i for i in c.live() if i != m][0]
                site, dispatcher, workers = site_pids(c.sites[victim_site])
                pid = {"worker": workers[0] if workers else None, "dispatcher": dispatcher,
                       "replication": site}[what]
                check(pid is not None, {}, "a %s of site %d to kill" % (what, victim_site))
                w = Writers(c, c.live(), ["t%d" % k for k in range(rnd * 200, rnd * 200 + 200)])
                w.start()
                time.sleep(0.5)
                t_kill = time.time()
                os.kill(pid, signal.SIGKILL)
                deadline = time.time() + 20
                while w.oks_after(t_kill + 1) < 30 and time.time() < deadline:
                    time.sleep(0.05)
                w.stop()
                print("  %s of the %s (site %d) killed: %d writes acked, %d after" %
                      (what, where, victim_site, len(w.acked), w.oks_after(t_kill)))
                for i in c.live():
                    c.wait_writable(i, 20)
                c.check_edges(w.acked)
                c.wait_same(30)
                rnd += 1


def test_partition_alone_takes_no_write(_srv):
    with Cluster() as c:
        import_all(c, ["p0"])
        c.sites[0].must_add("p0", ["t0"])
        m = c.master()
        others = [i for i in c.live() if i != m]
        lone = others[0]
        c.stop_site(m)
        c.stop_site(others[1])
        srv = c.sites[lone]
        t0 = time.time()
        n = 0
        while time.time() - t0 < 4:
            r = srv.follow_add("p0", ["t%d" % (1 + n % 50)])
            check(r["ErrorCode"] != 0, r, "a site without a majority acknowledged a write")
            check(r["ErrorCode"] == INTERNAL_ERROR, r, "the follow family's internal error")
            n += 1
        r = srv.follow_check("p0", ["t0"])
        expect_ok(r, ["ResultItem"])
        expect_eq(r["ResultItem"][0]["FollowType"], 2, "reads still answer on the lone site")
        print("  the lone site refused %d writes in 4 s and still answered reads" % n)
        c.start_site(others[1])
        took = c.wait_writable(lone, 30)
        print("  writes again %.3f s after a second site came back" % took)
        srv.must_add("p0", ["t1999"])
        c.start_site(m)
        c.wait_same(30)


def test_webhooks_across_failover(_srv):
    rcv = Receiver()
    try:
        with Cluster(callback_url=rcv.url("/cb"), callback_token="tok") as c:
            import_all(c, ["h0"])
            m = c.master()
            rep = [i for i in c.live() if i != m][0]
            srv = c.sites[rep]
            added = []
            for k in range(30):
                srv.must_add("h0", ["t%d" % k])
                added.append("t%d" % k)
            c.kill_site(m)
            c.wait_writable(rep, 20)
            for k in range(30, 60):
                srv.must_add("h0", ["t%d" % k])
                added.append("t%d" % k)
            deadline = time.time() + 30
            while True:
                seen = set()
                for r in rcv.records:
                    if r.processed and r.json:
                        seen.update(x.get("To_Account") for x in r.json.get("FollowList", []))
                if len(seen) == len(added) or time.time() > deadline:
                    break
                time.sleep(0.2)
            expect_eq(sorted(set(added) - seen), [], "events never delivered")
            ids = [r.event_id for r in first_deliveries(rcv.records)]
            check(ids == sorted(ids), {}, "EventIds must keep growing: %s" % ids)
            print("  %d events delivered across the failover (%d requests), EventIds %d..%d"
                  % (len(added), len(rcv.records), ids[0], ids[-1]))
            c.start_site(m)
            c.wait_same(30)
    finally:
        rcv.stop()


class Groups:
    """Each test makes its own group: no server for the file as a whole."""

    def __init__(self, **kw):
        self.keep = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def print_log_tail(self, lines=40):
        pass  # each group prints its own sites' logs


if __name__ == "__main__":
    run_tests(globals(), server_class=Groups)
