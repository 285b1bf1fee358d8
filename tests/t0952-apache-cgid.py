#!/usr/bin/env python3
"""follow.fcgi as plain CGI under Apache 2.4's mod_cgid (conf/hosting/apache-cgid.conf): every
API family, the errors the service answers itself (bodies over max_body_bytes included: the
program reads a refused body to its end, since mod_cgid drops the answer of a program that exits
before taking the whole body), and many processes at once."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from apache import CgidServer  # noqa: E402
from hostchecks import check_console_files, check_errors, check_every_family, check_simultaneous  # noqa: E402


def test_every_family(srv):
    check_every_family(srv, "cd_")


def test_console_files(srv):
    check_console_files(srv)


def test_errors(srv):
    check_errors(srv)


def test_many_processes_at_once(srv):
    check_simultaneous(srv, "cs_", 32)


if __name__ == "__main__":
    run_tests(globals(), server_class=CgidServer)
