"""What every host of the service must answer, whatever the web server and whether the program
runs as FastCGI or plain CGI: one call of each API family with exact answers, the errors the
service answers itself (HTTP 200 + JSON, oversized bodies included), and many calls at the same
moment."""

import threading

from checks import CHECK_KEYS, ENVELOPE, check, expect_fail, expect_get_page, expect_ok, \
    expect_results, profile_pairs
from client import FOLLOWING, Client
from codes import HTTP_PARSE_ERROR, INVALID_JSON, METHOD_NOT_POST, NOT_IMPORTED, OK, \
    UNKNOWN_COMMAND

__all__ = ["check_every_family", "check_errors", "check_simultaneous", "check_console_files"]


def check_every_family(srv, p):
    """One call of each API family through the web server, with exact answers: accounts
    (account_import with a non-ASCII Nick, account_check), follows (follow_add, follow_check,
    follow_get, whose item carries the Nick) and profiles (portrait_set, portrait_get). p
    prefixes the accounts."""
    a, b = p + "a", p + "b"
    nick = "B\u00e9a \u2713"  # the body reaches the service byte for byte
    for uid, body in ((a, {"UserID": a}), (b, {"UserID": b, "Nick": nick})):
        r = srv.call("im_open_login_svc/account_import", body)
        expect_ok(r)
        check(list(r.keys()) == ENVELOPE, r, "account_import answers the envelope only")
    expect_results(srv.account_check([a, p + "nobody", b]), "ResultItem",
                   [(a, OK, {"AccountStatus": "Imported"}),
                    (p + "nobody", OK, {"AccountStatus": "NotImported"}),
                    (b, OK, {"AccountStatus": "Imported"})],
                   keys=["UserID", "ResultCode", "ResultInfo", "AccountStatus"],
                   idkey_name="UserID")
    expect_results(srv.follow_add(a, [b, p + "nobody"]), "ResultItem",
                   [(b, OK), (p + "nobody", NOT_IMPORTED)])
    expect_results(srv.follow_check(a, [b]), "ResultItem", [(b, OK, {"FollowType": 2})],
                   keys=CHECK_KEYS)
    expect_results(srv.follow_check(b, [a]), "ResultItem", [(a, OK, {"FollowType": 1})],
                   keys=CHECK_KEYS)
    r = srv.follow_get(a, FOLLOWING)
    expect_get_page(r)
    check(r["NextCursor"] == "" and [it["To_Account"] for it in r["FollowItem"]] == [b], r,
          "%s follows exactly %s" % (a, b))
    check(profile_pairs(r, r["FollowItem"][0]["ProfileItem"], "FollowItem[0]")
          == [("Tag_Profile_IM_Nick", nick)], r, "the item carries %s's Nick" % b)
    r = srv.call("profile/portrait_set", {"From_Account": a, "ProfileItem": [
        {"Tag": "Tag_Profile_IM_Gender", "Value": "Gender_Type_Female"},
        {"Tag": "Tag_Profile_Custom_Hobby", "Value": "chess"}]})
    expect_ok(r)
    r = srv.call("profile/portrait_get", {"To_Account": [a, b], "TagList": [
        "Tag_Profile_IM_Nick", "Tag_Profile_IM_Gender", "Tag_Profile_Custom_Hobby"]})
    expect_results(r, "UserProfileItem", [(a, OK), (b, OK)],
                   keys=["To_Account", "ProfileItem", "ResultCode", "ResultInfo"])
    got = [profile_pairs(r, it["ProfileItem"], it["To_Account"]) for it in r["UserProfileItem"]]
    check(got == [[("Tag_Profile_IM_Gender", "Gender_Type_Female"),
                   ("Tag_Profile_Custom_Hobby", "chess")],
                  [("Tag_Profile_IM_Nick", nick)]], r, "the profiles just set")


def check_errors(srv):
    """Errors the service itself answers (HTTP 200 + JSON) through the web server: an unknown
    command, a GET, bad JSON, and bodies over max_body_bytes (1 MiB here: the front must not
    refuse them first), with a Content-Length or chunked."""
    expect_fail(srv.call("follow/nope", {}), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/follow_add/more", {}), UNKNOWN_COMMAND)
    expect_fail(srv.call("follow/follow_check", {}, method="GET"), METHOD_NOT_POST)
    expect_fail(srv.call("follow/follow_check", b"{"), INVALID_JSON)
    for n in (1024 * 1024 + 1, 8 * 1024 * 1024):
        expect_fail(srv.call("follow/follow_check", b"x" * n), HTTP_PARSE_ERROR)
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(40)) + b"0\r\n\r\n"
    head = ("POST %sfollow/follow_check?%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n" % (srv.base, srv.query())).encode()
    expect_fail(srv.raw_request(head + chunks), HTTP_PARSE_ERROR)


def check_simultaneous(srv, p, n):
    """n follow_check calls released at the same moment, each on a connection of its own: under
    CGI, n processes open and close the database together."""
    a, b = p + "a", p + "b"
    srv.import_accounts([a, b])
    expect_results(srv.follow_add(a, [b]), "ResultItem", [(b, OK)])
    barrier = threading.Barrier(n)
    answers = []

    def one():
        c = Client()
        c.port, c.base, c.ssl_context = srv.port, srv.base, srv.ssl_context
        barrier.wait(30)
        try:
            answers.append(c.follow_check(b, [a]))
        finally:
            c.close_connections()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(len(answers) == n, None, "%d of %d simultaneous calls answered" % (len(answers), n))
    for r in answers:
        expect_results(r, "ResultItem", [(a, OK, {"FollowType": 1})], keys=CHECK_KEYS)


def check_console_files(srv):
    """The console's static files through the host's recipe, with types a browser accepts."""
    import http.client
    for path, ctype, words in (("/console/", "text/html", "follow <span>console</span>"),
                               ("/console/console.js", "javascript", "makeSig"),
                               ("/console/console.css", "text/css", ".card"),
                               ("/console/codes.js", "javascript", "FOLLOW_CODES")):
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read().decode()
        c.close()
        check(r.status == 200 and ctype in (r.getheader("Content-Type") or "") and words in body,
              None, "%s: HTTP %d, %s" % (path, r.status, r.getheader("Content-Type")))
