#!/usr/bin/env python3
"""Workers killed under load: while 12 clients follow and unfollow one hot account through 3
FastCGI processes, a killer SIGKILLs a random follow.fcgi every half second. No call may hang
(a killed worker's locks must not block the others), and afterwards every change a client saw
acknowledged is there, and counters equal list lengths."""
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

STAR = "kw_star"
THREADS, FANS_EACH = 12, 6
SECONDS = float(os.environ.get("KILL_SECONDS", "12"))
CALL_TIMEOUT = 20  # a call that takes longer is a hang


def fan(t, i):
    return "kw_f%02d_%d" % (t, i)


def post(conn, srv, path, body):
    """One call; returns the parsed JSON on HTTP 200, None on any transport error or other status
    (a killed worker's request: its outcome is unknown to the client)."""
    try:
        conn.request("POST", "/v4/%s?%s" % (path, srv.query()), json.dumps(body).encode(),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            return None
        return json.loads(data)
    except (OSError, http.client.HTTPException, ValueError):
        conn.close()
        return None


def client(srv, t, deadline, known, stats, errors):
    rnd = random.Random(t)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=CALL_TIMEOUT)
    while time.time() < deadline:
        f = fan(t, rnd.randrange(FANS_EACH))
        # Each edge is written by one client only, so its last acknowledged state is known.
        frm, to = (f, STAR) if rnd.random() < 0.7 else (STAR, f)
        add = rnd.random() < 0.55
        t0 = time.time()
        if add:
            r = post(conn, srv, "follow/follow_add", {"From_Account": frm, "FollowItem": [{"To_Account": to}]})
        else:
            r = post(conn, srv, "follow/follow_delete", {"From_Account": frm, "To_Account": [to]})
        took = time.time() - t0
        if took >= CALL_TIMEOUT - 1:
            errors.append("a call took %.1fs (hang)" % took)
        if r is None:
            stats["lost"] += 1
            known[(frm, to)] = None  # unknown until the next acknowledged call
            continue
        if r.get("ErrorCode") == 0 and r["ResultItem"][0]["ResultCode"] == 0:
            stats["ok"] += 1
            known[(frm, to)] = add
        elif r.get("ErrorCode") == 30006:
            stats["busy"] += 1
            known[(frm, to)] = None
        else:
            errors.append("unexpected answer: %r" % (r,))


def fcgi_children(lighttpd_pid):
    out = subprocess.run(["pgrep", "-P", str(lighttpd_pid), "-f", "follow.fcgi"],
                         stdout=subprocess.PIPE, text=True).stdout
    return [int(p) for p in out.split()]


def killer(srv, deadline, kills):
    rnd = random.Random(99)
    while time.time() < deadline:
        time.sleep(rnd.uniform(0.3, 0.7))
        pids = fcgi_children(srv.proc.pid)
        if pids:
            try:
                os.kill(rnd.choice(pids), signal.SIGKILL)
                kills.append(1)
            except ProcessLookupError:
                pass


def test_kill_workers_under_load(srv):
    srv.import_accounts([STAR] + [fan(t, i) for t in range(THREADS) for i in range(FANS_EACH)])
    known, stats, errors, kills = {}, {"ok": 0, "lost": 0, "busy": 0}, [], []
    deadline = time.time() + SECONDS
    threads = [threading.Thread(target=client, args=(srv, t, deadline, known, stats, errors))
               for t in range(THREADS)]
    threads.append(threading.Thread(target=killer, args=(srv, deadline, kills)))
    for th in threads:
        th.start()
    for th in threads:
        th.join(SECONDS + 3 * CALL_TIMEOUT)
        check(not th.is_alive(), None, "a client is still blocked: the service hangs")
    print("  %d kills; %d acknowledged, %d lost with their worker, %d answered 30006"
          % (len(kills), stats["ok"], stats["lost"], stats["busy"]))
    check(not errors, None, "\n".join(errors[:10]))
    check(len(kills) >= SECONDS, None, "the killer did not kill enough workers")
    check(stats["ok"] > 100, None, "too few calls acknowledged: %r" % stats)

    # Workers killed at the very end may still be recovering: wait until answers are steady.
    conn, steady, until = None, 0, time.time() + 60
    while steady < 30 and time.time() < until:
        conn = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=CALL_TIMEOUT)
        r = post(conn, srv, "follow/follow_check", {"From_Account": STAR, "To_Account": [STAR]})
        steady = steady + 1 if r and r.get("ErrorCode") == 0 else 0
        if not r:
            conn = None
            time.sleep(0.1)
    check(steady >= 30, None, "the service did not come back after the kills")

    # Every acknowledged change is there.
    for (frm, to), state in sorted(known.items()):
        if state is None:
            continue
        got = srv.follow_type(frm, to)
        check(bool(got & 2) == state, None,
              "%s -> %s was acknowledged as %s, FollowType is now %d"
              % (frm, to, "followed" if state else "unfollowed", got))
    # Counters equal lists for everyone.
    for acct in [STAR] + [fan(t, i) for t in range(THREADS) for i in range(FANS_EACH)]:
        fans, following, mutual = (srv.list_ids(acct, k) for k in (FANS, FOLLOWING, MUTUAL))
        expect_eq(srv.counts(acct), (len(fans), len(following), len(mutual)), None,
                  "%s counters vs lists" % acct)
        expect_eq(sorted(mutual), sorted(set(fans) & set(following)), None, "%s mutual" % acct)


if __name__ == "__main__":
    run_tests(globals(), procs=3)
