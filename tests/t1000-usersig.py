#!/usr/bin/env python3
"""UserSig (TLSSigAPIv2) verification, spec §2, §9 and §10: real UserSigs from Tencent's npm
generator, hand-made ones in every style the client libraries produce (all accepted), and broken,
tampered, misdirected or expired ones (each refused with its own code, before the body is read)."""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

FOLLOW = "follow/follow_check"
ACCOUNT = "im_open_login_svc/account_check"
FOLLOW_BODY = {"From_Account": "us_a", "To_Account": ["us_b"]}
ACCOUNT_BODY = {"CheckItem": [{"UserID": "us_a"}]}
OTHER_KEY = "0" * 63 + "1"

NPM_ORDER = ["TLS.ver", "TLS.identifier", "TLS.sdkappid", "TLS.time", "TLS.expire", "TLS.sig"]


# ---------------------------------------------------------------------------------------------
# making UserSigs in Python (standard library only)


def sig_content(identifier, sdkappid, t, expire, userbuf=None):
    """The text that TLS.sig signs (§9 step 1, plus TLS.userbuf the way the generators add it)."""
    s = "TLS.identifier:%s\nTLS.sdkappid:%s\nTLS.time:%s\nTLS.expire:%s\n" % (
        identifier, sdkappid, t, expire)
    if userbuf is not None:
        s += "TLS.userbuf:%s\n" % userbuf
    return s


def hmac_b64(key, content):
    return base64.b64encode(hmac.new(key.encode("ascii"), content.encode("utf-8"),
                                     hashlib.sha256).digest()).decode("ascii")


def wrap(raw):
    """The UserSig text of raw (already compressed) bytes: base64, then + / = -> * - _."""
    b = base64.b64encode(raw).decode("ascii")
    return b.replace("+", "*").replace("/", "-").replace("=", "_")


def inflate(sig):
    """A UserSig's JSON text (bytes), for checking the generators' output in Python."""
    b = sig.replace("*", "+").replace("-", "/").replace("_", "=")
    return zlib.decompress(base64.b64decode(b, validate=True))


def unwrap(sig):
    """A UserSig's JSON document."""
    return json.loads(inflate(sig))


def make_sig(identifier, sdkappid=SDKAPPID, time_=None, expire=86400, key=SECRET_KEY, *,
             order=None, spaced=False, escape_slashes=False, level=6, userbuf=None,
             extra_fields=None, sig_override=None, raw_doc=None, trailing=b""):
    """A UserSig made in Python.

    order: the document's keys in this order (a key left out is absent; default Tencent's npm
    order, which has TLS.ver); spaced: True for json.dumps' default separators, "indent" for
    indent=2; escape_slashes: write "/" as "\\/" in the JSON text (PHP's json_encode); level: zlib
    level; userbuf: a TLS.userbuf value, also signed; extra_fields: set (or override, after
    signing: tampering) document fields; sig_override: the TLS.sig value; raw_doc: compress these
    bytes (or str) instead of a document; trailing: bytes appended after the zlib stream."""
    if time_ is None:
        time_ = int(time.time())
    if raw_doc is None:
        sig = hmac_b64(key, sig_content(identifier, sdkappid, time_, expire, userbuf))
        values = {
            "TLS.ver": "2.0",
            "TLS.identifier": identifier,
            "TLS.sdkappid": int(sdkappid),
            "TLS.time": int(time_),
            "TLS.expire": int(expire),
            "TLS.sig": sig if sig_override is None else sig_override,
        }
        keys = list(order) if order is not None else list(NPM_ORDER)
        if userbuf is not None:
            values["TLS.userbuf"] = userbuf
            if "TLS.userbuf" not in keys:
                keys.insert(keys.index("TLS.sig") if "TLS.sig" in keys else len(keys),
                            "TLS.userbuf")
        doc = {k: values[k] for k in keys}
        for k, v in (extra_fields or {}).items():
            doc[k] = v
        if spaced == "indent":
            text = json.dumps(doc, indent=2)
        elif spaced:
            text = json.dumps(doc)
        else:
            text = json.dumps(doc, separators=(",", ":"))
        if escape_slashes:
            text = text.replace("/", "\\/")
        raw_doc = text
    if isinstance(raw_doc, str):
        raw_doc = raw_doc.encode("utf-8")
    return wrap(zlib.compress(raw_doc, level) + trailing)


