#!/usr/bin/env python3
"""follow.fcgi as plain CGI under lighttpd's mod_cgi (conf/hosting/lighttpd-cgi.conf): one process
per call. Every family and the errors work; a FastCGI worker and a CGI process on the same data
answer the same bytes for the suite's core calls; many CGI processes open and close the
environment at once; SIGKILLed CGI processes (a server's timeout) lose nothing acknowledged; an
open that stays blocked answers 30006, not the server's 500; and so does a call left waiting on
the lock of a process killed after it started."""
import fcntl
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from cgihost import LighttpdCgiServer, cgi_program  # noqa: E402
from crashload import check_state, kill_workers, run_load  # noqa: E402
from hostchecks import check_simultaneous  # noqa: E402

KILL_SECONDS = float(os.environ.get("KILL_SECONDS", "6"))


def test_every_family(srv):
    srv.import_accounts(["cg_a", "cg_b"])
    expect_results(srv.follow_add("cg_a", ["cg_b", "cg_a", "cg_nobody"]), "ResultItem",
                   [("cg_b", OK), ("cg_a", INVALID_PARAMS), ("cg_nobody", NOT_IMPORTED)])
    expect_results(srv.follow_check("cg_b", ["cg_a"]), "ResultItem",
                   [("cg_a", OK, {"FollowType": 1})], keys=CHECK_KEYS)
    r = srv.call("profile/portrait_set", {"From_Account": "cg_a",
                                          "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick",
                                                           "Value": "Ann"}]})
    expect_ok(r)
    r = srv.follow_get("cg_b", FANS)
    expect_get_page(r, want=100)
    expect_eq([it["To_Account"] for it in r["FollowItem"]], ["cg_a"], r, "fans of cg_b")


