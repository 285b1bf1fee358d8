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
"""

import http.client
import inspect
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# FOLLOW_FCGI (set by make test for the sanitizer build) replaces the responder binary.
FCGI = os.environ.get("FOLLOW_FCGI") or os.path.join(ROOT, "cgi-bin", "follow.fcgi")
LIGHTTPD_CONF_SH = os.path.join(ROOT, "scripts", "lighttpd-conf.sh")

SDKAPPID = "1400000000"
SECRET_KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
ADMIN = "administrator"

DEFAULT_CONF = [
    ("sdkappid", SDKAPPID),
    ("secret_key", SECRET_KEY),
    ("admins", ADMIN),
    ("data_dir", "data"),
    ("max_following", "5000"),
    ("max_followers", "0"),
    ("max_mutual", "0"),
    ("max_body_bytes", "1048576"),
    ("durability", "write"),
]

ENVELOPE = ["ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay"]
GET_ITEM_KEYS = ["To_Account", "FollowTime", "ProfileItem", "ProfileSequence", "profile_sequence"]
RESULT_KEYS = ["To_Account", "ResultCode", "ResultInfo"]
CHECK_KEYS = ["To_Account", "ResultCode", "ResultInfo", "FollowType"]
INFO_KEYS = ["To_Account", "ResultCode", "ResultInfo", "FollowerCount", "FollowingCount",
             "MutualFollowingCount"]

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


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def idkey(account):
    """Sort key of the contract's 'ascending byte order' of accounts."""
    return account.encode("utf-8", "surrogateescape")


class Resp(dict):
    """A parsed JSON response body (a dict, keys in document order) that remembers the request."""
    request = ""
    raw = b""
    status = 200

    def describe(self):
        raw = self.raw
        if len(raw) > 3000:
            raw = raw[:3000] + b"...(%d bytes)" % len(self.raw)
        return "  request:  %s\n  response: HTTP %s %s" % (self.request, self.status,
                                                           raw.decode("utf-8", "replace"))


class TestFailure(AssertionError):
    pass


def fail(resp, msg):
    if isinstance(resp, Resp):
        raise TestFailure("%s\n%s" % (msg, resp.describe()))
    raise TestFailure("%s\n  response: %r" % (msg, resp))


def check(cond, resp, msg):
    if not cond:
        fail(resp, msg)


def _short(b, limit=600):
    if len(b) > limit:
        return b[:limit] + b"...(%d bytes in all)" % len(b)
    return b