def q(sig, identifier=ADMIN, **more):
    d = {"identifier": identifier, "usersig": sig}
    d.update(more)
    return d


def accepted(srv, sig, identifier=ADMIN, what=""):
    """The UserSig is accepted: a follow API and an account API both answer OK."""
    r = srv.call(FOLLOW, FOLLOW_BODY, query_overrides=q(sig, identifier))
    check(r.get("ErrorCode") == OK, r, "UserSig should be accepted on a follow API: %s" % what)
    expect_results(r, "ResultItem", [("us_b", OK, {"FollowType": 0})], keys=CHECK_KEYS)
    r = srv.call(ACCOUNT, ACCOUNT_BODY, query_overrides=q(sig, identifier))
    check(r.get("ErrorCode") == OK, r, "UserSig should be accepted on an account API: %s" % what)
    expect_ok(r, ["ResultItem"])


def refused(srv, sig, code, identifier=ADMIN, paths=(FOLLOW, ACCOUNT), **more):
    """The UserSig is refused with `code` on every path, also with a body that is not JSON."""
    for p in paths:
        body = FOLLOW_BODY if p.startswith("follow") else ACCOUNT_BODY
        expect_fail(srv.call(p, body, query_overrides=q(sig, identifier, **more)), code)
        expect_fail(srv.call(p, b"{not json", query_overrides=q(sig, identifier, **more)), code)


def refused_rows(srv, code, rows, paths=(FOLLOW, ACCOUNT)):
    """rows: (label, sig[, identifier]), each refused with `code`; reports every failing row at
    once."""
    fl = Failures()
    for row in rows:
        label, sig = row[0], row[1]
        ident = row[2] if len(row) > 2 else ADMIN
        with fl:
            try:
                refused(srv, sig, code, ident, paths)
            except AssertionError as e:
                raise TestFailure("%s: %s" % (label, e))
    fl.done()


# ---------------------------------------------------------------------------------------------
# the helper itself


def test_check_vector(srv):
    # §9's check vector guards the helper that makes every hand-made UserSig below
    content = sig_content("xiaojun", 1400000000, 1700000000, 15552000)
    expect_eq(content, "TLS.identifier:xiaojun\nTLS.sdkappid:1400000000\nTLS.time:1700000000\n"
                       "TLS.expire:15552000\n", "signed content")
    expect_eq(hmac_b64(SECRET_KEY, content), "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=",
              "TLS.sig of the spec's check vector")
    doc = unwrap(make_sig("xiaojun", 1400000000, 1700000000, 15552000))
    expect_eq(doc["TLS.sig"], "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=", "make_sig's TLS.sig")


def test_helper_matches_npm(srv):
    # Tencent's generator and make_sig agree on content, signature and (same level) bytes
    npm = usersig(ADMIN)
    doc = unwrap(npm)
    expect_eq(list(doc.keys()), NPM_ORDER, "npm document keys")
    expect_eq(doc["TLS.sig"], hmac_b64(SECRET_KEY, sig_content(
        ADMIN, doc["TLS.sdkappid"], doc["TLS.time"], doc["TLS.expire"])), "npm TLS.sig")
    # same JSON text (node's zlib build may pick other deflate blocks than Python's: compare the
    # inflated documents, not the compressed bytes)
    expect_eq(inflate(make_sig(ADMIN, SDKAPPID, doc["TLS.time"], doc["TLS.expire"])), inflate(npm),
              "make_sig's compact document == the npm UserSig's document")


# ---------------------------------------------------------------------------------------------
# real UserSigs from Tencent's generator


def test_setup(srv):
    srv.import_accounts(["us_a", "us_b", "bob"])
    accepted(srv, usersig(ADMIN), what="npm UserSig of the admin")


