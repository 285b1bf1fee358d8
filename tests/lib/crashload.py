"""Crash tests' shared machinery: clients that follow and unfollow a hot account while a killer
SIGKILLs parts of the service, a record of every change the server acknowledged, and the checks
afterwards (every acknowledged change present, counters equal lists, followctl verify)."""
import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time

from checks import check, expect_eq
from client import FANS, FOLLOWING, MUTUAL, ROOT
from codes import INTERNAL_ERROR, OK

STAR = "cr_star"
CALL_TIMEOUT = 20  # a call that takes longer is a hang
SNAPSHOT_AFTER = 8  # a call this old has the service's processes looked at, once, for the report
MIN_ACKED = 100  # acknowledged calls a crash round must carry to prove anything
STRETCH = 3  # a slow host's load runs on until MIN_ACKED, up to this many times its seconds
FOLLOWCTL = os.environ.get("FOLLOWCTL") or os.path.join(ROOT, "cgi-bin", "followctl")


def fan(t, i):
    return "cr_f%02d_%d" % (t, i)


def accounts(threads, fans_each):
    return [STAR] + [fan(t, i) for t in range(threads) for i in range(fans_each)]


def post(conn, srv, path, body):
    """One call; the parsed JSON on HTTP 200, None on a transport error or another status (the
    outcome is then unknown to the client)."""
    try:
        conn.request("POST", "/v4/%s?%s" % (path, srv.query()), json.dumps(body).encode(),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
        return json.loads(data) if resp.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        conn.close()
        return None


class LoadWindow:
    """How long a crash round's load runs: its seconds, then on until MIN_ACKED calls were
    acknowledged, at most STRETCH times as long. The sanitizer build under plain CGI pays about
    75 ms a call (46 of them LeakSanitizer's check at exit), so on a slow machine six seconds of
    kills carried fewer calls than the check asks for (97 of 100 in a clean-clone run), which
    said nothing about lost writes; the same check with more time does."""

    def __init__(self, seconds, stats):
        self.start = time.time()
        self.least = self.start + seconds
        self.most = self.start + seconds * STRETCH
        self.stats = stats

    def open(self, margin=0.0):
        """True while the load goes on (margin seconds before its end, or after for a negative
        margin)."""
        now = time.time() + margin
        return now < self.least or (self.stats["ok"] <= MIN_ACKED and now < self.most)


def client(srv, t, fans_each, window, known, stats, errors, started):
    rnd = random.Random(t)
    conn = None
    while window.open():
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=CALL_TIMEOUT)
        f = fan(t, rnd.randrange(fans_each))
        # Each edge is written by one client only, so its last acknowledged state is known.
        frm, to = (f, STAR) if rnd.random() < 0.7 else (STAR, f)
        add = rnd.random() < 0.55
        t0 = started[t] = time.time()
        if add:
            r = post(conn, srv, "follow/follow_add", {"From_Account": frm, "FollowItem": [{"To_Account": to}]})
        else:
            r = post(conn, srv, "follow/follow_delete", {"From_Account": frm, "To_Account": [to]})
        started[t] = None
        if time.time() - t0 >= CALL_TIMEOUT - 1:
            errors.append("a call took %.1fs (hang)" % (time.time() - t0))
        if r is None:
            stats["lost"] += 1
            known[(frm, to)] = None  # unknown until the next acknowledged call
            conn = None
            time.sleep(0.01)
            continue
        if r.get("ErrorCode") == OK and r["ResultItem"][0]["ResultCode"] == OK:
            stats["ok"] += 1
            known[(frm, to)] = add
        elif r.get("ErrorCode") == INTERNAL_ERROR:
            stats["busy"] += 1
            known[(frm, to)] = None
        else:
            errors.append("unexpected answer: %r" % (r,))


