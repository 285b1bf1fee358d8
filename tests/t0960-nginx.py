#!/usr/bin/env python3
"""The service behind nginx, through the shipped recipes conf/hosting/nginx.conf and
nginx-tls.conf, in front of a standalone FastCGI pool (scripts/pool.sh: spawn-fcgi + multiwatch)
with the webhook dispatcher under the same pair: one call of each API family; errors, oversized
bodies included, answered by the service itself; the dispatcher SIGKILLed and replaced, still
delivering; workers SIGKILLed under load and replaced without losing an acknowledged change, and
the dispatcher still delivering after that; HTTPS with curl and with Python against a
self-signed certificate; the pool's stop signal; the systemd units (conf/hosting/*.service)."""
import http.client
import json
import os
import pwd
import grp
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from crashload import post, verify  # noqa: E402
from hosting import CONSOLE, render_to  # noqa: E402
from hostchecks import check_console_files, check_errors, check_every_family  # noqa: E402
from pool import POOL_SH, PoolServer, children, stop_group  # noqa: E402
from receiver import Receiver, first_deliveries  # noqa: E402

NGINX = "/usr/sbin/nginx"
RECEIVER = Receiver()  # exists before the server, so callback_url is known
ADD = "Follow.CallbackAfterFollowAdd"
QUERY_KEYS = ["SdkAppid", "CallbackCommand", "contenttype", "ClientIP", "OptPlatform", "EventId"]

WRAPPER = """\
daemon off;
worker_processes 1;
%(user)s
pid %(rundir)s/nginx.pid;
error_log %(rundir)s/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %(tmp)s/body;
    fastcgi_temp_path %(tmp)s/fastcgi;
    proxy_temp_path %(tmp)s/proxy;
    scgi_temp_path %(tmp)s/scgi;
    uwsgi_temp_path %(tmp)s/uwsgi;
    include %(rundir)s/site.conf;
    include %(rundir)s/site-tls.conf;
}
"""


class NginxServer(PoolServer):
    """nginx with both shipped recipes, HTTP on self.port and HTTPS on self.tls_port."""

    def cert(self):
        return os.path.join(self.rundir, "cert.pem")

    def front_command(self):
        rd = self.rundir
        key = os.path.join(rd, "key.pem")
        if not os.path.exists(self.cert()):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
                            "-out", self.cert(), "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.tls_port = free_port()
        render_to(os.path.join(rd, "site.conf"), "nginx.conf",
                  LISTEN="127.0.0.1:%d" % self.port, SOCKET=self.socket_path(), CONSOLE=CONSOLE)
        render_to(os.path.join(rd, "site-tls.conf"), "nginx-tls.conf",
                  LISTEN="127.0.0.1:%d" % self.tls_port, SOCKET=self.socket_path(),
                  TLS_CERT=self.cert(), TLS_KEY=key, CONSOLE=CONSOLE)
        tmp = os.path.join(rd, "nginx-tmp")
        os.makedirs(tmp, exist_ok=True)
        # As root, nginx's workers would switch to nobody, who may enter neither the run
        # directory nor the pool's socket (mode 0660): keep them root here.
        user = "user root root;" if os.geteuid() == 0 else ""
        conf = os.path.join(rd, "nginx.conf")
        with open(conf, "w") as f:
            f.write(WRAPPER % {"user": user, "rundir": rd, "tmp": tmp})
        return [NGINX, "-p", rd + "/", "-e", os.path.join(rd, "error.log"), "-c", conf]


def test_every_family(srv):
    check_every_family(srv, "ng_")


def test_console_files(srv):
    check_console_files(srv)


def test_errors_answered_by_the_service(srv):
    check_errors(srv)


def now_ms():
    return int(time.time() * 1000)


def wait_for(what, fn, seconds):
    """Polls fn() until it returns something true; returns that, or fails after `seconds`."""
    deadline = time.time() + seconds
    while True:
        got = fn()
        if got:
            return got
        if time.time() > deadline:
            raise TestFailure("%s: not within %d s" % (what, seconds))
        time.sleep(0.05)