def test_npm_admin_accepted(srv):
    a1, a2 = tencent_usersigs([ADMIN, ADMIN], expire=3600)
    for s in (usersig(ADMIN), a1, a2, tencent_usersigs([ADMIN], expire=15552000)[0]):
        accepted(srv, s, what="npm UserSig %s" % s)
    # every follow and account API takes it
    for p in ["follow/follow_get_info", "follow/follow_check"]:
        expect_ok(srv.call(p, FOLLOW_BODY), ["FollowInfo" if "info" in p else "ResultItem"])


def test_npm_not_admin(srv):
    # a valid UserSig of an identifier that is not an administrator: 30004 / 60010
    for ident in ("bob", "us_a", "Administrator", "administrator_"):
        s = usersig(ident)
        expect_fail(srv.call(FOLLOW, FOLLOW_BODY, query_overrides=q(s, ident)), FOLLOW_NOT_ADMIN)
        expect_fail(srv.call("follow/follow_add", b"{not json", query_overrides=q(s, ident)),
                    FOLLOW_NOT_ADMIN)
        expect_fail(srv.call(ACCOUNT, ACCOUNT_BODY, query_overrides=q(s, ident)), NOT_ADMIN)
        expect_fail(srv.call("im_open_login_svc/account_import", b"[", query_overrides=q(s, ident)),
                    NOT_ADMIN)


def test_npm_other_key_70009(srv):
    s = tencent_usersigs([ADMIN], key=OTHER_KEY)[0]
    refused(srv, s, SIG_VERIFY_FAILED)
    # with the configured key as hex digits in another case: still another key (ASCII bytes)
    s = tencent_usersigs([ADMIN], key=SECRET_KEY.upper())[0]
    refused(srv, s, SIG_VERIFY_FAILED)


def test_npm_other_sdkappid_70014(srv):
    # signed over its own sdkappid 1400000001: the HMAC verifies, then the app does not match
    s = tencent_usersigs([ADMIN], sdkappid="1400000001")[0]
    expect_eq(unwrap(s)["TLS.sdkappid"], 1400000001, "the npm document's TLS.sdkappid")
    refused(srv, s, SIG_OTHER_SDKAPPID)
    # ... and a UserSig for a non-admin of the other app still gives 70014, not 30004
    s = tencent_usersigs(["bob"], sdkappid="1400000001")[0]
    refused(srv, s, SIG_OTHER_SDKAPPID, "bob")
    # sent with the other app's sdkappid in the query: that app is not configured
    refused(srv, s, SDKAPPID_UNKNOWN, "bob", sdkappid="1400000001")


def test_npm_other_identifier_70013(srv):
    # the admin's UserSig presented for bob (not an admin): 70013 before the admin check
    refused(srv, usersig(ADMIN), SIG_OTHER_IDENTIFIER, "bob")
    # bob's UserSig presented as the admin: 70013, not accepted
    refused(srv, usersig("bob"), SIG_OTHER_IDENTIFIER, ADMIN)
    # identifiers differ only in case / by a suffix
    refused(srv, usersig(ADMIN), SIG_OTHER_IDENTIFIER, "Administrator")
    refused(srv, usersig(ADMIN), SIG_OTHER_IDENTIFIER, ADMIN + "x")


def test_expired_70001(srv):
    now = int(time.time())
    refused(srv, make_sig(ADMIN, time_=now - 100, expire=10), SIG_EXPIRED)
    refused(srv, make_sig(ADMIN, time_=now - 86400 * 200, expire=15552000), SIG_EXPIRED)
    refused(srv, make_sig(ADMIN, time_=1700000000, expire=1), SIG_EXPIRED)
    # expired and not an admin: 70001 before the admin check
    refused(srv, make_sig("bob", time_=now - 100, expire=10), SIG_EXPIRED, "bob")
    # made in the past but still valid: accepted
    accepted(srv, make_sig(ADMIN, time_=now - 100, expire=1000), what="time 100 s ago, expire 1000")


