#!/usr/bin/env python3
"""Crashes under load, durability = write: while 12 clients follow and unfollow one hot account
through 3 FastCGI processes, (1) a random FastCGI process is SIGKILLed every ~0.5 s, then (2)
lighttpd with every child is SIGKILLed and restarted every ~1 s. No call may hang, every change
a client saw acknowledged survives, counters equal lists, and followctl verify passes."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from crashload import check_state, kill_service, kill_workers, run_load  # noqa: E402

SECONDS = float(os.environ.get("KILL_SECONDS", "10"))


def test_kill_workers_under_load(srv):
    known, kills = run_load(srv, SECONDS, kill_workers)
    check(len(kills) >= SECONDS, None, "the killer did not kill enough workers")
    check_state(srv, known)


def test_kill_whole_service_under_load(srv):
    known, kills = run_load(srv, SECONDS, kill_service)
    check(len(kills) >= 3, None, "the service was not killed often enough")
    check_state(srv, known)


if __name__ == "__main__":
    run_tests(globals(), procs=3, durability=os.environ.get("DURABILITY", "write"))