def expect_add_event(frm, to, t0, t1, mark, after=0, timeout=5, why=""):
    """The webhook of follow_add frm -> to arrives with exactly spec §8's query and body, as
    the first event of frm with an EventId above `after`; returns its record."""
    def mine(r):
        return (r.json is not None and r.json.get("From_Account") == frm and
                (r.event_id or 0) > after)
    recs = RECEIVER.wait(lambda rs: first_deliveries(rs), timeout, mark, mine)
    check(recs, None, "no webhook for %s -> %s within %d s%s" % (frm, to, timeout, why()
                                                               if why else ""))
    rec = recs[0]
    where = "\n  got: %r" % (rec,)
    check(rec.method == "POST" and rec.path == "/cb" and rec.processed, None,
          "a POST to /cb expected" + where)
    check(sorted(k for k, _ in rec.query) == sorted(QUERY_KEYS), None,
          "query parameters should be %s" % QUERY_KEYS + where)
    for k, v in (("SdkAppid", SDKAPPID), ("CallbackCommand", ADD), ("contenttype", "json"),
                 ("ClientIP", "127.0.0.1"), ("OptPlatform", "RESTAPI")):
        check(rec.qdict[k] == v, None, "query %s should be %r" % (k, v) + where)
    check(rec.event_id is not None and rec.event_id > 0, None, "EventId > 0 expected" + where)
    j = rec.json
    check(list(j.keys()) == ["CallbackCommand", "From_Account", "FollowList", "EventTime"], None,
          "body keys" + where)
    check(j["CallbackCommand"] == ADD and j["FollowList"] == [{"To_Account": to}], None,
          "body values" + where)
    check(type(j["EventTime"]) is int and t0 - 1000 <= j["EventTime"] <= t1 + 1000, None,
          "EventTime should be the call's time in ms" + where)
    return rec


def test_dispatcher_killed_is_replaced(srv):
    """The dispatcher delivers; SIGKILLed, multiwatch starts another at once, which delivers
    the next event."""
    a, b, c = "wh_a", "wh_b", "wh_c"
    srv.import_accounts([a, b, c])
    mark, t0 = RECEIVER.mark(), now_ms()
    srv.must_add(a, [b])
    first = expect_add_event(a, b, t0, now_ms(), mark)
    old = srv.dispatchers()
    check(len(old) == 1, None, "one dispatcher expected under multiwatch, found %s" % old)
    os.kill(old[0], signal.SIGKILL)
    new = wait_for("a new dispatcher", lambda: [p for p in srv.dispatchers() if p != old[0]], 5)
    check(len(new) == 1, None, "one dispatcher expected after the kill, found %s" % new)
    mark, t0 = RECEIVER.mark(), now_ms()
    r = srv.follow_add(a, [c])
    if r.get("ErrorCode") == INTERNAL_ERROR:
        # The kill may leave a lock of the dead dispatcher's transaction behind: a worker that
        # met it answers 30006 ("retry") once the new dispatcher's recovery shows.
        print("  follow_add answered 30006 after the kill; calling again")
        r = srv.follow_add(a, [c])
    expect_results(r, "ResultItem", [(c, OK)])
    expect_add_event(a, c, t0, now_ms(), mark, after=first.event_id)
    # Delivery is at least once: killed between the receiver's answer and the removal from
    # the outbox, the first event comes again, unchanged, for the receiver to drop by EventId.
    again = RECEIVER.since(mark, lambda r: r.event_id == first.event_id)
    check(all(r.body == first.body and r.qdict["EventId"] == first.qdict["EventId"]
              for r in again), None, "a repeated event differs: %r vs %r" % (again, first))


KILLS = 3


def _adder(srv, t, stop, acked, unknown, lost, errors):
    """Follows every other account of thread t's own set, one call each, until stop: each
    edge is written once, by this thread only, so an OK answer means it must exist."""
    accts = ["kl%d_%02d" % (t, i) for i in range(30)]
    conn = None
    for frm in accts:
        for to in accts:
            if stop.is_set():
                return
            if frm == to:
                continue
            conn = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
            r = post(conn, srv, "follow/follow_add",
                     {"From_Account": frm, "FollowItem": [{"To_Account": to}]})
            if r is None:
                lost.append((frm, to))  # the killed worker's call: nginx answers 502
                unknown.append((frm, to))
                conn = None
            elif r.get("ErrorCode") == OK and r["ResultItem"][0]["ResultCode"] == OK:
                acked.append((frm, to))
            elif r.get("ErrorCode") == INTERNAL_ERROR:
                unknown.append((frm, to))  # waited on a recovery: the client should retry
            else:
                errors.append(r)
                return


