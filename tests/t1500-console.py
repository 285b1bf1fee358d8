#!/usr/bin/env python3
"""The console page in headless chromium: signing with the key in the page, a follow_add and its
rendered answer with the codes explained, the account view's counts, cards, "More" and a card
that opens its account. Screenshots go to build/console/."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

SHOTS = os.path.join(ROOT, "build", "console")
STAR, FAN, FANS = "cs_star", "cs_fan", 15


def test_console_in_chromium(srv):
    subprocess.run(["sh", os.path.join(ROOT, "tests", "npm.sh")], check=True, timeout=300)
    # A FaceUrl on this server that does not exist: the card falls back to initials, and the
    # browser never leaves loopback.
    srv.call("im_open_login_svc/multiaccount_import", {"AccountList": [
        {"UserID": STAR, "Nick": "The Star"},
        {"UserID": FAN, "Nick": "Fan Account",
         "FaceUrl": "http://127.0.0.1:%d/console/no-such-avatar.png" % srv.port}] + [
        {"UserID": "cs_f%02d" % i, "Nick": "Fan %d" % i} for i in range(FANS)]})
    for i in range(FANS):
        srv.must_add("cs_f%02d" % i, [FAN])
    time.sleep(1.1)  # the console's follow is then the newest by its FollowTime (seconds)
    os.makedirs(SHOTS, exist_ok=True)
    env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "build", "npm", "node_modules"))
    p = subprocess.run(["node", os.path.join(ROOT, "tests", "lib", "console_check.js"),
                        "http://127.0.0.1:%d" % srv.port, str(SDKAPPID), ADMIN, SECRET_KEY, SHOTS,
                        STAR, FAN, str(FANS)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                       timeout=180)
    expect_eq((p.returncode, p.stdout.strip().splitlines()[-1:]), (0, ["ok"]),
              "the console in chromium:\n" + p.stdout[-3000:])
    for shot in ("console-call.png", "console-account.png", "console-star.png"):
        check(os.path.getsize(os.path.join(SHOTS, shot)) > 10000, None, shot + " was saved")
    # the page's follow_add went through the service like any call
    expect_eq(srv.follow_type(STAR, FAN), 2, "the console's follow is stored")


if __name__ == "__main__":
    run_tests(globals())
