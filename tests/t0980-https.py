#!/usr/bin/env python3
"""HTTPS as `make run TLS_CERT=... TLS_KEY=...` serves it: lighttpd's mod_openssl with the shipped
recipe conf/hosting/lighttpd-tls.conf (rendered by scripts/lighttpd-conf.sh) and a self-signed
certificate. curl and the Python client call the API over TLS, plain HTTP still answers on its
port, an untrusted certificate is refused, and scripts/run.sh refuses half a TLS setup before it
starts anything."""
import difflib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from hosting import render  # noqa: E402

LIGHTTPD_CONF_SH = os.path.join(ROOT, "scripts", "lighttpd-conf.sh")
RUN_SH = os.path.join(ROOT, "scripts", "run.sh")
OK_ENVELOPE = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", "ErrorDisplay": ""}
TLS_VARS = ("TLS_CERT", "TLS_KEY", "TLS_PORT")


def env_without_tls(**extra):
    env = {k: v for k, v in os.environ.items() if k not in TLS_VARS}
    env.update(extra)
    return env


class TlsServer(Server):
    """lighttpd configured as run.sh does it with TLS_CERT/TLS_KEY/TLS_PORT set."""

    def cert(self):
        return os.path.join(self.rundir, "cert.pem")

    def key(self):
        return os.path.join(self.rundir, "key.pem")

    def tls_env(self):
        return env_without_tls(TLS_CERT=self.cert(), TLS_KEY=self.key(),
                               TLS_PORT=str(self.tls_port))

    def host_command(self):
        if not os.path.exists(self.cert()):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", self.key(), "-out", self.cert()],
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # free_port may hand out the HTTP port again: it is free until lighttpd binds it.
        for _ in range(100):
            self.tls_port = free_port()
            if self.tls_port != self.port:
                break
        out = subprocess.run([LIGHTTPD_CONF_SH, ROOT, self.rundir, str(self.port), self.conf_path(),
                              str(self.procs)], env=self.tls_env(), check=True,
                             stdout=subprocess.PIPE).stdout
        lconf = os.path.join(self.rundir, "lighttpd.conf")
        with open(lconf, "wb") as f:
            f.write(out)
        return ["lighttpd", "-D", "-f", lconf]

    def https_client(self, cafile):
        c = Client()
        c.port = self.tls_port
        c.ssl_context = ssl.create_default_context(cafile=cafile)
        return c


def curl(srv, path, body, trust=True):
    """curl's exit status and, when it succeeded, the parsed JSON answer of a POST over HTTPS."""
    url = "https://127.0.0.1:%d/v4/%s?%s" % (srv.tls_port, path, srv.query())
    # -q: no ~/.curlrc (an -k there would trust anything)
    cmd = ["curl", "-q", "-sS", "--max-time", "20", "-H", "Content-Type: application/json",
           "--data-binary", json.dumps(body), "-w", "\n%{http_code}", url]
    if trust:
        cmd[1:1] = ["--cacert", srv.cert()]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        return p.returncode, p.stderr.decode("utf-8", "replace")
    raw, _, status = p.stdout.decode("utf-8").rpartition("\n")
    expect_eq(status, "200", "HTTP status of %s" % path)
    return 0, json.loads(raw)


def must_curl(srv, path, body, expected):
    rc, got = curl(srv, path, body)
    expect_eq(rc, 0, "curl exit status for %s (%s)" % (path, got))
    expect_eq(got, expected, "answer of %s over HTTPS" % path)


def test_curl_over_https(srv):
    for u in ("tls_a", "tls_b"):
        must_curl(srv, "im_open_login_svc/account_import", {"UserID": u, "Nick": u.upper()},
                  OK_ENVELOPE)
    must_curl(srv, "follow/follow_add",
              {"From_Account": "tls_a", "FollowItem": [{"To_Account": "tls_b"}]},
              dict(OK_ENVELOPE, ResultItem=[{"To_Account": "tls_b", "ResultCode": 0,
                                             "ResultInfo": ""}]))
    must_curl(srv, "follow/follow_check", {"From_Account": "tls_a", "To_Account": ["tls_b"]},
              dict(OK_ENVELOPE, ResultItem=[{"To_Account": "tls_b", "ResultCode": 0,
                                             "ResultInfo": "", "FollowType": 2}]))