class Server:
    """One lighttpd + follow.fcgi instance with a fresh data dir.

    Server(procs=2, rundir=None, **overrides): overrides are follow.conf keys (max_following=3).
    Passing the rundir of a stopped server restarts on the same data (persistence tests)."""

    def __init__(self, procs=2, rundir=None, **overrides):
        self.procs = procs
        self.overrides = {k: str(v) for k, v in overrides.items()}
        self.rundir = rundir
        self.own_rundir = rundir is None
        self.proc = None
        self.port = None
        self.keep = False
        self._local = threading.local()
        self._conns = []
        self._conns_lock = threading.Lock()

    # ---- life cycle ----
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.print_log_tail()
            self.stop()
            raise
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.print_log_tail()
        self.stop()
        if self.own_rundir and not os.environ.get("KEEP") and et is None and not self.keep:
            shutil.rmtree(self.rundir, ignore_errors=True)
        elif self.rundir:
            print("run directory kept: %s" % self.rundir)
        return False

    def conf_path(self):
        return os.path.join(self.rundir, "follow.conf")

    def log_path(self):
        return os.path.join(self.rundir, "error.log")

    def host_command(self):
        """Writes the web server's config for this run and returns the command that serves it
        in the foreground (lighttpd here; ApacheServer overrides it)."""
        out = subprocess.run([LIGHTTPD_CONF_SH, ROOT, self.rundir, str(self.port), self.conf_path(),
                              str(self.procs)], check=True, stdout=subprocess.PIPE).stdout
        lconf = os.path.join(self.rundir, "lighttpd.conf")
        with open(lconf, "wb") as f:
            f.write(out)
        return ["lighttpd", "-D", "-f", lconf]

    def start(self):
        if not os.access(FCGI, os.X_OK):
            raise RuntimeError("%s is missing; run make first" % FCGI)
        if self.rundir is None:
            self.rundir = tempfile.mkdtemp(prefix="follow-t-")
        conf = dict(DEFAULT_CONF)
        conf.update(self.overrides)
        with open(self.conf_path(), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        self.port = free_port()
        self.stdio = open(os.path.join(self.rundir, "lighttpd.out"), "wb")
        self.proc = subprocess.Popen(self.host_command(), stdin=subprocess.DEVNULL,
                                     stdout=self.stdio, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("lighttpd exited with status %s at start" % self.proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("lighttpd does not accept connections on port %d" % self.port)
                time.sleep(0.05)
        # The FastCGI processes may still be starting: wait for a JSON answer.
        last = None
        while True:
            try:
                r = self.call("im_open_login_svc/account_check", {"CheckItem": [{"UserID": "probe"}]})
                if r.get("ActionStatus") in ("OK", "FAIL"):
                    return
                last = r
            except Exception as e:  # noqa: BLE001 - any failure means not ready yet
                last = e
                self._drop_conn()
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the service does not answer: %r" % (last,))
            time.sleep(0.1)

    def stop(self):
        with self._conns_lock:
            for c in self._conns:
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass
            self._conns = []
        self._local = threading.local()
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(5)
        else:
            # lighttpd is gone; its FastCGI children may not be.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # FastCGI children are in lighttpd's process group: make sure none lingers.
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc = None
        self.stdio.close()

    def kill(self):
        """Simulates a crash: SIGKILL to lighttpd and its FastCGI processes, then cleans up."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        self.stop()

    def restart(self, crash=False):
        """Stops (or kills) the server and starts it again on the same run directory and data."""
        if crash:
            self.kill()
        else:
            self.stop()
        self.start()

    def log_tail(self, lines=40):
        out = []
        for p in (self.log_path(), os.path.join(self.rundir or "", "lighttpd.out")):
            try:
                with open(p, "rb") as f:
                    data = f.read().decode("utf-8", "replace").splitlines()
                out.append("---- %s (last %d lines) ----" % (p, lines))
                out.extend(data[-lines:])
            except OSError:
                pass
        return "\n".join(out)

    def print_log_tail(self, lines=40):
        if self.rundir:
            print(self.log_tail(lines))
            sys.stdout.flush()

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

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
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

    def call(self, path, body=None, query_overrides=None, method="POST", headers=None,
             expect_status=200):
        """POST /v4/<path>?<query> with body (a JSON-able object, or bytes/str sent as is; None =
        empty body). Returns the parsed response (a Resp dict). Asserts HTTP 200 and a JSON object."""
        if path.startswith("/"):
            url = path
        else:
            url = "/v4/" + path
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
        try:
            parsed = json.loads(raw.decode("utf-8", "surrogateescape"))
        except Exception as e:  # noqa: BLE001
            fail(r, "response body is not JSON (%s)" % e)
        if not isinstance(parsed, dict):
            fail(r, "response body is not a JSON object")
        r.update(parsed)
        return r

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
            raw = hr.read()
            r.status = hr.status
            r.raw = raw
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
        try:
            parsed = json.loads(raw.decode("utf-8", "surrogateescape"))
        except Exception as e:  # noqa: BLE001
            fail(r, "response body is not JSON (%s)" % e)
        if not isinstance(parsed, dict):
            fail(r, "response body is not a JSON object")
        r.update(parsed)
        return r

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
        expect_results(r, "ResultItem", [(t, 0) for t in tos])
        return r

    def must_delete(self, frm, tos):
        r = self.follow_delete(frm, tos)
        expect_results(r, "ResultItem", [(t, 0) for t in tos])
        return r

    def counts(self, acct):
        """(FollowerCount, FollowingCount, MutualFollowingCount) of one account."""
        r = self.follow_get_info(acct, [acct])
        expect_ok(r, ["FollowInfo"])
        check(len(r["FollowInfo"]) == 1, r, "one FollowInfo element expected")
        it = r["FollowInfo"][0]
        check(it.get("ResultCode") == 0, r, "ResultCode 0 expected")
        return (it["FollowerCount"], it["FollowingCount"], it["MutualFollowingCount"])

    def follow_type(self, frm, to):
        r = self.follow_check(frm, [to])
        expect_ok(r, ["ResultItem"])
        return r["ResultItem"][0]["FollowType"]

    def get_all(self, frm, follow_type, want=100, max_pages=100000):
        """Walks a whole list; asserts every page is well formed, pages are at most `want` long,
        no entry repeats, NextCursor is "" only at the end. Returns the list of items."""
        items = []
        seen = set()
        cursor = ""
        pages = 0
        while True:
            r = self.follow_get(frm, follow_type, cursor, want)
            expect_get_page(r, want)
            for it in r["FollowItem"]:
                if it["To_Account"] in seen:
                    fail(r, "entry %r repeats in the walk" % it["To_Account"])
                seen.add(it["To_Account"])
                items.append(it)
            pages += 1
            cursor = r["NextCursor"]
            if cursor == "":
                return items
            if pages > max_pages:
                fail(r, "walk does not end")

    def list_ids(self, frm, follow_type, want=100):
        return [it["To_Account"] for it in self.get_all(frm, follow_type, want)]


# ---------------------------------------------------------------------------------------------
# assertions


def expect_envelope(r):
    keys = list(r.keys())
    check(keys[:4] == ENVELOPE, r, "envelope keys must come first in order %s, got %s" % (ENVELOPE,
                                                                                        keys))
    check(r["ActionStatus"] in ("OK", "FAIL"), r, "ActionStatus must be OK or FAIL")
    check(type(r["ErrorCode"]) is int, r, "ErrorCode must be an int")
    check(isinstance(r["ErrorInfo"], str), r, "ErrorInfo must be a string")
    check(r["ErrorDisplay"] == "", r, "ErrorDisplay must be \"\"")


def expect_ok(r, extra_keys=()):
    """Success envelope and exactly these extra top-level keys."""
    expect_envelope(r)
    check(r["ActionStatus"] == "OK" and r["ErrorCode"] == 0, r,
          "expected ActionStatus OK / ErrorCode 0")
    check(r["ErrorInfo"] == "", r, "ErrorInfo must be \"\" on success")
    want = set(ENVELOPE) | set(extra_keys)
    check(set(r.keys()) == want, r, "top-level keys should be %s" % sorted(want))


def expect_fail(r, code, field=None):
    """Request-wide failure with this code: only the envelope, ErrorInfo non-empty and (if field is
    given: a name or a tuple of names) mentioning the field."""
    expect_envelope(r)
    check(r["ActionStatus"] == "FAIL" and r["ErrorCode"] == code, r,
          "expected ActionStatus FAIL / ErrorCode %d" % code)
    check(r["ErrorInfo"] != "", r, "ErrorInfo must not be empty on failure")
    check(set(r.keys()) == set(ENVELOPE), r, "a request-wide failure has only the envelope keys")
    if field is not None:
        fields = field if isinstance(field, (tuple, list)) else (field,)
        check(any(f in r["ErrorInfo"] for f in fields), r,
              "ErrorInfo should name the field %s" % " or ".join(fields))


def _expect_item_common(r, it, keys, code, idx):
    check(isinstance(it, dict), r, "element %d is not an object" % idx)
    check(set(it.keys()) == set(keys), r,
          "element %d keys should be %s, got %s" % (idx, keys, list(it.keys())))
    check(type(it["ResultCode"]) is int and it["ResultCode"] == code, r,
          "element %d: ResultCode %s expected" % (idx, code))
    if code == 0:
        check(it["ResultInfo"] == "", r, "element %d: ResultInfo must be \"\" when ok" % idx)
    else:
        check(isinstance(it["ResultInfo"], str) and it["ResultInfo"] != "", r,
              "element %d: ResultInfo must explain the failure" % idx)


def expect_results(r, listkey, expected, keys=RESULT_KEYS, idkey_name="To_Account"):
    """OK response whose `listkey` array is exactly `expected`: a list of (id, ResultCode) or
    (id, ResultCode, {field: value}) tuples, in order."""
    expect_ok(r, [listkey])
    arr = r[listkey]
    check(isinstance(arr, list), r, "%s must be an array" % listkey)
    check(len(arr) == len(expected), r, "%s should have %d elements" % (listkey, len(expected)))
    for i, exp in enumerate(expected):
        ident, code = exp[0], exp[1]
        extra = exp[2] if len(exp) > 2 else {}
        it = arr[i]
        _expect_item_common(r, it, keys, code, i)
        check(it[idkey_name] == ident, r, "element %d: %s should be %r" % (i, idkey_name, ident))
        for k, v in extra.items():
            check(it.get(k) == v and type(it.get(k)) is type(v), r,
                  "element %d: %s should be %r" % (i, k, v))


def expect_get_page(r, want=100):
    expect_ok(r, ["FollowItem", "NextCursor"])
    check(isinstance(r["FollowItem"], list), r, "FollowItem must be an array")
    check(isinstance(r["NextCursor"], str), r, "NextCursor must be a string")
    limit = 100 if want is None else min(want, 1000)
    check(len(r["FollowItem"]) <= limit, r, "page longer than %d" % limit)
    prev = None
    for i, it in enumerate(r["FollowItem"]):
        check(isinstance(it, dict) and set(it.keys()) == set(GET_ITEM_KEYS), r,
              "FollowItem[%d] keys should be %s" % (i, GET_ITEM_KEYS))
        check(isinstance(it["To_Account"], str) and it["To_Account"] != "", r,
              "FollowItem[%d].To_Account must be a non-empty string" % i)
        check(type(it["FollowTime"]) is int and it["FollowTime"] > 1500000000, r,
              "FollowItem[%d].FollowTime must be Unix seconds (int)" % i)
        # Profiles (t1100 checks their content): a list of {Tag, Value}, and one version
        # number under both spellings, 0 exactly when the account never set a tag.
        check(isinstance(it["ProfileItem"], list) and
              all(isinstance(p, dict) and list(p) == ["Tag", "Value"] for p in it["ProfileItem"]),
              r, "FollowItem[%d].ProfileItem should be a list of {Tag, Value}" % i)
        check(type(it["ProfileSequence"]) is int and it["ProfileSequence"] >= 0, r,
              "FollowItem[%d].ProfileSequence should be a version number" % i)
        check(it["profile_sequence"] == it["ProfileSequence"], r,
              "FollowItem[%d].profile_sequence should equal ProfileSequence" % i)
        check((it["ProfileSequence"] == 0) == (it["ProfileItem"] == []), r,
              "FollowItem[%d]: version 0 exactly when no tag is set" % i)
        key = (-it["FollowTime"], idkey(it["To_Account"]))
        if prev is not None:
            check(prev < key, r, "FollowItem[%d] out of order (newest first, then account "
                                 "ascending)" % i)
        prev = key
    if want is not None and r["NextCursor"] != "":
        # a page that says more follows should be full
        check(len(r["FollowItem"]) == limit, r, "a page with a NextCursor should be full")


def expect_eq(actual, expected, resp_or_msg, msg=""):
    if actual != expected:
        if isinstance(resp_or_msg, Resp):
            fail(resp_or_msg, "%s: got %r, expected %r" % (msg, actual, expected))
        raise TestFailure("%s: got %r, expected %r" % (resp_or_msg or msg, actual, expected))


# ---------------------------------------------------------------------------------------------
# running a test file


def import_accounts(srv, ids):
    return srv.import_accounts(ids)


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


class Failures:
    """Collects failures so one test can report every failing row, not only the first:

        fl = Failures()
        for ...:
            with fl:
                expect_fail(...)
        fl.done()        # raises one TestFailure listing all of them
    """

    def __init__(self):
        self.msgs = []

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        if et is not None and issubclass(et, AssertionError):
            self.msgs.append(str(ev))
            return True
        return False

    def done(self):
        if self.msgs:
            raise TestFailure("%d failing rows:\n%s" % (len(self.msgs), "\n".join(
                "[%d] %s" % (i + 1, m) for i, m in enumerate(self.msgs))))


def expect_fail_rows(srv, path, rows, query_overrides=None):
    """rows: (body, code, field-or-None); each is one request expected to fail request-wide."""
    fl = Failures()
    for row in rows:
        body, code = row[0], row[1]
        field = row[2] if len(row) > 2 else None
        with fl:
            expect_fail(srv.call(path, body, query_overrides=query_overrides), code, field)
    fl.done()
