#!/usr/bin/env python3
"""Webhooks where no long-lived process is allowed (a CGI-only host with cron): each
`follow.fcgi --dispatch-once` delivers what is due, in order, and exits; overlapping runs never
deliver an event twice (the second finds the dispatcher lease taken); the retry state outlives a
run, so backoff and callback_retry_seconds count across cron runs and a failing event ends in
dead-letter. The service itself runs as plain CGI (no dispatcher of its own)."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from cgihost import LighttpdCgiServer, cgi_program  # noqa: E402
from receiver import Receiver, processed_by_id  # noqa: E402

RECEIVER = Receiver()
RUN_TIMEOUT = 60  # a run that takes longer hangs


def dispatch_once(srv):
    """One cron run: (exit status, seconds taken, its log)."""
    t0 = time.time()
    p = subprocess.run([cgi_program(srv.rundir), "--dispatch-once"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       env=dict(os.environ, FOLLOW_CONF=srv.conf_path()), timeout=RUN_TIMEOUT)
    return p.returncode, time.time() - t0, p.stdout


def mine(prefix):
    return lambda recs: [r for r in recs if r.json and r.json.get("From_Account", "")
                         .startswith(prefix)]


def follows(srv, prefix, n):
    accts = ["%s%d" % (prefix, i) for i in range(n + 1)]
    srv.import_accounts(accts)
    for a in accts[1:]:
        expect_results(srv.follow_add(a, [accts[0]]), "ResultItem", [(accts[0], OK)])
    return accts[1:]


def test_delivers_due_events_in_order_and_exits(srv):
    RECEIVER.set_mode("ok")
    mark = RECEIVER.mark()
    senders = follows(srv, "do_", 3)
    time.sleep(0.3)
    check(not mine("do_")(RECEIVER.since(mark)), None,
          "an event was posted before any dispatcher ran: a CGI host has none")
    rc, took, log = dispatch_once(srv)
    check(rc == 0, None, "--dispatch-once exited %d:\n%s" % (rc, log))
    got = mine("do_")(RECEIVER.since(mark))
    expect_eq([r.json["From_Account"] for r in got], senders, None, "events in order, once each")
    check(all(r.processed for r in got), None, "every attempt was taken in")
    rc, took, log = dispatch_once(srv)
    check(rc == 0 and len(mine("do_")(RECEIVER.since(mark))) == 3, None,
          "a second run with nothing due delivers nothing (exit %d):\n%s" % (rc, log))


def test_overlapping_runs_deliver_once(srv):
    mark = RECEIVER.mark()
    senders = follows(srv, "ov_", 4)
    # The receiver holds each request until hang_until: the first run is mid-delivery when the
    # others start.
    RECEIVER.set_mode("hang", hang_until=time.time() + 1.5)
    results = []

    def run():
        results.append(dispatch_once(srv))

    first = threading.Thread(target=run)
    first.start()
    time.sleep(0.5)
    in_threads([run] * 3)
    first.join(RUN_TIMEOUT)
    RECEIVER.set_mode("ok")
    check(all(rc == 0 for rc, _, _ in results), None, "exit statuses %r" % results)
    quick = [took for rc, took, log in results if "another dispatcher" in log]
    check(len(quick) == 3 and max(quick) < 1.0, None,
          "the overlapping runs should find the lease taken at once: %r" % results)
    got = mine("ov_")(RECEIVER.since(mark))
    expect_eq([r.json["From_Account"] for r in got], senders, None,
              "each event delivered exactly once, in order")
    ids = processed_by_id(got)
    check(all(len(v) == 1 for v in ids.values()), None, "an event was delivered twice: %r" % ids)


def test_retry_state_outlives_runs(srv):
    with LighttpdCgiServer(callback_url=RECEIVER.url("/cb"), callback_retry_seconds=2) as s2:
        s2.import_accounts(["rt_a", "rt_b", "rt_c"])
        RECEIVER.set_mode("500")
        mark = RECEIVER.mark()
        expect_results(s2.follow_add("rt_a", ["rt_b"]), "ResultItem", [("rt_b", OK)])
        rc, _, log = dispatch_once(s2)
        check(rc == 0 and len(mine("rt_")(RECEIVER.since(mark))) == 1, None,
              "the first run tries the event once, fails, and exits:\n%s" % log)
        # Backoff after a first failure is 0.5 s: a run right now finds nothing due.
        rc, _, log = dispatch_once(s2)
        check(rc == 0 and len(mine("rt_")(RECEIVER.since(mark))) == 1, None,
              "a run inside the backoff should not try again (the state was lost):\n%s" % log)
        time.sleep(0.6)
        rc, _, log = dispatch_once(s2)
        check(len(mine("rt_")(RECEIVER.since(mark))) == 2, None,
              "after the backoff the next run tries again:\n%s" % log)
        check("moved to dead-letter" not in log, None, "dead-letter before 2 s:\n" + log)
        time.sleep(2.1)
        RECEIVER.set_mode("500")
        rc, _, log = dispatch_once(s2)
        check("moved to dead-letter" in log, None,
              "callback_retry_seconds = 2 passed since the first failure, counted across runs:\n"
              + log)
        RECEIVER.set_mode("ok")
        mark2 = RECEIVER.mark()
        expect_results(s2.follow_add("rt_c", ["rt_b"]), "ResultItem", [("rt_b", OK)])
        rc, _, log = dispatch_once(s2)
        got = mine("rt_")(RECEIVER.since(mark2))
        expect_eq([r.json["From_Account"] for r in got], ["rt_c"], None,
                  "only the new event arrives; the dead one never does")


if __name__ == "__main__":
    try:
        run_tests(globals(), server_class=LighttpdCgiServer, callback_url=RECEIVER.url("/cb"))
    finally:
        RECEIVER.stop()