def test_python_client_over_https(srv):
    c = srv.https_client(srv.cert())
    try:
        expect_results(c.follow_add("tls_b", ["tls_a"]), "ResultItem", [("tls_a", OK)])
        expect_results(c.follow_check("tls_a", ["tls_b"]), "ResultItem",
                       [("tls_b", OK, {"FollowType": 3})], keys=CHECK_KEYS)
        r = c.follow_get("tls_a", MUTUAL)
        expect_get_page(r)
        expect_eq([it["To_Account"] for it in r["FollowItem"]], ["tls_b"], r, "mutual list")
    finally:
        c.close_connections()
    with socket.create_connection(("127.0.0.1", srv.tls_port), timeout=20) as raw, \
            c.ssl_context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        expect_eq((tls.version() in ("TLSv1.2", "TLSv1.3"), tls.getpeercert()["subjectAltName"]),
                  (True, (("IP Address", "127.0.0.1"), ("DNS", "localhost"))),
                  "TLS 1.2 or 1.3 with the test's certificate (%s)" % tls.version())


def test_plain_http_still_answers(srv):
    # the same service and data behind both ports
    r = srv.follow_get_info("tls_a", ["tls_b"])
    expect_results(r, "FollowInfo",
                   [("tls_b", OK, {"FollowerCount": 1, "FollowingCount": 1,
                                   "MutualFollowingCount": 1})], keys=INFO_KEYS)


def test_untrusted_certificate_refused(srv):
    rc, err = curl(srv, "follow/follow_check", {"From_Account": "tls_a", "To_Account": ["tls_b"]},
                   trust=False)
    expect_eq(rc, 60, "curl exit status without --cacert (%s)" % err)
    c = srv.https_client(None)  # the system's trusted CAs only
    try:
        c.follow_check("tls_a", ["tls_b"])
        raise TestFailure("the Python client accepted a self-signed certificate")
    except ssl.SSLCertVerificationError:
        pass
    finally:
        c.close_connections()


def test_config_is_plain_config_plus_recipe(srv):
    with open(os.path.join(srv.rundir, "lighttpd.conf")) as f:
        served = f.read()
    plain = subprocess.run([LIGHTTPD_CONF_SH, ROOT, srv.rundir, str(srv.port), srv.conf_path(),
                            str(srv.procs)], env=env_without_tls(), check=True,
                           stdout=subprocess.PIPE, text=True).stdout
    recipe = render("lighttpd-tls.conf", TLS_ADDR="127.0.0.1", TLS_PORT=srv.tls_port,
                    TLS_CERT=srv.cert(), TLS_KEY=srv.key())
    diff = "".join(difflib.unified_diff((plain + recipe).splitlines(True), served.splitlines(True),
                                        "lighttpd-conf.sh without TLS + recipe", "served"))
    check(diff == "", diff, "lighttpd.conf with TLS is not the plain one plus the recipe")


def run_sh(srv, port, **tls):
    """scripts/run.sh PORT CONF 1 with these TLS_* variables: (exit status, stdout, stderr). A
    run.sh that wrongly went on to start lighttpd is stopped (its whole group) after 20 s."""
    p = subprocess.Popen([RUN_SH, str(port), srv.conf_path(), "1"], env=env_without_tls(**tls),
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise TestFailure("run.sh %r did not stop by itself" % (tls,))
    return p.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def test_run_sh_refuses_half_a_tls_setup(srv):
    port = free_port()  # nothing may come to listen there
    missing = os.path.join(srv.rundir, "no-such-key.pem")
    rows = [
        ({"TLS_CERT": srv.cert()}, "run.sh: HTTPS needs both TLS_CERT"),
        ({"TLS_KEY": srv.key()}, "run.sh: HTTPS needs both TLS_CERT"),
        ({"TLS_CERT": srv.cert(), "TLS_KEY": missing},
         "run.sh: TLS_KEY=%s is not a readable file" % missing),
        ({"TLS_CERT": srv.rundir, "TLS_KEY": srv.key()},
         "run.sh: TLS_CERT=%s is not a readable file" % srv.rundir),
        ({"TLS_CERT": srv.cert(), "TLS_KEY": srv.key(), "TLS_PORT": str(port)},
         "run.sh: TLS_PORT must differ from PORT"),
    ]
    fl = Failures()
    for tls, message in rows:
        with fl:
            rc, out, err = run_sh(srv, port, **tls)
            expect_eq((rc, out), (2, ""), "exit status and stdout of run.sh with %r (stderr %r)"
                      % (tls, err))
            check(err.startswith(message) and err.count("\n") == 1, err,
                  "run.sh with %r should say only %r" % (tls, message))
    with fl:
        check(not os.path.exists(os.path.join(ROOT, "run", str(port))), None,
              "run.sh created its run directory before refusing")
    fl.done()


if __name__ == "__main__":
    run_tests(globals(), server_class=TlsServer)
