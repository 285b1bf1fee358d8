"""The tests' HTTP client of the service: the query string with a real UserSig, calls on kept-alive
connections (one per thread), raw requests, and shortcuts for the follow and account APIs."""

import http.client
import json
import os
import random
import socket
import subprocess
import threading
import urllib.parse

from checks import Resp, TestFailure, check, expect_get_page, expect_ok, expect_results, fail
from codes import OK

__all__ = [
    "ROOT", "SDKAPPID", "SECRET_KEY", "ADMIN", "FANS", "FOLLOWING", "MUTUAL",
    "tencent_usersigs", "usersig", "Client",
]

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

SDKAPPID = "1400000000"
SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
ADMIN = "administrator"

# follow_get's FollowType
FANS, FOLLOWING, MUTUAL = 1, 2, 3

NPM_MODULES = os.path.join(ROOT, "build", "npm", "node_modules")
GENSIG_JS = os.path.join(ROOT, "tests", "lib", "gensig.js")
_sigs = {}
_sigs_lock = threading.Lock()


def tencent_usersigs(identifiers, expire=86400, sdkappid=SDKAPPID, key=SECRET_KEY):
    """UserSigs made by Tencent's own generator, npm tls-sig-api-v2@1.0.2 (tests/npm.sh)."""
    env = dict(os.environ, NODE_PATH=NPM_MODULES)
    out = subprocess.run(["node", GENSIG_JS, str(sdkappid), key, str(expire)] + list(identifiers),
                         env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return out.split()


def usersig(identifier):
    """The UserSig sent for `identifier`: a real one from Tencent's generator, made once per
    identifier and test process."""
    with _sigs_lock:
        if identifier not in _sigs:
            _sigs[identifier] = tencent_usersigs([identifier])[0]
        return _sigs[identifier]


def _short(b, limit=600):
    if len(b) > limit:
        return b[:limit] + b"...(%d bytes in all)" % len(b)
    return b


def _parse_body(r):
    """Fills the Resp r from its raw body: a JSON object, or the test fails."""
    try:
        parsed = json.loads(r.raw.decode("utf-8", "surrogateescape"))
    except Exception as e:  # noqa: BLE001
        fail(r, "response body is not JSON (%s)" % e)
    if not isinstance(parsed, dict):
        fail(r, "response body is not a JSON object")
    r.update(parsed)
    return r


class Client:
    """Calls the service on 127.0.0.1:self.port (set by whoever starts it, see Server), under
    the URL path self.base ("/v4/", or a prefix such as "/~user/api/v4/" on shared hosting), over
    TLS when self.ssl_context is set."""

    def __init__(self):
        self.port = None
        self.base = "/v4/"
        self.ssl_context = None
        self._local = threading.local()
        self._conns = []
        self._conns_lock = threading.Lock()

    # ---- connections ----
    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            if self.ssl_context is not None:
                c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=60,
                                                context=self.ssl_context)
            else:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self._local.conn = c
            self._local.used = 0
            with self._conns_lock:
                self._conns.append(c)
        return c

    def _drop_conn(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
            with self._conns_lock:
                if c in self._conns:
                    self._conns.remove(c)
        self._local.conn = None

    def close_connections(self):
        """Closes every thread's kept-alive connection (the service is going away)."""
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass
            self._conns = []
        self._local = threading.local()

    # ---- requests ----
    def query(self, query_overrides=None):
        """The query string: defaults for the admin, then overrides (None removes a parameter).
        Overriding identifier also makes the usersig for that identifier unless usersig is given.
        A str as query_overrides is used verbatim."""
        if isinstance(query_overrides, str):
            return query_overrides
        qo = dict(query_overrides or {})
        ident = qo.get("identifier", ADMIN)
        q = {
            "sdkappid": SDKAPPID,
            "identifier": ADMIN,
            "usersig": usersig(ident if ident is not None else ADMIN),
            "random": str(random.getrandbits(32)),
            "contenttype": "json",
        }
        for k, v in qo.items():
            if v is None:
                q.pop(k, None)
            else:
                q[k] = str(v)
        return urllib.parse.urlencode(q)

    @staticmethod
    def encode_body(body):
        if body is None:
            return b""
        if isinstance(body, (bytes, bytearray)):
            return bytes(body)
        if isinstance(body, str):
            return body.encode("utf-8", "surrogateescape")
        return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogateescape")

    def call(self, path, body=None, query_overrides=None, method="POST", headers=None,
             expect_status=200):
        """POST <base><path>?<query> with body (a JSON-able object, or bytes/str sent as is; None =
        empty body). Returns the parsed response (a Resp dict). Asserts HTTP 200 and a JSON object."""
        if path.startswith("/"):
            url = path
        else:
            url = self.base + path
        qs = self.query(query_overrides)
        if qs:
            url = url + ("&" if "?" in url else "?") + qs
        data = self.encode_body(body)
        hdrs = {"Content-Type": "application/json"}
        if method != "POST" and not data:
            hdrs = {}
        hdrs.update(headers or {})
        desc = "%s %s body=%s" % (method, url, _short(data).decode("utf-8", "replace"))
        for attempt in (0, 1):
            c = self._conn()
            reused = self._local.used > 0
            try:
                c.request(method, url, body=data if (data or method == "POST") else None,
                          headers=hdrs)
                hr = c.getresponse()
                raw = hr.read()
                status = hr.status
                ctype = hr.getheader("Content-Type", "")
                self._local.used += 1
                if hr.will_close:
                    self._drop_conn()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine) as e:
                self._drop_conn()
                # A kept-alive connection the server closed while idle: retry once on a new one.
                if attempt == 0 and reused:
                    continue
                raise TestFailure("request failed: %r\n  request:  %s" % (e, desc))
            except Exception:
                self._drop_conn()
                raise
        r = Resp()
        r.request = desc
        r.raw = raw
        r.status = status
        r.content_type = ctype
        if status != expect_status:
            fail(r, "HTTP status %s, expected %s" % (status, expect_status))
        return _parse_body(r)

    def raw_request(self, data, timeout=20, expect_status=200):
        """Sends raw bytes on a new connection (from a separate thread, so a server that answers
        before reading everything is fine) and returns the parsed response (a Resp). Asserts the
        HTTP status (an int or a tuple of allowed ones) and, for 200, a JSON object body."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        send_err = []

        def sender():
            try:
                mv = memoryview(data)
                while mv:
                    n = sock.send(mv[:65536])
                    mv = mv[n:]
            except OSError as e:
                send_err.append(e)

        t = threading.Thread(target=sender, daemon=True)
        t.start()
        r = Resp()
        r.request = "raw %s" % _short(data, 300).decode("utf-8", "replace")
        try:
            hr = http.client.HTTPResponse(sock, method="POST")
            hr.begin()
            r.raw = hr.read()
            r.status = hr.status
        finally:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
            t.join(timeout)
        allowed = expect_status if isinstance(expect_status, tuple) else (expect_status,)
        if r.status not in allowed:
            fail(r, "HTTP status %s, expected %s" % (r.status, expect_status))
        if r.status != 200:
            return r
        return _parse_body(r)

    # ---- API shorthands (no assertions beyond HTTP 200 + JSON) ----
    def follow_add(self, frm, tos, **kw):
        return self.call("follow/follow_add",
                         {"From_Account": frm, "FollowItem": [{"To_Account": t} for t in tos]}, **kw)

    def follow_delete(self, frm, tos, **kw):
        return self.call("follow/follow_delete", {"From_Account": frm, "To_Account": list(tos)}, **kw)

    def follow_check(self, frm, tos, **kw):
        return self.call("follow/follow_check", {"From_Account": frm, "To_Account": list(tos)}, **kw)

    def follow_get_info(self, frm, tos, **kw):
        return self.call("follow/follow_get_info", {"From_Account": frm, "To_Account": list(tos)},
                         **kw)

    def follow_get(self, frm, follow_type, cursor="", want=100, **kw):
        body = {"From_Account": frm, "FollowType": follow_type}
        if cursor is not None:
            body["StartCursor"] = cursor
        if want is not None:
            body["WantNum"] = want
        return self.call("follow/follow_get", body, **kw)

    def account_check(self, ids, **kw):
        return self.call("im_open_login_svc/account_check",
                         {"CheckItem": [{"UserID": u} for u in ids]}, **kw)

    def account_delete(self, ids, **kw):
        return self.call("im_open_login_svc/account_delete",
                         {"DeleteItem": [{"UserID": u} for u in ids]}, **kw)

    # ---- API shorthands that assert success ----
    def import_accounts(self, ids):
        ids = list(ids)
        for i in range(0, len(ids), 100):
            chunk = ids[i:i + 100]
            r = self.call("im_open_login_svc/multiaccount_import",
                          {"AccountList": [{"UserID": u} for u in chunk]})
            expect_ok(r, ["FailAccounts"])
            check(r["FailAccounts"] == [], r, "FailAccounts should be []")
        return ids

    def must_add(self, frm, tos):
        r = self.follow_add(frm, tos)
        expect_results(r, "ResultItem", [(t, OK) for t in tos])
        return r

    def must_delete(self, frm, tos):
        r = self.follow_delete(frm, tos)
        expect_results(r, "ResultItem", [(t, OK) for t in tos])
        return r

    def counts(self, acct):
        """(FollowerCount, FollowingCount, MutualFollowingCount) of one account."""
        r = self.follow_get_info(acct, [acct])
        expect_ok(r, ["FollowInfo"])
        check(len(r["FollowInfo"]) == 1, r, "one FollowInfo element expected")
        it = r["FollowInfo"][0]
        check(it.get("ResultCode") == OK, r, "ResultCode %d expected" % OK)
        return (it["FollowerCount"], it["FollowingCount"], it["MutualFollowingCount"])

    def follow_type(self, frm, to):
        r = self.follow_check(frm, [to])
        expect_ok(r, ["ResultItem"])
        return r["ResultItem"][0]["FollowType"]

    def walk(self, frm, follow_type, want=100, lenient_seq=False, max_pages=100000):
        """Walks a whole follow_get list: every page passes expect_get_page(r, want, lenient_seq),
        no entry repeats, NextCursor is "" only at the end. Returns [(item, its page's Resp)]."""
        out, seen, cursor = [], set(), ""
        for _ in range(max_pages):
            r = self.follow_get(frm, follow_type, cursor, want)
            expect_get_page(r, want, lenient_seq)
            for it in r["FollowItem"]:
                check(it["To_Account"] not in seen, r,
                      "entry %r repeats in the walk" % it["To_Account"])
                seen.add(it["To_Account"])
                out.append((it, r))
            cursor = r["NextCursor"]
            if cursor == "":
                return out
        fail(r, "walk does not end")

    def get_all(self, frm, follow_type, want=100, lenient_seq=False):
        """The items of a whole list, walked and checked as by walk."""
        return [it for it, _ in self.walk(frm, follow_type, want, lenient_seq)]

    def list_ids(self, frm, follow_type, want=100):
        return [it["To_Account"] for it in self.get_all(frm, follow_type, want)]
