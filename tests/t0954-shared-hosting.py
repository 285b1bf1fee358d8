#!/usr/bin/env python3
"""Shared hosting as a user has it: an Apache vhost with AllowOverride All, and a user who copies
follow.fcgi, a follow.conf and the shipped conf/hosting/htaccess (as .htaccess) into a folder of
their web space. The API answers under that folder's URL, /~ann/api/v4/... (mod_userdir) or
/sub/v4/... (a subfolder), with mod_fcgid and with plain CGI; the config beside the program is
found without any server setting; the config, the data folder and .htaccess are never served."""
import http.client
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from apache import SharedHostServer  # noqa: E402
from hostchecks import check_every_family  # noqa: E402

HOSTS = [("fcgid", "userdir"), ("cgi", "subfolder"), ("fcgid", "subfolder"), ("cgi", "userdir")]
# mod_fcgid refuses a body over FcgidMaxRequestLen (131072 unless the host raised it, and
# .htaccess cannot) with its own HTTP 500; below it the service answers 60002 itself. The
# README tells shared-host users to keep max_body_bytes under it, as this test does.
MAX_BODY = 65536
FCGID_MAX_REQUEST_LEN = 131072


def get_status(srv, path):
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        return r.status, body
    finally:
        c.close()


def check_private_files(srv):
    """What holds the secret key or the data is refused over HTTP, whatever the URL spelling."""
    prefix = srv.app_url()
    data = os.path.join(srv.app_dir(), "data")
    check(os.path.exists(os.path.join(data, "accounts.db")), None,
          "the data folder beside the config (%s) is the one in use" % data)
    for name in ("follow.conf", "Follow.conf", "follow.conf/", ".htaccess", "data/",
                 "data/accounts.db", "data/open.lock", "data/log.0000000001", "data",
                 "%66ollow.conf", "v4/../follow.conf"):
        status, body = get_status(srv, prefix + name)
        check(status in (403, 404), None, "GET %s%s answered HTTP %d: %r"
              % (prefix, name, status, body[:200]))
        check(b"secret_key" not in body and b"5bd2850fff" not in body, None,
              "GET %s%s shows the secret key" % (prefix, name))


def check_errors(srv):
    expect_fail(srv.call("follow/nope", {}), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/follow_add/more", {}), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/follow_check", {}, method="GET"), METHOD_NOT_POST)
    expect_fail(srv.call("follow/follow_check", b"{"), INVALID_JSON)
    expect_fail(srv.call("follow/follow_check", {}, query_overrides={"usersig": "x"}),
                SIG_UNDECODABLE)
    expect_fail(srv.call("follow/follow_check", b"x" * (MAX_BODY + 1)), HTTP_PARSE_ERROR)
    big = b"x" * (8 * 1024 * 1024)
    if srv.handler == "cgi":
        expect_fail(srv.call("follow/follow_check", big), HTTP_PARSE_ERROR)
    else:
        r = None
        try:
            srv.call("follow/follow_check", big)
        except TestFailure as e:
            r = str(e)
        check(r is not None and "HTTP status 500" in r, None,
              "mod_fcgid answers a body over FcgidMaxRequestLen with its own HTTP 500: %r" % r)


def check_program_path(srv):
    """The program itself, named directly with the API path after it, answers the same."""
    r = srv.call(srv.app_url() + "follow.fcgi/v4/im_open_login_svc/account_check",
                 {"CheckItem": [{"UserID": "sh_a"}]})
    expect_results(r, "ResultItem", [("sh_a", OK, {"AccountStatus": "Imported"})],
                   keys=["UserID", "ResultCode", "ResultInfo", "AccountStatus"],
                   idkey_name="UserID")


def main():
    failed, t_start = [], time.time()
    for handler, place in HOSTS:
        name = "%s-%s" % (handler, place)
        t0 = time.time()
        try:
            with SharedHostServer(handler=handler, place=place, max_body_bytes=MAX_BODY) as srv:
                check_every_family(srv, "sh_")
                check_errors(srv)
                check_program_path(srv)
                check_private_files(srv)
            print("  ok   %-45s %.2fs" % (name, time.time() - t0))
        except Exception:  # noqa: BLE001
            failed.append(name)
            print("  FAIL %-45s %.2fs" % (name, time.time() - t0))
            print("\n".join("       " + line for line in traceback.format_exc().splitlines()))
        sys.stdout.flush()
    print("t0954-shared-hosting.py: %d hosts, %d failed%s (%.1fs)"
          % (len(HOSTS), len(failed), (": " + ", ".join(failed)) if failed else "",
             time.time() - t_start))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
