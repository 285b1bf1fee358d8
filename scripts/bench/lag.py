#!/usr/bin/env python3
"""Replica lag under write load: adds a fresh follow through the master, then asks a replica
until it answers it, N times; prints the p50 and p99 of the delay in milliseconds.
usage: lag.py MASTER_URL REPLICA_URL QUERY N"""
import json
import sys
import time
import urllib.request


def call(base, query, path, body):
    req = urllib.request.Request("%s/v4/%s?%s" % (base, path, query), json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def main():
    master, replica, query, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ids = ["lag"] + ["lag%d" % i for i in range(n)]
    for k in range(0, len(ids), 100):  # the most one import takes
        r = call(master, query, "im_open_login_svc/multiaccount_import",
                 {"AccountList": [{"UserID": u} for u in ids[k:k + 100]]})
        if r.get("ErrorCode") != 0:
            sys.exit("lag.py: import failed: %r" % r)
    lags = []
    for i in range(n):
        to = "lag%d" % i
        r = call(master, query, "follow/follow_add",
                 {"From_Account": "lag", "FollowItem": [{"To_Account": to}]})
        if r.get("ErrorCode") != 0:
            continue  # not acknowledged: nothing to wait for
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10:
            r = call(replica, query, "follow/follow_check",
                     {"From_Account": "lag", "To_Account": [to]})
            if r.get("ResultItem") and r["ResultItem"][0].get("FollowType") in (2, 3):
                lags.append((time.monotonic() - t0) * 1000)
                break
    lags.sort()
    if not lags:
        print("nan nan 0")
        return
    print("%.2f %.2f %d" % (lags[len(lags) // 2], lags[min(len(lags) - 1, len(lags) * 99 // 100)],
                            len(lags)))


main()