def test_errors_before_the_body(srv):
    expect_fail(srv.call("follow/nope", {}), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/follow_check", None, method="GET"), METHOD_NOT_POST)
    expect_fail(srv.call("follow/follow_check", b"x" * (1024 * 1024 + 1)), HTTP_PARSE_ERROR)
    expect_fail(srv.call("follow/follow_check", {}, query_overrides={"sdkappid": None}),
                SDKAPPID_MISSING)
    expect_fail(srv.call("follow/follow_check", b"{"), INVALID_JSON)


# The suite's core calls, each sent twice in a row (first to FastCGI, then to CGI): every one
# answers the same the second time (a repeated follow_add is "already following", ResultCode 0),
# so the two answers must be the same bytes.
SAME = [
    ("im_open_login_svc/multiaccount_import", {"AccountList": ["bb_a", "bb_b", "bb_c"]}),
    ("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "bb_a"}, {"UserID": "bb_x"}]}),
    ("follow/follow_add", {"From_Account": "bb_a",
                           "FollowItem": [{"To_Account": "bb_b"}, {"To_Account": "bb_x"}]}),
    ("follow/follow_add", {"From_Account": "bb_b", "FollowItem": [{"To_Account": "bb_a"}]}),
    ("follow/follow_check", {"From_Account": "bb_a", "To_Account": ["bb_b", "bb_c", "bb_x"]}),
    ("follow/follow_get", {"From_Account": "bb_a", "FollowType": 3, "WantNum": 10}),
    ("follow/follow_get", {"From_Account": "bb_b", "FollowType": 1, "WantNum": 1,
                           "StartCursor": "bogus"}),
    ("follow/follow_get_info", {"From_Account": "bb_a", "To_Account": ["bb_a", "bb_b", "bb_x"]}),
    ("profile/portrait_set", {"From_Account": "bb_c",
                              "ProfileItem": [{"Tag": "Tag_Profile_IM_Nick", "Value": "Cé"}]}),
    ("profile/portrait_get", {"To_Account": ["bb_c", "bb_x"],
                              "TagList": ["Tag_Profile_IM_Nick"]}),
    ("follow/follow_delete", {"From_Account": "bb_c", "To_Account": ["bb_a"]}),
    ("im_open_login_svc/account_delete", {"DeleteItem": [{"UserID": "bb_zz"}]}),
    ("follow/nope", {}),
    ("follow/follow_check", b"{"),
    ("follow/follow_check", b'{"From_Account":"bb_a","From_Account":"bb_b"}'),
    ("follow/follow_check", b"x" * (1024 * 1024 + 1)),
    ("follow/follow_check", {"From_Account": "bb_a", "To_Account": []}),
]


def raw(host, path, body, **kw):
    r = host.call(path, body, **kw)
    return (r.status, r.content_type, r.raw)


def test_same_bytes_as_fastcgi(srv):
    data = os.path.join(srv.rundir, "data")
    with Server(procs=1, data_dir=data) as fcgi:
        for path, body in SAME:
            a, b = raw(fcgi, path, body), raw(srv, path, body)
            check(a == b, None, "%s %r: FastCGI answered\n  %r\nCGI answered\n  %r"
                  % (path, body[:80] if isinstance(body, bytes) else body, a, b))
        for q in ({"usersig": "bogus"}, {"identifier": "nobody_admin"}, {"sdkappid": "1"},
                  {"contenttype": "xml"}):
            a = raw(fcgi, "follow/follow_check", {}, query_overrides=q)
            b = raw(srv, "follow/follow_check", {}, query_overrides=q)
            check(a == b, None, "query %r: FastCGI %r, CGI %r" % (q, a, b))
        a = raw(fcgi, "follow/follow_check", None, method="GET")
        b = raw(srv, "follow/follow_check", None, method="GET")
        check(a == b, None, "GET: FastCGI %r, CGI %r" % (a, b))


def test_many_processes_at_once(srv):
    """64 calls at the same moment: 64 processes open and close the environment together."""
    check_simultaneous(srv, "st_", 64)


def test_run_by_hand_without_recovery(srv):
    """The program run by hand with the CGI variables set and a signed body on stdin answers on
    stdout, exits 0, and on a healthy environment never runs recovery (FOLLOW_DB_VERBOSE=1 logs
    every registry decision and recovery)."""
    srv.import_accounts(["hd_a", "hd_b"])
    expect_results(srv.follow_add("hd_a", ["hd_b"]), "ResultItem", [("hd_b", OK)])
    body = json.dumps({"From_Account": "hd_a", "To_Account": ["hd_b"]}).encode()
    env = dict(os.environ, FOLLOW_CONF=srv.conf_path(), REQUEST_METHOD="POST",
               SCRIPT_NAME="/v4", PATH_INFO="/follow/follow_check", QUERY_STRING=srv.query(),
               CONTENT_LENGTH=str(len(body)), FOLLOW_DB_VERBOSE="1")
    for _ in range(20):
        p = subprocess.run([cgi_program(srv.rundir)], input=body, env=env, timeout=30,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        head, _, answer = p.stdout.partition(b"\r\n\r\n")
        check(p.returncode == 0 and head == b"Status: 200 OK\r\n"
              b"Content-Type: application/json; charset=utf-8", None,
              "exit %d, output %r, log %r" % (p.returncode, p.stdout[:300], p.stderr[-500:]))
        r = json.loads(answer)
        check(r["ResultItem"][0]["FollowType"] == 2, r, "follow_check answered on stdout")
        check(b"register environment" in p.stderr, None,
              "FOLLOW_DB_VERBOSE logged nothing: %r" % p.stderr[-500:])
        check(b"recover" not in p.stderr.lower(), None,
              "a CGI process ran recovery on a healthy environment:\n%s"
              % p.stderr.decode("utf-8", "replace")[-2000:])


def test_blocked_open_answers_an_envelope(srv):
    """An open that stays blocked holding the open lock gives up after its bound (3 s,
    src/store/holdwatch.c) so that the next process can recover: the call it carried gets 30006
    and "please retry", HTTP 200, never the web server's 500. In life it blocks on a mutex a
    killed process held; here the test holds the lock of Berkeley DB's registry that every open
    takes. Once the test lets go, calls answer again."""
    srv.import_accounts(["bo_a", "bo_b"])
    expect_results(srv.follow_add("bo_a", ["bo_b"]), "ResultItem", [("bo_b", OK)])
    fd = os.open(os.path.join(srv.rundir, "data", "__db.register"), os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX, 1, 1)  # the byte Berkeley DB's opens lock (F_SETLKW)
        t0 = time.time()
        r = srv.follow_check("bo_a", ["bo_b"])
        took = time.time() - t0
        expect_fail(r, INTERNAL_ERROR)
        check("please retry" in r["ErrorInfo"], r, "the envelope says to retry")
        print("  a blocked open answered 30006 after %.1f s" % took)
    finally:
        os.close(fd)  # drops the lock
    expect_results(srv.follow_check("bo_a", ["bo_b"]), "ResultItem",
                   [("bo_b", OK, {"FollowType": 2})], keys=CHECK_KEYS)


def test_call_behind_a_killed_process_answers(srv):
    """A CGI process killed while another call waits on its lock is replaced by nobody: only
    the next call's open would recover after it. The waiting call answers 30006 and "please
    retry" once it has run 2 s (CGI_BLOCKED_TICKS, src/bin/follow_fcgi.c) with a dead process in
    the registry, not at the web server's timeout; the next call recovers and works. The lock is
    held by tests/helpers/hold_lock.c, which opens the store as the service does."""
    srv.import_accounts(["kb_a", "kb_b"])
    helper = subprocess.Popen([os.path.join(ROOT, "build", "helpers", "hold_lock"),
                               srv.conf_path(), "kb_a"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result = {}

    def call():
        t0 = time.time()
        result["r"] = srv.follow_add("kb_a", ["kb_b"])
        result["took"] = time.time() - t0

    try:
        line = helper.stdout.readline().strip()
        check(line == "held", None, "the helper should hold kb_a's record: %r %r"
              % (line, helper.stderr.read() if helper.poll() is not None else ""))
        th = threading.Thread(target=call)
        th.start()
        time.sleep(0.5)
        check(th.is_alive(), result.get("r"), "the call should wait on the helper's lock")
        helper.kill()
        helper.wait()
        th.join(15)
        check(not th.is_alive(), None, "the call still waits 15 s after the kill")
    finally:
        if helper.poll() is None:
            helper.kill()
            helper.wait()
    r = result["r"]
    expect_fail(r, INTERNAL_ERROR)
    check("please retry" in r["ErrorInfo"], r, "the envelope says to retry")
    print("  a call behind a killed process answered 30006 after %.1f s" % result["took"])
    expect_results(srv.follow_add("kb_a", ["kb_b"]), "ResultItem", [("kb_b", OK)])
    expect_results(srv.follow_check("kb_a", ["kb_b"]), "ResultItem",
                   [("kb_b", OK, {"FollowType": 2})], keys=CHECK_KEYS)


def test_killed_processes_lose_nothing(srv):
    known, kills = run_load(srv, KILL_SECONDS, kill_workers)
    check(len(kills) >= KILL_SECONDS, None, "the killer did not kill enough CGI processes")
    check_state(srv, known)


if __name__ == "__main__":
    run_tests(globals(), server_class=LighttpdCgiServer)