def test_worker_killed_under_load(srv):
    """4 clients call follow_add through nginx; a pool worker is SIGKILLed, 3 times: each time
    multiwatch forks a replacement at once, at most the killed worker's call gets no answer
    (others may get 30006, "retry", from a recovery), and every follow_add that was answered OK
    is there afterwards (follow_check, follow_get, counters, followctl verify)."""
    accts = {t: ["kl%d_%02d" % (t, i) for i in range(30)] for t in range(4)}
    srv.import_accounts([a for t in range(4) for a in accts[t]])
    stop, acked, unknown, lost, errors = threading.Event(), [], [], [], []
    threads = [threading.Thread(target=_adder, args=(srv, t, stop, acked, unknown, lost, errors))
               for t in range(4)]
    for th in threads:
        th.start()
    history = []
    try:
        for k in range(KILLS):
            n = len(acked)
            wait_for("100 more calls answered", lambda: len(acked) >= n + 100 or errors, 10)
            # A recovery can make a stuck worker exit (and be replaced) a moment after a kill.
            before = wait_for("%d workers" % srv.procs, lambda: (
                lambda w: w if len(w) == srv.procs else None)(srv.workers()), 5)
            victim = before[k % len(before)]
            os.kill(victim, signal.SIGKILL)
            after = wait_for("the pool back to %d workers" % srv.procs, lambda: (
                lambda w: w if len(w) == srv.procs and victim not in w else None)(srv.workers()), 5)
            history.append("%s -> %s" % (before, after))
        n = len(acked)
        wait_for("100 more calls answered", lambda: len(acked) >= n + 100 or errors, 10)
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    check(not any(th.is_alive() for th in threads), None, "a client hangs")
    check(not errors, None, "unexpected answers: %r" % errors[:3])
    check(len(lost) <= KILLS, None, "%d calls got no answer for %d kills: %r"
          % (len(lost), KILLS, lost))
    print("  workers %s; %d follow_add acknowledged, %d unanswered, %d answered 30006"
          % ("; ".join(history), len(acked), len(lost), len(unknown) - len(lost)))
    acked_set, unknown_set = set(acked), set(unknown)
    for t in range(4):
        for frm in accts[t]:
            mine = sorted(to for f, to in acked_set if f == frm)
            if mine:
                r = srv.follow_check(frm, mine)
                expect_results(r, "ResultItem", [(to, OK) for to in mine], keys=CHECK_KEYS)
                check(all(it["FollowType"] & 2 for it in r["ResultItem"]), r,
                      "%s should follow every acknowledged target" % frm)
            listed = set(srv.list_ids(frm, FOLLOWING))
            check(set(mine) <= listed, None, "%s: acknowledged follows missing from follow_get: "
                  "%s" % (frm, sorted(set(mine) - listed)))
            extra = {(frm, to) for to in listed} - acked_set - unknown_set
            check(not extra, None, "follows nobody asked for: %s" % sorted(extra))
            expect_eq(srv.counts(frm)[1], len(listed), None, "%s FollowingCount" % frm)
    verify(srv)