def test_npm_negative_expire_70001(srv):
    # Tencent's generator signs any lifetime; with expire -100, time + expire is in the past: the
    # document decodes (integers, HMAC verifies), so by §9 it is expired (70001), not 70003
    s = tencent_usersigs([ADMIN], expire=-100)[0]
    expect_eq(unwrap(s)["TLS.expire"], -100, "the npm document's TLS.expire")
    refused(srv, s, SIG_EXPIRED)
    refused(srv, make_sig(ADMIN, expire=-100), SIG_EXPIRED)


# ---------------------------------------------------------------------------------------------
# hand-made UserSigs in the styles of the client libraries: all accepted


def test_styles_accepted(srv):
    now = int(time.time())
    fl = Failures()
    orders = [
        NPM_ORDER,
        ["TLS.sig", "TLS.expire", "TLS.time", "TLS.sdkappid", "TLS.identifier", "TLS.ver"],
        ["TLS.identifier", "TLS.sdkappid", "TLS.expire", "TLS.time", "TLS.sig", "TLS.ver"],
        ["TLS.expire", "TLS.identifier", "TLS.sdkappid", "TLS.sig", "TLS.time", "TLS.ver"],
        sorted(NPM_ORDER),
    ]
    styles = [("compact", {}), ("spaced", {"spaced": True}), ("indent=2", {"spaced": "indent"})]
    styles += [("order %d" % i, {"order": o}) for i, o in enumerate(orders)]
    styles += [("order %d spaced" % i, {"order": o, "spaced": True}) for i, o in enumerate(orders)]
    styles += [("zlib level %d" % lv, {"level": lv}) for lv in (0, 1, 6, 9)]
    styles += [("level 0 indent", {"level": 0, "spaced": "indent"})]
    no_ver = [k for k in NPM_ORDER if k != "TLS.ver"]
    styles += [("without TLS.ver", {"order": no_ver}),
               ("without TLS.ver, spaced", {"order": no_ver, "spaced": True}),
               ("TLS.ver last", {"order": no_ver + ["TLS.ver"]})]
    styles += [("userbuf", {"userbuf": base64.b64encode(b"\x00\x01room").decode()}),
               ("userbuf spaced, first", {"userbuf": "AAAAAAAA", "spaced": True,
                                          "order": ["TLS.userbuf"] + NPM_ORDER}),
               ("userbuf empty", {"userbuf": ""})]
    for label, kw in styles:
        with fl:
            s = make_sig(ADMIN, time_=now, **kw)
            try:
                accepted(srv, s, what=label)
            except AssertionError as e:
                raise TestFailure("%s: %s" % (label, e))
    fl.done()


def test_php_escaped_slash_accepted(srv):
    # PHP's json_encode writes "/" as "\/": find a time whose TLS.sig has a "/" in it
    now = int(time.time())
    for t in range(now, now - 200, -1):
        if "/" in hmac_b64(SECRET_KEY, sig_content(ADMIN, SDKAPPID, t, 86400)):
            break
    else:
        raise TestFailure("no TLS.sig with a '/' in 200 tries")
    s = make_sig(ADMIN, time_=t, escape_slashes=True)
    raw = inflate(s)
    check(b"\\/" in raw, raw, "the JSON text should have an escaped slash")
    accepted(srv, s, what="TLS.sig with \\/ (PHP style)")
    accepted(srv, make_sig(ADMIN, time_=t, escape_slashes=True, spaced=True),
             what="\\/ and spaced")
    # the same document with a userbuf that has slashes too
    ub = base64.b64encode(b"\xff\xff\xff room").decode()
    check("/" in ub, ub, "userbuf with a slash")
    accepted(srv, make_sig(ADMIN, time_=t, escape_slashes=True, userbuf=ub),
             what="\\/ in TLS.sig and TLS.userbuf")


