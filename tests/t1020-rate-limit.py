#!/usr/bin/env python3
"""rate_limit: calls per second per API for the whole app, across all FastCGI processes."""
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

LIMIT = 20


def burst(srv, path, body, n, conns=8):
    """n calls over `conns` parallel connections, all inside one wall-clock second; returns
    the list of ErrorCodes, or None when the burst crossed a second boundary."""
    while not 0.05 < time.time() % 1 < 0.2:  # start just after a second begins
        time.sleep(0.005)
    start = int(time.time())
    codes, lock = [], threading.Lock()

    def worker(k):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        for _ in range(k):
            c.request("POST", "/v4/%s?%s" % (path, srv.query()), json.dumps(body))
            r = json.loads(c.getresponse().read())
            with lock:
                codes.append(r["ErrorCode"])
        c.close()

    threads = [threading.Thread(target=worker, args=(n // conns,)) for _ in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes if int(time.time()) == start else None


def test_limit_holds_across_processes(srv):
    srv.import_accounts(["rl_a", "rl_b"])
    body = {"From_Account": "rl_a", "To_Account": ["rl_b"]}
    for _ in range(5):
        codes = burst(srv, "follow/follow_check", body, 200)
        if codes is not None:
            break
    else:
        raise TestFailure("no burst fitted in one second")
    ok, limited = codes.count(OK), codes.count(RATE_LIMITED)
    print("  200 calls in one second through 4 processes: %d OK, %d answered 60007" % (ok, limited))
    expect_eq(ok, LIMIT, None, "calls allowed in one second (per process counting would allow more)")
    expect_eq(ok + limited, 200, None, "every other call is 60007")


def test_limit_is_per_api_and_per_second(srv):
    time.sleep(1.1)
    r = srv.call("follow/follow_check", {"From_Account": "rl_a", "To_Account": ["rl_b"]})
    expect_ok(r, ["ResultItem"])
    codes = burst(srv, "follow/follow_get_info", {"From_Account": "rl_a", "To_Account": ["rl_b"]}, 40, 4)
    if codes is not None:
        expect_eq(codes.count(OK), LIMIT, None, "another API has its own budget")


def test_60007_envelope(srv):
    codes = None
    while codes is None:
        codes = burst(srv, "im_open_login_svc/account_check", {"CheckItem": [{"UserID": "rl_a"}]}, 40, 2)
    r = srv.account_check(["rl_a"])
    if r["ErrorCode"] != OK:
        expect_fail(r, RATE_LIMITED, "account_check")


if __name__ == "__main__":
    run_tests(globals(), procs=4, rate_limit=LIMIT)