def test_dispatcher_survives_worker_kills(srv):
    """The worker kills above leave the dispatcher delivering: the backlog of their events,
    then a new one. (Workers that a killed worker left blocked on a lock notice the recovery
    and exit to be replaced; a dispatcher must not block forever either.)"""
    srv.import_accounts(["wk_a", "wk_b"])
    mark, t0 = RECEIVER.mark(), now_ms()
    srv.must_add("wk_a", ["wk_b"])

    def why():
        pids = srv.dispatchers()
        states = []
        region = os.path.join(srv.rundir, "data", "__db.001")
        for pid in pids:
            try:
                with open("/proc/%d/wchan" % pid) as f:
                    state = "%d waits in %s" % (pid, f.read())
                with open("/proc/%d/maps" % pid) as f:
                    inos = {int(ln.split()[4]) for ln in f if ln.rstrip().endswith(
                        ("/__db.001", "/__db.001 (deleted)"))}
                if inos and os.stat(region).st_ino not in inos:
                    state += " on a region file that a recovery has since re-created"
                states.append(state)
            except OSError:
                states.append("%d gone" % pid)
        return ("; %d events delivered meanwhile (the last %.1f s ago); dispatcher %s"
                % (len(RECEIVER.since(mark)), time.time() - max([r.t for r in RECEIVER.since(
                    mark)] or [t0 / 1000.0]), ", ".join(states) or "missing"))
    expect_add_event("wk_a", "wk_b", t0, now_ms(), mark, timeout=30, why=why)
    print("  the new event arrived %.1f s after the call, behind %d others"
          % (time.time() - t0 / 1000.0, len(RECEIVER.since(mark)) - 1))