def test_escaped_and_utf8_identifiers(srv):
    now = int(time.time())
    # the admin's name written with \\u escapes in the JSON text: the same string
    text = json.dumps({"TLS.ver": "2.0", "TLS.identifier": "@@", "TLS.sdkappid": int(SDKAPPID),
                       "TLS.time": now, "TLS.expire": 86400,
                       "TLS.sig": hmac_b64(SECRET_KEY, sig_content(ADMIN, SDKAPPID, now, 86400))})
    text = text.replace("@@", "".join("\\u%04x" % ord(c) for c in ADMIN))
    accepted(srv, make_sig(ADMIN, raw_doc=text), what="identifier as \\u escapes")
    # a UTF-8 identifier (signed as UTF-8 bytes): raw in npm's JSON, \\u-escaped in Python's
    # spaced JSON; both verify, then the identifier is not an admin
    ident = "\u7528\u6237_1"
    for s in (usersig(ident), make_sig(ident, time_=now, spaced=True)):
        expect_fail(srv.call(FOLLOW, FOLLOW_BODY, query_overrides=q(s, ident)), FOLLOW_NOT_ADMIN)
        expect_fail(srv.call(ACCOUNT, ACCOUNT_BODY, query_overrides=q(s, ident)), NOT_ADMIN)
        refused(srv, s, SIG_OTHER_IDENTIFIER, ident + "x")


def test_userbuf_is_signed(srv):
    now = int(time.time())
    ub = base64.b64encode(b"\x00\x00\x0dadministrator").decode()
    # signed with the userbuf, sent without it (or with another): 70009
    good = hmac_b64(SECRET_KEY, sig_content(ADMIN, SDKAPPID, now, 86400, ub))
    refused(srv, make_sig(ADMIN, time_=now, sig_override=good), SIG_VERIFY_FAILED)
    refused(srv, make_sig(ADMIN, time_=now, userbuf=ub, extra_fields={"TLS.userbuf": ub + "AA"}),
            SIG_VERIFY_FAILED)
    # signed without it, sent with it: 70009
    refused(srv, make_sig(ADMIN, time_=now, extra_fields={"TLS.userbuf": ub}), SIG_VERIFY_FAILED)


# ---------------------------------------------------------------------------------------------
# refused


