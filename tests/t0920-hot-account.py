#!/usr/bin/env python3
"""A hot account: 8 FastCGI processes and 32 parallel clients, each following and unfollowing
one celebrity (and being followed back). Deadlocks are retried inside: every call answers OK.
Afterwards counters equal lists, and followctl verify passes."""
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from crashload import verify  # noqa: E402

CLIENTS, CALLS = 32, int(os.environ.get("CALLS", "150"))
STAR = "hot_star"


def test_everyone_follows_the_celebrity(srv):
    fans = ["hot_%02d" % i for i in range(CLIENTS)]
    srv.import_accounts([STAR] + fans)
    bad, lock = [], threading.Lock()

    def client(i):
        rnd = random.Random(i)
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        for _ in range(CALLS):
            frm, to = (fans[i], STAR) if rnd.random() < 0.8 else (STAR, fans[i])
            if rnd.random() < 0.6:
                path, body = "follow/follow_add", {"From_Account": frm, "FollowItem": [{"To_Account": to}]}
            else:
                path, body = "follow/follow_delete", {"From_Account": frm, "To_Account": [to]}
            c.request("POST", "/v4/%s?%s" % (path, srv.query()), json.dumps(body))
            r = json.loads(c.getresponse().read())
            if r.get("ErrorCode") != OK or r["ResultItem"][0]["ResultCode"] != OK:
                with lock:
                    bad.append(r)
        c.close()

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("  %d calls by %d clients through 8 processes in %.1fs" % (CLIENTS * CALLS, CLIENTS,
                                                                    time.time() - t0))
    check(not bad, None, "%d calls did not answer OK, e.g. %r" % (len(bad), bad[:3]))
    star_fans = srv.list_ids(STAR, FANS)
    star_following = srv.list_ids(STAR, FOLLOWING)
    expect_eq(srv.counts(STAR), (len(star_fans), len(star_following),
                                 len(set(star_fans) & set(star_following))), None, "star counters")
    for f in fans:
        fi, fo, mu = (srv.list_ids(f, k) for k in (FANS, FOLLOWING, MUTUAL))
        expect_eq(srv.counts(f), (len(fi), len(fo), len(mu)), None, "%s counters" % f)
        expect_eq(f in star_fans, STAR in fo, None, "%s in the star's fans iff it follows" % f)
    verify(srv)


if __name__ == "__main__":
    run_tests(globals(), procs=8)
