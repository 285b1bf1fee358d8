#!/usr/bin/env python3
"""GET /metrics: the Prometheus text format, counts that add up across 4 processes, promtool's
check, and metrics_allow refusing an address (127.0.0.2, bound by the test)."""
import http.client
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

PROCS = 4  # FastCGI workers
SERIES = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def scrape(srv, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30, source_address=(source, 0))
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def series(text):
    """{(name, labels): value} of every sample line."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SERIES.match(line)
        if not m:
            raise TestFailure("not a sample line: %r" % line)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def delta(before, after, name, labels):
    return after.get((name, labels), 0) - before.get((name, labels), 0)


def scrape_once_started(srv, workers=PROCS, seconds=20):
    """A scrape once all the workers have started. multiwatch starts them together, but each
    opens the store in turn: under the sanitizer build the last one was still opening when 37
    calls had been answered by the other three (a clean-clone run saw 3 starts)."""
    deadline = time.time() + seconds
    while True:
        status, ctype, text = scrape(srv)
        starts = series(text).get(("follow_process_starts_total", '{role="worker"}'), 0)
        if starts >= workers or time.time() > deadline:
            return status, ctype, text
        time.sleep(0.05)


def test_counts_add_up_across_processes(srv):
    status, ctype, text = scrape_once_started(srv)
    expect_eq((status, ctype), (200, "text/plain; version=0.0.4"), "the scrape's status and type")
    before = series(text)
    srv.import_accounts(["mt_a", "mt_b", "mt_c"])  # one multiaccount_import
    calls = []
    # 8 threads at once: the 4 workers all take calls
    jobs = ([("follow/follow_check", {"From_Account": "mt_a", "To_Account": ["mt_b", "mt_none"]})] * 24 +
            [("follow/follow_add", {"From_Account": "mt_a", "FollowItem": [{"To_Account": "mt_c"}]})] * 8 +
            [("follow/nosuch", {})] * 5)
    lock = threading.Lock()

    def run(part):
        c = Client()
        c.port = srv.port
        for path, body in part:
            r = c.call(path, body)
            with lock:
                calls.append((path, r["ErrorCode"]))

    threads = [threading.Thread(target=run, args=(jobs[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    r = srv.call("follow/follow_check", {"From_Account": "mt_a", "To_Account": ["mt_b"]},
                 query_overrides={"usersig": "garbage"})
    expect_fail(r, SIG_UNDECODABLE)
    after = series(scrape(srv)[2])
    expect_eq(len(calls), 37, "calls made")
    want = {
        ('follow_requests_total', '{api="multiaccount_import",code="0"}'): 1,
        ('follow_requests_total', '{api="follow_check",code="0"}'): 24,
        ('follow_requests_total', '{api="follow_check",code="%d"}' % SIG_UNDECODABLE): 1,
        ('follow_requests_total', '{api="follow_add",code="0"}'): 8,
        ('follow_requests_total', '{api="unknown",code="%d"}' % UNKNOWN_COMMAND): 5,
        ('follow_results_total', '{api="follow_check",code="0"}'): 24,
        ('follow_results_total', '{api="follow_check",code="%d"}' % NOT_IMPORTED): 24,
        ('follow_results_total', '{api="follow_add",code="0"}'): 8,
        ('follow_request_duration_seconds_count', '{api="follow_check"}'): 25,
        ('follow_request_duration_seconds_bucket', '{api="follow_check",le="+Inf"}'): 25,
        ('follow_request_duration_seconds_count', '{api="follow_add"}'): 8,
    }
    for (name, labels), n in want.items():
        expect_eq(delta(before, after, name, labels), n, "%s%s" % (name, labels))
    changed = sorted(k for k in after if after[k] != before.get(k, 0) and
                     k[0] in ("follow_requests_total", "follow_results_total"))
    expect_eq(changed, sorted(k for k in want if k[0] in ("follow_requests_total",
                                                           "follow_results_total")),
              "no other request or result series moved")
    check(after[("follow_process_starts_total", '{role="worker"}')] >= PROCS, None,
          "four workers started: %r" % after.get(("follow_process_starts_total", '{role="worker"}')))
    check(after[("follow_process_starts_total", '{role="dispatcher"}')] >= 1, None, "a dispatcher")
    # Scrapes are not calls: five more move nothing.
    for _ in range(5):
        scrape(srv)
    again = series(scrape(srv)[2])
    for k in changed:
        expect_eq(again[k], after[k], "%s%s after scrapes" % k)


def test_promtool_accepts_the_output(srv):
    text = scrape(srv)[2]
    p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    expect_eq(p.returncode, 0, "promtool check metrics:\n" + p.stdout)
    s = series(text)
    for name in ("follow_webhook_pending", "follow_webhook_dead_letter", "follow_db_cache_hit_ratio",
                 "follow_db_deadlocks_total", "follow_db_txn_retries_total", "follow_db_log_bytes",
                 "follow_db_recoveries_total", "follow_webhook_delivery_seconds_count"):
        check((name, "") in s, None, "%s is in the output" % name)
    check(0 < s[("follow_db_cache_hit_ratio", "")] <= 1, None, "a hit ratio")
    check(s[("follow_db_log_bytes", "")] > 0, None, "the log takes room")


def test_an_address_outside_metrics_allow_gets_403(srv):
    status, _, text = scrape(srv, "127.0.0.2")
    expect_eq(status, 403, "a scrape from 127.0.0.2 with metrics_allow = 127.0.0.1: " + text)
    check("metrics_allow" in text and "127.0.0.2" in text, None, "says why: " + text)
    status, _, _ = scrape(srv, "127.0.0.1")
    expect_eq(status, 200, "127.0.0.1 is allowed")


if __name__ == "__main__":
    run_tests(globals(), procs=PROCS, metrics_allow="127.0.0.1, ::1")
