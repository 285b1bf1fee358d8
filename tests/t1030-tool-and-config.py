#!/usr/bin/env python3
"""cgi-bin/follow-usersig makes UserSigs the service accepts; the config file's checks: a bad
line stops start-up with its file and line, a config readable by others gets a warning, and the
secret key never appears in a response or the log."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

TOOL = os.path.join(ROOT, "cgi-bin", "follow-usersig")


def tool(*args, conf=None):
    return subprocess.run([TOOL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=dict(os.environ, FOLLOW_CONF=conf or ""))


def test_tool_sig_is_accepted(srv):
    t = tool("-c", srv.conf_path(), ADMIN)
    expect_eq(t.returncode, 0, None, "follow-usersig exit status: " + t.stderr)
    sig = t.stdout.strip()
    r = srv.account_check(["tl_a"], query_overrides={"usersig": sig})
    expect_ok(r, ["ResultItem"])
    # FOLLOW_CONF works like -c
    t = tool(ADMIN, "60", conf=srv.conf_path())
    r = srv.call("follow/follow_check", {"From_Account": "tl_a", "To_Account": ["tl_a"]},
                 query_overrides={"usersig": t.stdout.strip()})
    expect_fail(r, NOT_IMPORTED)  # authorised; tl_a is simply not imported


def test_tool_sig_for_non_admin_and_expired(srv):
    t = tool("-c", srv.conf_path(), "bob")
    check("not in admins" in t.stderr, None, "a note for non-admins: " + t.stderr)
    r = srv.call("follow/follow_check", {"From_Account": "a", "To_Account": ["b"]},
                 query_overrides={"identifier": "bob", "usersig": t.stdout.strip()})
    expect_fail(r, FOLLOW_NOT_ADMIN)


def test_tool_usage_errors(srv):
    for args in ([], ["--help"], ["-c", srv.conf_path()], ["a", "b", "c"], ["bad\x01id"],
                 ["-c", srv.conf_path(), ADMIN, "-5"], ["-c", srv.conf_path(), ADMIN, "x"]):
        t = tool(*args)
        expect_eq(t.returncode, 2, None, "exit status of follow-usersig %r" % (args,))
    t = tool("-c", "/nonexistent/follow.conf", ADMIN)
    expect_eq(t.returncode, 1, None, "a missing config")
    check("/nonexistent/follow.conf" in t.stderr, None, "names the file: " + t.stderr)


def test_bad_config_lines_are_named(srv):
    d = srv.rundir
    cases = [("nosuch = 1\n", "unknown key"), ("max_following = -3\n", "max_following"),
             ("durability = maybe\n", "durability"), ("just words\n", "key = value"),
             ("rate_limit = 1e3\n", "rate_limit")]
    for i, (line, words) in enumerate(cases):
        path = os.path.join(d, "bad%d.conf" % i)
        with open(srv.conf_path()) as f:
            write_private(path, f.read() + line)
        p = subprocess.run([FCGI, "--check-config", path], stderr=subprocess.PIPE, text=True)
        expect_eq(p.returncode, 1, None, "--check-config status for %r" % line)
        check("%s:" % path in p.stderr and words in p.stderr, None,
              "message should name file, line and problem: %r" % p.stderr)


def test_readable_config_warns_and_secret_stays_secret(srv):
    os.chmod(srv.conf_path(), 0o644)
    p = subprocess.run([FCGI, "--check-config", srv.conf_path()], stderr=subprocess.PIPE, text=True)
    check("chmod 600" in p.stderr, None, "a warning that says how to fix it: %r" % p.stderr)
    os.chmod(srv.conf_path(), 0o600)
    p = subprocess.run([FCGI, "--check-config", srv.conf_path()], stderr=subprocess.PIPE, text=True)
    expect_eq(p.stderr, "", None, "no warning for a private config")
    # errors of every kind, then the secret is nowhere in answers or the log
    answers = [srv.call("follow/follow_check", {}, query_overrides={"usersig": "garbage"}),
               srv.call("follow/follow_check", {}, query_overrides={"identifier": "bob"}),
               srv.call("follow/follow_check", b"{")]
    for r in answers:
        check(SECRET_KEY not in r.raw.decode(), r, "the secret key leaked into a response")
    log = srv.log_text()
    check(SECRET_KEY not in log, None, "the secret key is in the log")


if __name__ == "__main__":
    run_tests(globals())