def test_tls_with_curl_and_python(srv):
    """nginx-tls.conf with a self-signed certificate for 127.0.0.1: curl trusting it (and not
    trusting it without --cacert), and the Python client with an SSL context that trusts it."""
    a, b = "tls_a", "tls_b"
    srv.import_accounts([a, b])
    url = "https://127.0.0.1:%d/v4/follow/follow_add?%s" % (srv.tls_port, srv.query())
    body = json.dumps({"From_Account": a, "FollowItem": [{"To_Account": b}]})
    p = subprocess.run(["curl", "-sS", "--max-time", "20", "--cacert", srv.cert(),
                        "-H", "Content-Type: application/json", "--data-binary", body, url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(p.returncode == 0, None, "curl failed (%d): %s" % (p.returncode, p.stderr))
    r = Resp(json.loads(p.stdout))
    r.request, r.raw = "curl " + url, p.stdout
    expect_results(r, "ResultItem", [(b, OK)])
    check(list(r.keys()) == ENVELOPE + ["ResultItem"], r, "key order")
    p = subprocess.run(["curl", "-sS", "--max-time", "20", "--data-binary", body, url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(p.returncode == 60, None, "curl without --cacert should fail the certificate check "
          "(exit 60), got %d: %s" % (p.returncode, p.stderr))
    c = Client()
    c.port = srv.tls_port
    c.ssl_context = ssl.create_default_context(cafile=srv.cert())
    try:
        expect_results(c.follow_check(a, [b]), "ResultItem", [(b, OK, {"FollowType": 2})],
                       keys=CHECK_KEYS)
        expect_results(c.follow_check(b, [a]), "ResultItem", [(a, OK, {"FollowType": 1})],
                       keys=CHECK_KEYS)
        expect_fail(c.call("follow/follow_check", b"x" * (1024 * 1024 + 1)), HTTP_PARSE_ERROR)
    finally:
        c.close_connections()


# Stands in for follow.fcgi: records every signal it gets, then exits.
PROBE = """\
#!%s
import os, signal, time
def on(sig, frame):
    with open(os.path.join(os.environ["PROBE_DIR"], "%%d.sig" %% os.getpid()), "a") as f:
        f.write(signal.Signals(sig).name + "\\n")
    os._exit(0)
for s in ("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2"):
    signal.signal(getattr(signal, s), on)
open(os.path.join(os.environ["PROBE_DIR"], "%%d.ready" %% os.getpid()), "w").close()
while True:
    time.sleep(1)
""" % sys.executable


def test_pool_stops_with_a_handled_signal(srv):
    """SIGTERM to multiwatch alone (systemd's KillMode=mixed, a plain `kill PID`): pool.sh
    has it pass the stop on as TERM or INT, which follow.fcgi handles (closing the database
    cleanly), to workers and dispatcher alike; multiwatch exits 0 and leaves nothing behind.
    (multiwatch's default, USR1, and Debian's 1.0.0 reading of "-s TERM", SIGQUIT, both kill.)"""
    for name, args in (("workers", ["2"]), ("dispatcher", ["1", "--dispatch"])):
        d = os.path.join(srv.rundir, "probe-" + name)
        os.makedirs(d)
        probe = os.path.join(d, "probe")
        with open(probe, "w") as f:
            f.write(PROBE)
        os.chmod(probe, 0o755)
        with open(os.path.join(d, "out"), "wb") as out:
            p = subprocess.Popen([POOL_SH, os.path.join(d, "s.sock")] + args, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True,
                                 env=dict(os.environ, FOLLOW_FCGI=probe, PROBE_DIR=d,
                                          FOLLOW_CONF=srv.conf_path()))
        try:
            n = int(args[0])
            wait_for("%d probes ready" % n, lambda: len(
                [x for x in os.listdir(d) if x.endswith(".ready")]) == n, 10)
            kids = children(p.pid)
            check(len(kids) == n, None, "%s: %d children expected, found %s" % (name, n, kids))
            os.kill(p.pid, signal.SIGTERM)
            p.wait(10)
            check(p.returncode == 0, None, "%s: multiwatch exited %s" % (name, p.returncode))
            got = {}
            for k in kids:
                try:
                    with open(os.path.join(d, "%d.sig" % k)) as f:
                        got[k] = f.read().split()
                except OSError:
                    got[k] = []
            check(all(len(v) == 1 and v[0] in ("SIGTERM", "SIGINT") for v in got.values()),
                  None, "%s: each child should get one SIGTERM or SIGINT, got %s" % (name, got))
        finally:
            stop_group(p, name + " probe")


def test_systemd_units(srv):
    """The shipped units pass `systemd-analyze verify` once filled in, and run multiwatch with
    the -r, -t and -s that scripts/pool.sh gives the running pool and dispatcher."""
    running = {}
    for name, proc in (("pool", srv.pool), ("dispatcher", srv.dispatcher)):
        with open("/proc/%d/cmdline" % proc.pid, "rb") as f:
            running[name] = [a.decode() for a in f.read().split(b"\0")[:-1]]
    d = os.path.join(srv.rundir, "units")
    os.makedirs(d)
    values = {"PREFIX": "/usr/local", "CONF": "/usr/local/etc/follow/follow.conf",
              "USER": pwd.getpwuid(os.geteuid()).pw_name,
              "WEB_GROUP": grp.getgrgid(os.getegid()).gr_name,
              "SOCKET": "/run/follow/follow.sock"}
    paths = []
    for name, unit in (("pool", "follow-pool.service"),
                       ("dispatcher", "follow-dispatcher.service")):
        path = render_to(os.path.join(d, unit), unit, **values)
        paths.append(path)
        with open(path) as f:
            execs = [ln.split("=", 1)[1] for ln in f.read().replace("\\\n", " ").splitlines()
                     if ln.startswith("ExecStart=")]
        check(len(execs) == 1, None, "%s: one ExecStart expected" % unit)
        argv = shlex.split(execs[0])
        mw = argv[argv.index("--") + 1:]
        check(mw[0] == shutil.which("multiwatch") and argv[0] == shutil.which("spawn-fcgi"), None,
              "%s: spawn-fcgi execs multiwatch: %s" % (unit, argv))
        want = running[name]
        for opt in ("-r", "-t", "-s"):
            expect_eq(mw[mw.index(opt) + 1], want[want.index(opt) + 1], None,
                      "%s: multiwatch %s as pool.sh runs it (%s)" % (unit, opt, want))
        check(mw[mw.index("--") + 1:] == ["/usr/local/lib/follow/follow.fcgi"] +
              (["--dispatch"] if name == "dispatcher" else []), None,
              "%s: the program: %s" % (unit, mw))
    tool = shutil.which("systemd-analyze")
    if not tool:
        print("  systemd-analyze is not installed: the units are not verified")
        return
    p = subprocess.run([tool, "verify"] + paths, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    check(p.returncode == 0 and not re.search(r"\S", p.stdout), None,
          "systemd-analyze verify: %d\n%s" % (p.returncode, p.stdout))


if __name__ == "__main__":
    try:
        run_tests(globals(), server_class=NginxServer, callback_url=RECEIVER.url("/cb"))
    finally:
        RECEIVER.stop()