def _children(pid):
    """pid's children, from the kernel's list of each of its threads' children: microseconds,
    where a scan of /proc (pgrep) took milliseconds, longer than a CGI process lives."""
    found = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                found += [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        pass  # gone meanwhile
    return found


def _program(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")[0]


def _descendants(pid):
    """pid's descendants and their programs, not looking below a .fcgi process: its only child
    is, under the sanitizer build, LeakSanitizer's tracer, forked at exit, and killing that left
    the process spinning for ever."""
    found = []
    for child in _children(pid):
        try:
            program = _program(child)
        except OSError:
            continue  # gone meanwhile
        found.append((child, program))
        if not program.endswith(b".fcgi"):
            found += _descendants(child)
    return found


def fcgi_children(srv, role=None):
    """The service's FastCGI processes below lighttpd (workers are multiwatch's children, the
    dispatcher lighttpd's own), or its CGI processes: all of them, or those of one role
    ("worker", "dispatcher")."""
    pids = []
    for pid, program in _descendants(srv.proc.pid):
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                is_dispatcher = b"FOLLOW_ROLE=dispatcher" in f.read().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if not program.endswith(b".fcgi") or program.endswith(b"null.fcgi"):
            continue
        if role is None or role == ("dispatcher" if is_dispatcher else "worker"):
            pids.append(pid)
    return pids


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(errors="replace").strip()
    except OSError:
        return "?"


def snapshot(srv):
    """Where each of the service's processes is: age, state, kernel wait, system call and kernel
    stack. Taken while a call hangs, so that a rare hang leaves its cause behind. Only /proc is
    read: a debugger's attach stops the process, and a first version that ran gdb on each one
    stalled a sanitizer build's restart until the test failed on it (t0911)."""
    lines, hz = [], os.sysconf("SC_CLK_TCK")
    uptime = float(_read("/proc/uptime").split()[0])
    for pid, program in _descendants(srv.proc.pid):
        stat = _read("/proc/%d/stat" % pid).rsplit(")", 1)[-1].split()
        age = uptime - int(stat[19]) / hz if len(stat) > 19 else -1
        lines.append("pid %d %s age %.1fs state %s wchan %s syscall %s" % (
            pid, program.decode(errors="replace"), age, stat[0] if stat else "?",
            _read("/proc/%d/wchan" % pid), _read("/proc/%d/syscall" % pid)))
        lines += ["    k " + l for l in _read("/proc/%d/stack" % pid).splitlines()[:12]]
    return lines


def watch_calls(srv, window, started, report):
    """Takes one snapshot when a call has been running SNAPSHOT_AFTER seconds."""
    while window.open(-CALL_TIMEOUT) and not report:
        now = time.time()
        if any(t0 and now - t0 > SNAPSHOT_AFTER for t0 in list(started.values())):
            report += ["a call has run %ds; the service's processes:" % SNAPSHOT_AFTER] + snapshot(srv)
        time.sleep(0.5)


def kill_workers(srv, window, kills, lock):
    """SIGKILLs a random FastCGI process (worker or dispatcher), or a CGI process, every ~0.5 s."""
    rnd = random.Random(99)
    while window.open():
        time.sleep(rnd.uniform(0.3, 0.7))
        with lock:
            # A plain CGI process lives about a millisecond, often less than one scan of /proc
            # takes: keep looking, and trying, for up to a second until a kill lands.
            until = time.time() + 1.0
            while time.time() < until:
                pids = fcgi_children(srv)
                if pids:
                    try:
                        os.kill(rnd.choice(pids), signal.SIGKILL)
                        kills.append(1)
                        break
                    except ProcessLookupError:
                        pass  # exited between the scan and the kill
                time.sleep(0.002)


def kill_service(srv, window, kills, lock):
    """SIGKILLs lighttpd and every child at random moments, then starts it again."""
    rnd = random.Random(7)
    while window.open(1):
        time.sleep(rnd.uniform(0.8, 1.6))
        with lock:
            srv.restart(crash=True)
            kills.append(1)


def run_load(srv, seconds, killer, threads=12, fans_each=6):
    srv.import_accounts(accounts(threads, fans_each))
    known, stats, errors, kills = {}, {"ok": 0, "lost": 0, "busy": 0}, [], []
    lock = threading.Lock()
    window = LoadWindow(seconds, stats)
    started, report = {}, []
    ths = [threading.Thread(target=client,
                            args=(srv, t, fans_each, window, known, stats, errors, started))
           for t in range(threads)]
    ths.append(threading.Thread(target=killer, args=(srv, window, kills, lock)))
    watcher = threading.Thread(target=watch_calls, args=(srv, window, started, report),
                               daemon=True)
    watcher.start()
    for th in ths:
        th.start()
    for th in ths:
        th.join(max(0.0, window.most + 3 * CALL_TIMEOUT - time.time()))
        if th.is_alive():
            print("\n".join(report))
        check(not th.is_alive(), None, "a client is still blocked: the service hangs")
    print("  %d kills in %.1f s; %d acknowledged, %d unknown (lost with a process), %d answered "
          "30006" % (len(kills), time.time() - window.start, stats["ok"], stats["lost"],
                     stats["busy"]))
    if errors:
        print("\n".join(report))
    check(not errors, None, "\n".join(errors[:10]))
    check(stats["ok"] > MIN_ACKED, None, "too few calls acknowledged: %r" % stats)
    return known, kills


def wait_steady(srv):
    """Processes killed at the very end may still be recovering: wait for steady answers."""
    conn, steady, until = None, 0, time.time() + 60
    while steady < 30 and time.time() < until:
        conn = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=CALL_TIMEOUT)
        r = post(conn, srv, "follow/follow_check", {"From_Account": STAR, "To_Account": [STAR]})
        steady = steady + 1 if r and r.get("ErrorCode") == OK else 0
        if not r:
            conn = None
            time.sleep(0.1)
    check(steady >= 30, None, "the service did not come back after the kills")


def check_state(srv, known, threads=12, fans_each=6):
    wait_steady(srv)
    for (frm, to), state in sorted(known.items()):
        if state is None:
            continue
        got = srv.follow_type(frm, to)
        check(bool(got & 2) == state, None,
              "%s -> %s was acknowledged as %s, FollowType is now %d"
              % (frm, to, "followed" if state else "unfollowed", got))
    for acct in accounts(threads, fans_each):
        fans, following, mutual = (srv.list_ids(acct, k) for k in (FANS, FOLLOWING, MUTUAL))
        expect_eq(srv.counts(acct), (len(fans), len(following), len(mutual)), None,
                  "%s counters vs lists" % acct)
        expect_eq(sorted(mutual), sorted(set(fans) & set(following)), None, "%s mutual" % acct)
    verify(srv)


def verify(srv):
    """followctl verify against the live environment."""
    p = subprocess.run([FOLLOWCTL, "-c", srv.conf_path(), "verify"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(p.returncode == 0, None, "followctl verify failed:\n" + p.stdout[-3000:])
