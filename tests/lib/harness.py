"""Shared helpers for the HTTP tests of the follow service (Python 3 standard library only).

A test file does:

    import os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
    from harness import *

    def test_something(srv):
        r = srv.call("follow/follow_check", {...})
        expect_ok(r, ["ResultItem"])

    if __name__ == "__main__":
        run_tests(globals(), max_following=3)     # config overrides, procs=2 by default

run_tests starts one server (fresh data dir) for the file, runs every test_* function in file order,
prints ok/FAIL per function and exits non-zero when one failed. TESTS=name1,name2 runs only those.
Set KEEP=1 to keep the temporary run directory (config, data, error.log) for inspection.

`from harness import *` gives every public name of the modules it is made of:
    codes    the ErrorCode / ResultCode values (OK, INVALID_PARAMS, NOT_IMPORTED, ...)
    checks   assertions: expect_ok, expect_fail, expect_results, expect_get_page, Failures, ...
    client   the HTTP client and API shortcuts (srv.call, srv.follow_add, srv.get_all, ...),
             UserSigs (usersig, tencent_usersigs), SDKAPPID / SECRET_KEY / ADMIN, FANS / ...
    server   Server (lighttpd + follow.fcgi: start, stop, kill, restart, logs), free_port,
             write_private (a config file of mode 0600)
and, from here, run_tests and in_threads.
"""

import inspect
import os
import sys
import threading
import time
import traceback

from checks import *  # noqa: F401,F403
from client import *  # noqa: F401,F403
from codes import *  # noqa: F401,F403
from server import *  # noqa: F401,F403
from server import Server


def in_threads(fns):
    """Calls each of the callables `fns` in a thread of its own, waits for them all, then raises
    the first exception one of them raised (the others run to their end)."""
    errors = []

    def run(fn):
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - raised again in the calling thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(fn,)) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def run_tests(namespace_or_tests, **server_kwargs):
    """Runs the test_* functions (in definition order) against one fresh server; exits 0/1."""
    if isinstance(namespace_or_tests, dict):
        tests = [f for n, f in namespace_or_tests.items()
                 if n.startswith("test_") and callable(f)]
        tests.sort(key=lambda f: inspect.getsourcelines(f)[1])
    else:
        tests = list(namespace_or_tests)
    only = os.environ.get("TESTS")
    if only:
        names = set(only.split(","))
        tests = [t for t in tests if t.__name__ in names]
    name = os.path.basename(sys.argv[0])
    failed = []
    t_start = time.time()
    try:
        server_class = server_kwargs.pop("server_class", Server)
        with server_class(**server_kwargs) as srv:
            for t in tests:
                t0 = time.time()
                try:
                    t(srv)
                    print("  ok   %-45s %.2fs" % (t.__name__, time.time() - t0))
                except Exception:  # noqa: BLE001
                    failed.append(t.__name__)
                    print("  FAIL %-45s %.2fs" % (t.__name__, time.time() - t0))
                    print("\n".join("       " + line
                                    for line in traceback.format_exc().rstrip().splitlines()))
                sys.stdout.flush()
            if failed:
                srv.keep = True
                srv.print_log_tail(20)
    except Exception:  # noqa: BLE001 - the server did not start or stop
        traceback.print_exc()
        failed.append("(server)")
    print("%s: %d tests, %d failed%s (%.1fs)" % (name, len(tests), len(failed),
                                                 (": " + ", ".join(failed)) if failed else "",
                                                 time.time() - t_start))
    sys.stdout.flush()
    sys.exit(1 if failed else 0)
