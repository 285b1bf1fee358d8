#!/usr/bin/env python3
"""make bench-scale's walk: every fan of STAR through follow_get at WantNum 1000 over one
keep-alive connection, then the cost of the first page beside the page at position DEEP.
Prints: items, seconds, items/s, first-page ms, deep-page ms, their ratio.
usage: walk.py BASE_URL QUERY STAR DEEP"""
import http.client
import re
import sys
import time
import urllib.parse

base, query, star, deep = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
url = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
path = "/v4/follow/follow_get?" + query
# A full JSON parse of each 100 KB page would cost the client more than the server; the walk
# needs only the cursor and the item count.
cursor_re = re.compile(rb'"NextCursor":"([^"]*)"')
WANT = 1000
TIMED_PAGES = 50  # each of the two pages compared, fetched this many times (median taken)


def page(cursor):
    body = '{"From_Account":"%s","FollowType":1,"StartCursor":"%s","WantNum":%d}' % (
        star, cursor, WANT)
    conn.request("POST", path, body, {"Content-Type": "application/json"})
    data = conn.getresponse().read()
    if b'"ErrorCode":0,' not in data:
        sys.exit("walk: follow_get answered %r" % data[:300])
    m = cursor_re.search(data)
    return data.count(b'"To_Account"'), m.group(1).decode() if m else ""


items, cursor, deep_cursor = 0, "", None
t0 = time.monotonic()
while True:
    if items == deep:
        deep_cursor = cursor
    n, cursor = page(cursor)
    items += n
    if not cursor:
        break
    if items % 100000 == 0 and sys.stderr.isatty():  # followctl's progress line, redrawn
        print("\r\033[Kwalk: %d items, %.0f/s" % (items, items / (time.monotonic() - t0)),
              end="", file=sys.stderr, flush=True)
seconds = time.monotonic() - t0
if sys.stderr.isatty():
    print("\r\033[K", end="", file=sys.stderr, flush=True)
if deep_cursor is None:
    sys.exit("walk: the list has no page starting at %d (it holds %d)" % (deep, items))


def median_ms(cursor):
    times = []
    for _ in range(TIMED_PAGES):
        t = time.monotonic()
        page(cursor)
        times.append(time.monotonic() - t)
    times.sort()
    return 1000 * times[len(times) // 2]


# Interleaved, so that a slower moment of a shared machine does not land on one of them.
first, deeper = [], []
for _ in range(5):
    first.append(median_ms(""))
    deeper.append(median_ms(deep_cursor))
f, d = sorted(first)[2], sorted(deeper)[2]
print("%d %.2f %.0f %.2f %.2f %.2f" % (items, seconds, items / seconds, f, d, d / f))
