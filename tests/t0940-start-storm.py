#!/usr/bin/env python3
"""Start-up never races, and a dying worker costs only its own request.

(1) Ten rounds of: stop the service, `followctl restore` a backup, start lighttpd with 8 FastCGI
processes and, the moment it accepts connections, fire 64 follow_check calls at once, each on its
own connection. Every call must get HTTP 200 and ErrorCode 0 with the right FollowType: the
processes open the restored environment together, and none may fail its open.
(2) While 8 clients call without pause, one worker at a time is SIGKILLed and, once replaced, the
next: lighttpd must route every other request to the surviving workers. Only a request that was
in flight in a killed process may go unanswered (HTTP 5xx), so those <= kills, and never a 503;
every other call gets its JSON answer (OK, or 30006 from a worker the recovery left stuck)."""
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from crashload import FOLLOWCTL, fcgi_children  # noqa: E402

PROCS = 8
ROUNDS = 10
CALLS = 64
CALL_TIMEOUT = 30
KILLS = 8


def followctl(srv, *args):
    p = subprocess.run([FOLLOWCTL, "-c", srv.conf_path()] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    check(p.returncode == 0, None, "followctl %s: exit %d\n%s%s"
          % (" ".join(args), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))


def call_once(srv, path, body):
    """One call on a new connection: (HTTP status, parsed body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=CALL_TIMEOUT)
    try:
        conn.request("POST", "/v4/%s?%s" % (path, srv.query()), json.dumps(body).encode(),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        try:
            return resp.status, json.loads(data)
        except ValueError:
            return resp.status, None
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__, None
    finally:
        conn.close()


def test_restore_then_call_storm(srv):
    srv.import_accounts(["ss_a", "ss_b"])
    srv.must_add("ss_a", ["ss_b"])
    backup = os.path.join(srv.rundir, "storm-backup")
    followctl(srv, "backup", backup)
    srv.query()  # sign before the clock starts, so the storm is only HTTP
    for rnd in range(ROUNDS):
        srv.stop()
        followctl(srv, "restore", backup)
        srv.start(wait_ready=False)
        results = [None] * CALLS
        gate = threading.Barrier(CALLS)

        def one(i):
            gate.wait()
            results[i] = call_once(srv, "follow/follow_check",
                                   {"From_Account": "ss_a", "To_Account": ["ss_b"]})

        threads = [threading.Thread(target=one, args=(i,)) for i in range(CALLS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(CALL_TIMEOUT + 10)
        bad = [r for r in results
               if r is None or r[0] != 200 or not r[1] or r[1].get("ErrorCode") != OK
               or r[1]["ResultItem"][0].get("FollowType") != 2]
        check(not bad, None, "round %d: %d of %d calls failed, e.g. %r\n%s"
              % (rnd, len(bad), CALLS, bad[:3], srv.log_tail(20)))


def test_killed_worker_costs_only_its_request(srv):
    srv.import_accounts(["kw_a", "kw_b"])
    srv.must_add("kw_a", ["kw_b"])
    statuses, lock, stop = {}, threading.Lock(), threading.Event()

    def client():
        conn = None
        while not stop.is_set():
            conn = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=CALL_TIMEOUT)
            try:
                conn.request("POST", "/v4/follow/follow_check?" + srv.query(),
                             json.dumps({"From_Account": "kw_a", "To_Account": ["kw_b"]}).encode())
                resp = conn.getresponse()
                data = resp.read()
                key = resp.status
                if key == 200:
                    key = (200, json.loads(data).get("ErrorCode"))
            except (OSError, http.client.HTTPException, ValueError) as e:
                key = type(e).__name__
                conn.close()
                conn = None
            with lock:
                statuses[key] = statuses.get(key, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    rnd, kills = random.Random(5), 0
    try:
        for _ in range(KILLS):
            time.sleep(0.3)
            # All replaced? (A recovery can also make stuck workers exit a moment later.)
            deadline = time.time() + 10
            while len(fcgi_children(srv, "worker")) < PROCS and time.time() < deadline:
                time.sleep(0.02)
            workers = fcgi_children(srv, "worker")
            check(len(workers) == PROCS, None, "%d workers 10 s after the last kill, not %d"
                  % (len(workers), PROCS))
            os.kill(rnd.choice(workers), signal.SIGKILL)
            kills += 1
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(CALL_TIMEOUT + 5)
    # A kill can also leave other workers stuck on a lock the dead one held; once the
    # replacement's recovery shows, each answers its call 30006 ("retry") and exits.
    lost = sum(n for k, n in statuses.items() if not isinstance(k, tuple))
    odd = {k: n for k, n in statuses.items() if isinstance(k, tuple) and k[1] not in (OK, INTERNAL_ERROR)}
    print("  %d kills; answers %r" % (kills, statuses))
    check(statuses.get((200, OK), 0) > 100, None, "too few calls answered: %r" % statuses)
    check(503 not in statuses, None, "lighttpd answered 503: %r" % statuses)
    check(not odd, None, "answers other than OK and 30006: %r" % odd)
    check(lost <= kills, None, "%d calls got no answer for %d kills: %r" % (lost, kills, statuses))


if __name__ == "__main__":
    run_tests(globals(), procs=PROCS)