def test_undecodable_70003(srv):
    now = int(time.time())
    good_doc = json.loads(json.dumps(unwrap(make_sig(ADMIN, time_=now))))
    no_sig = dict(good_doc)
    del no_sig["TLS.sig"]

    def doc_with(**kv):
        d = dict(good_doc)
        for k, v in kv.items():
            d["TLS." + k] = v
        return json.dumps(d, separators=(",", ":"))

    good = make_sig(ADMIN, time_=now)
    rows = [
        ("abc", "abc"),
        ("!!!!", "!!!!"),
        ("****", "****"),
        ("non-zlib bytes", wrap(b"hello world, not zlib")),
        ("raw deflate, no zlib header", wrap(zlib.compress(doc_with().encode())[2:-4])),
        ("gzip, not zlib", wrap(__import__("gzip").compress(doc_with().encode()))),
        ("zlib of non-JSON", make_sig(ADMIN, raw_doc="not json at all")),
        ("zlib of empty", make_sig(ADMIN, raw_doc=b"")),
        ("zlib of JSON array", make_sig(ADMIN, raw_doc=json.dumps([good_doc]))),
        ("zlib of JSON string", make_sig(ADMIN, raw_doc='"x"')),
        ("truncated JSON", make_sig(ADMIN, raw_doc=doc_with()[:-1])),
        ("JSON with trailing comma", make_sig(ADMIN, raw_doc=doc_with()[:-1] + ",}")),
        ("missing TLS.sig", make_sig(ADMIN, raw_doc=json.dumps(no_sig))),
        ("missing TLS.identifier", make_sig(ADMIN, order=[k for k in NPM_ORDER
                                                          if k != "TLS.identifier"])),
        ("missing TLS.time", make_sig(ADMIN, order=[k for k in NPM_ORDER if k != "TLS.time"])),
        ("missing TLS.expire", make_sig(ADMIN, order=[k for k in NPM_ORDER
                                                      if k != "TLS.expire"])),
        ("missing TLS.sdkappid", make_sig(ADMIN, order=[k for k in NPM_ORDER
                                                        if k != "TLS.sdkappid"])),
        ("TLS.time as string", make_sig(ADMIN, time_=1700000000,
                                        extra_fields={"TLS.time": "1700000000"})),
        ("TLS.expire as string", make_sig(ADMIN, time_=now, extra_fields={"TLS.expire": "86400"})),
        ("TLS.sdkappid as string", make_sig(ADMIN, time_=now,
                                            extra_fields={"TLS.sdkappid": SDKAPPID})),
        ("TLS.identifier as number", make_sig("12345", time_=now,
                                              extra_fields={"TLS.identifier": 12345}), "12345"),
        ("TLS.sig as number", make_sig(ADMIN, time_=now, extra_fields={"TLS.sig": 1})),
        ("TLS.sig null", make_sig(ADMIN, time_=now, extra_fields={"TLS.sig": None})),
        ("zlib + trailing garbage", make_sig(ADMIN, time_=now, trailing=b"garbage")),
        ("zlib + one trailing NUL", make_sig(ADMIN, time_=now, trailing=b"\x00")),
        ("two zlib streams", wrap(zlib.compress(doc_with().encode()) * 2)),
        ("truncated zlib", wrap(zlib.compress(doc_with().encode())[:-3])),
        ("good sig cut short", good[:len(good) // 2]),
        ("good sig + garbage chars", good + "!!"),
        ("5000 chars of A", "A" * 5000),
        ("5000 chars, good prefix", (good + "A" * 5000)[:5000]),
        ("7000 chars, good sig + base64 of zeros", good + "A" * (7000 - len(good))),
        # not an admin, and undecodable: the UserSig error comes first
        ("garbage for a non-admin", "abc", "bob"),
    ]
    refused_rows(srv, SIG_UNDECODABLE, rows)
    # 10000 characters: over lighttpd's 8 KiB request-header limit, which answers 431 itself
    # before the application sees the request (a front-server answer); if it does get through,
    # the application must refuse it
    for sig in ("A" * 10000, (good + "A" * 10000)[:10000]):
        for p, body in ((FOLLOW, FOLLOW_BODY), (ACCOUNT, ACCOUNT_BODY)):
            r = srv.raw_request(b"POST /v4/" + p.encode() + b"?" + srv.query(q(sig)).encode() +
                                b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
                                b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
                                % len(Server.encode_body(body)) + Server.encode_body(body),
                                expect_status=(200, 431))
            if r.status == 200:
                expect_fail(r, SIG_UNDECODABLE)


def test_tampered_70009(srv):
    now = int(time.time())
    other_doc_sig = unwrap(make_sig("bob", time_=now))["TLS.sig"]
    rows = [
        ("tampered TLS.expire", make_sig(ADMIN, time_=now, extra_fields={"TLS.expire": 999999999})),
        ("tampered TLS.expire (shorter)", make_sig(ADMIN, time_=now,
                                                   extra_fields={"TLS.expire": 86399})),
        ("tampered TLS.time", make_sig(ADMIN, time_=now, extra_fields={"TLS.time": now + 1})),
        # bob's sig edited to name the admin, sent as the admin: the HMAC catches it
        ("tampered TLS.identifier", make_sig("bob", time_=now,
                                             extra_fields={"TLS.identifier": ADMIN})),
        # the admin's sig edited to name eve, sent as eve: 70009 (before 70013 and the admin check)
        ("tampered TLS.identifier, query matches", make_sig(ADMIN, time_=now,
                                                            extra_fields={"TLS.identifier": "eve"}),
         "eve"),
        ("tampered TLS.sdkappid", make_sig(ADMIN, time_=now,
                                           extra_fields={"TLS.sdkappid": 1400000001})),
        ("TLS.sig of another document", make_sig(ADMIN, time_=now, sig_override=other_doc_sig)),
        ("TLS.sig of the check vector", make_sig(
            ADMIN, time_=now, sig_override="LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=")),
        ("TLS.sig empty", make_sig(ADMIN, time_=now, sig_override="")),
        ("TLS.sig not base64", make_sig(ADMIN, time_=now, sig_override="not base64!")),
        ("TLS.sig signed with another key", make_sig(ADMIN, time_=now, key=OTHER_KEY)),
        # tampered and expired: the signature is checked first
        ("tampered and expired", make_sig(ADMIN, time_=now - 100, expire=10,
                                          extra_fields={"TLS.expire": 11})),
    ]
    refused_rows(srv, SIG_VERIFY_FAILED, rows)


def test_handmade_mismatch(srv):
    now = int(time.time())
    refused(srv, make_sig(ADMIN, 1400000001, now), SIG_OTHER_SDKAPPID)
    refused(srv, make_sig("bob", time_=now), SIG_OTHER_IDENTIFIER, ADMIN)
    refused(srv, make_sig(ADMIN, time_=now), SIG_OTHER_IDENTIFIER, "bob")
    # order of the checks after the HMAC: identifier, then sdkappid, then expiry
    refused(srv, make_sig("bob", 1400000001, now - 100, 10), SIG_OTHER_IDENTIFIER, ADMIN)
    refused(srv, make_sig(ADMIN, 1400000001, now - 100, 10), SIG_OTHER_SDKAPPID)
    # a valid hand-made UserSig for a non-admin
    s = make_sig("bob", time_=now)
    expect_fail(srv.call(FOLLOW, FOLLOW_BODY, query_overrides=q(s, "bob")), FOLLOW_NOT_ADMIN)
    expect_fail(srv.call(ACCOUNT, ACCOUNT_BODY, query_overrides=q(s, "bob")), NOT_ADMIN)


def test_empty_and_missing(srv):
    refused(srv, "", SIG_EMPTY)
    for p, body in ((FOLLOW, FOLLOW_BODY), (ACCOUNT, ACCOUNT_BODY)):
        expect_fail(srv.call(p, body, query_overrides={"usersig": None}), INVALID_QUERY)
        expect_fail(srv.call(p, b"{x", query_overrides={"usersig": None}), INVALID_QUERY)
        expect_fail(srv.call(p, body, query_overrides={"usersig": None, "identifier": "bob"}),
                    INVALID_QUERY)


def test_body_not_revealed(srv):
    # a caller without a valid UserSig learns nothing about the body: never 60003
    now = int(time.time())
    cases = [
        ("undecodable", "abc", SIG_UNDECODABLE, ADMIN),
        ("other key", make_sig(ADMIN, time_=now, key=OTHER_KEY), SIG_VERIFY_FAILED, ADMIN),
        ("other identifier", usersig(ADMIN), SIG_OTHER_IDENTIFIER, "bob"),
        ("other app", make_sig(ADMIN, 1400000001, now), SIG_OTHER_SDKAPPID, ADMIN),
        ("expired", make_sig(ADMIN, time_=now - 100, expire=10), SIG_EXPIRED, ADMIN),
        ("empty", "", SIG_EMPTY, ADMIN),
        ("not an admin", usersig("bob"), None, "bob"),
    ]
    paths = ["follow/follow_add", "follow/follow_delete", "follow/follow_check",
             "follow/follow_get", "follow/follow_get_info",
             "im_open_login_svc/account_import", "im_open_login_svc/multiaccount_import",
             "im_open_login_svc/account_check", "im_open_login_svc/account_delete"]
    fl = Failures()
    for label, sig, code, ident in cases:
        for p in paths:
            want = code
            if want is None:
                want = FOLLOW_NOT_ADMIN if p.startswith("follow") else NOT_ADMIN
            for body in (b"", b"{not json", b"[]"):
                with fl:
                    try:
                        expect_fail(srv.call(p, body, query_overrides=q(sig, ident)), want)
                    except AssertionError as e:
                        raise TestFailure("%s: %s" % (label, e))
    fl.done()
    # and nothing was written by the refused follow_add / account_import calls
    expect_eq(srv.counts("us_a"), (0, 0, 0), "nothing changed")


def test_server_survives(srv):
    accepted(srv, usersig(ADMIN), what="after all the bad UserSigs")


if __name__ == "__main__":
    run_tests(globals())
