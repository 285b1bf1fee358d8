#!/usr/bin/env python3
"""The crash rounds of t0910 again with durability = sync (the log is flushed to disk at every
commit): the same promise, from the mode meant to survive power loss too."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from crashload import check_state, kill_service, kill_workers, run_load  # noqa: E402


def test_kill_workers_under_load(srv):
    known, _ = run_load(srv, 6, kill_workers)
    check_state(srv, known)


def test_kill_whole_service_under_load(srv):
    known, _ = run_load(srv, 6, kill_service)
    check_state(srv, known)


if __name__ == "__main__":
    run_tests(globals(), procs=3, durability="sync")
