#!/usr/bin/env python3
"""Benchmark set-up: imports N fan accounts (with Nick and FaceUrl, unless --bare) and makes each
follow one star, over keep-alive HTTP from a few threads; then prints the StartCursor of the page
that starts at fan N-1000 (walked in pages of 1000), so the bench can time a page deep in the list.
usage: populate.py BASE_URL QUERY STAR N [--bare]"""
import http.client
import json
import sys
import threading
import urllib.parse

base, query, star, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
bare = sys.argv[5:] == ["--bare"]
prefix = "g" if bare else "f"  # fans of a bare star are other accounts, without profiles
host = urllib.parse.urlparse(base)


def post(conn, path, body):
    conn.request("POST", "/v4/%s?%s" % (path, query), json.dumps(body))
    r = json.loads(conn.getresponse().read())
    if r["ErrorCode"] != 0:
        sys.exit("populate: %s answered %r" % (path, r))
    return r


def conn():
    return http.client.HTTPConnection(host.hostname, host.port, timeout=60)


c = conn()
post(c, "im_open_login_svc/account_import", {"UserID": star})
for i in range(0, n, 100):
    # Every fan has a profile, so a follow_get page also reads 100 profiles by key.
    if bare:
        post(c, "im_open_login_svc/multiaccount_import",
             {"Accounts": ["%s%07d" % (prefix, j) for j in range(i, min(n, i + 100))]})
    else:
        post(c, "im_open_login_svc/multiaccount_import",
             {"AccountList": [{"UserID": "f%07d" % j, "Nick": "Fan number %d" % j,
                               "FaceUrl": "https://example.com/avatars/%d.png" % j}
                              for j in range(i, min(n, i + 100))]})


def follow(lo, hi):
    cc = conn()
    for j in range(lo, hi):
        post(cc, "follow/follow_add", {"From_Account": "%s%07d" % (prefix, j), "FollowItem": [{"To_Account": star}]})


step = (n + 3) // 4
threads = [threading.Thread(target=follow, args=(k, min(n, k + step))) for k in range(0, n, step)]
for t in threads:
    t.start()
for t in threads:
    t.join()

c = conn()  # the first connection sat idle past lighttpd's keep-alive while threads worked
cursor, seen = "", 0
while seen < n - 1000:
    r = post(c, "follow/follow_get", {"From_Account": star, "FollowType": 1, "StartCursor": cursor,
                                      "WantNum": 1000})
    seen += len(r["FollowItem"])
    cursor = r["NextCursor"]
print(cursor)
