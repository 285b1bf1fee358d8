#!/usr/bin/env python3
"""Resource faults: the data folder's disk full (a small tmpfs), a read-only data folder, a
corrupt config. Each gives a clear error (30006 / 70500 for requests, a start-up message
otherwise), nothing acknowledged is lost, and the service recovers once the fault is gone."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from crashload import fcgi_children, verify  # noqa: E402

# On a full disk Berkeley DB may also die growing a mapped region file (SIGBUS); lighttpd
# replaces the worker. That is the fault itself, not a memory error: the sanitizer build must
# not count it.
os.environ["ASAN_EXTRA"] = "handle_sigbus=0"


def mount(args, target):
    p = subprocess.run(["mount"] + args + [target], stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise TestFailure("this test needs root and mount (%s)" % p.stderr.strip())


def umount(target):
    subprocess.run(["umount", "-l", target], stderr=subprocess.DEVNULL)


def raw_call(srv, path, body):
    """(HTTP status, JSON or None), never raising: a fault may cost a backend restart."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
        c.request("POST", "/v4/%s?%s" % (path, srv.query()), json.dumps(body))
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, (json.loads(data) if r.status == 200 else None)
    except (OSError, http.client.HTTPException, ValueError):
        return 0, None


def wait_steady(srv):
    """Workers that abandoned the full environment are replaced after their answer: wait for
    30 OK answers in a row before reading the state."""
    steady, until = 0, time.time() + 60
    while steady < 30 and time.time() < until:
        status, r = raw_call(srv, "follow/follow_check", {"From_Account": "df_star", "To_Account": ["df_00"]})
        steady = steady + 1 if r and r["ErrorCode"] == OK else 0
    check(steady >= 30, None, "the service did not settle after the fault")


def wait_until_ok(srv, path, body, seconds=30):
    until = time.time() + seconds
    while time.time() < until:
        status, r = raw_call(srv, path, body)
        if r and r["ErrorCode"] == OK:
            return r
        time.sleep(0.2)
    raise TestFailure("the service did not recover: last answer %r" % (r,))


def test_disk_full(srv):
    """srv's data folder lives on a small tmpfs (see TmpfsServer); fill it, write, free it."""
    srv.import_accounts(["df_star"] + ["df_%02d" % i for i in range(40)])
    acked = set()
    for i in range(20):
        r = srv.follow_add("df_%02d" % i, ["df_star"])
        expect_ok(r, ["ResultItem"])
        acked.add("df_%02d" % i)
    filler = os.path.join(srv.fault_mount, "filler")
    subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=1M", "count=512"],
                   stderr=subprocess.DEVNULL)
    codes, other = {}, 0
    for i in range(20, 40):
        # Writes whose log cannot be written are refused with an internal error, never OK.
        status, r = raw_call(srv, "im_open_login_svc/account_import",
                             {"UserID": "df_big_%d" % i, "Nick": "n" * 500})
        if r:
            codes[r["ErrorCode"]] = codes.get(r["ErrorCode"], 0) + 1
        else:
            other += 1  # a worker Berkeley DB could not grow a region for is being replaced
        status, r = raw_call(srv, "follow/follow_add",
                             {"From_Account": "df_%02d" % i, "FollowItem": [{"To_Account": "df_star"}]})
        if r and r["ErrorCode"] == OK:
            acked.add("df_%02d" % i)
        elif r:
            codes[r["ErrorCode"]] = codes.get(r["ErrorCode"], 0) + 1
        else:
            other += 1
    print("  answers while the disk was full: %r (and %d from lighttpd while a worker was "
          "replaced)" % (codes, other))
    check(set(codes) <= {OK, INTERNAL_ERROR, NON_FOLLOW_INTERNAL_ERROR}, None,
          "only internal errors while full: %r" % codes)
    check(codes.get(INTERNAL_ERROR, 0) + codes.get(NON_FOLLOW_INTERNAL_ERROR, 0) >= 20, None,
          "a full disk must show as 30006/70500 on most calls: %r" % codes)
    os.remove(filler)
    wait_until_ok(srv, "follow/follow_add", {"From_Account": "df_39", "FollowItem": [{"To_Account": "df_star"}]})
    acked.add("df_39")
    wait_steady(srv)
    fans = set(srv.list_ids("df_star", FANS))
    check(acked <= fans, None, "acknowledged follows lost: %r" % sorted(acked - fans))
    expect_eq(srv.counts("df_star")[0], len(fans), None, "fan counter after the fault")
    verify(srv)


def store_failed(log):
    """The pids that logged a failed store open (follow[PID] ...; answering 30006 ...)."""
    pids = set()
    for line in log.splitlines():
        if line.startswith("follow[") and "answering 30006 until the fault is fixed" in line:
            pids.add(int(line[len("follow["):line.index("]")]))
    return pids


def test_read_only_data_folder(srv):
    """A second server whose data folder is read-only from the start, then made writable."""
    base = tempfile.mkdtemp(prefix="follow-ro-")
    data = os.path.join(base, "data")
    os.makedirs(data)
    mount(["--bind", data], data)
    mount(["-o", "remount,bind,ro"], data)
    try:
        with Server(data_dir=data) as ro:
            status, r = raw_call(ro, "im_open_login_svc/account_import", {"UserID": "ro_a"})
            expect_eq((status, r and r["ErrorCode"]), (200, NON_FOLLOW_INTERNAL_ERROR), r,
                      "read-only folder: 70500")
            status, r = raw_call(ro, "follow/follow_check", {"From_Account": "ro_a", "To_Account": ["ro_b"]})
            expect_eq((status, r and r["ErrorCode"]), (200, INTERNAL_ERROR), r,
                      "read-only folder: 30006")
            log = ro.log_text()
            check("Read-only file system" in log or "read-only" in log.lower(), None,
                  "the log should say why: %s" % log[-2000:])
            # Every worker must have tried and failed before the folder turns writable: one
            # slow to start (the sanitizer build, a busy machine) would open the store after
            # it, and is then no worker of the read-only time.
            until = time.time() + 20
            while True:
                workers = set(fcgi_children(ro, "worker"))
                faulty = workers & store_failed(ro.log_text())
                if workers == faulty or time.time() > until:
                    break
                time.sleep(0.05)
            expect_eq(workers - faulty, set(), None, "workers that did not report the fault")
            mount(["-o", "remount,bind,rw"], data)
            wait_until_ok(ro, "im_open_login_svc/account_import", {"UserID": "ro_a"})
            # A worker without a store answers 30006 until a request shows it (a forked probe,
            # at most once a second) that a fresh process would open it; then it exits and is
            # replaced. Requests reach every waiting worker in turn, so this ends quickly.
            until = time.time() + 30
            while set(fcgi_children(ro, "worker")) & faulty and time.time() < until:
                raw_call(ro, "follow/follow_check", {"From_Account": "ro_a", "To_Account": ["ro_a"]})
                time.sleep(0.05)
            check(not set(fcgi_children(ro, "worker")) & faulty, None,
                  "workers of the read-only time still serve after 30 s")
            expect_eq(ro.follow_type("ro_a", "ro_a"), 0, None, "works after the fault")
    finally:
        umount(data)
        shutil.rmtree(base, ignore_errors=True)


def test_corrupt_config_stops_start(srv):
    bad = os.path.join(srv.rundir, "corrupt.conf")
    with open(srv.conf_path()) as f:
        write_private(bad, f.read().replace("durability = write", "durability = sometimes"))
    p = subprocess.run([os.path.join(ROOT, "scripts", "run.sh"), "18999", bad, "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    check(p.returncode != 0, None, "make run must not start on a corrupt config")
    check("%s:" % bad in p.stderr and "durability" in p.stderr, None,
          "the message names file, line and key: %r" % p.stderr)


class TmpfsServer(Server):
    """A server whose data folder is a small tmpfs, so the test can fill its disk."""

    def start(self):
        if not getattr(self, "fault_mount", None):
            self.fault_mount = tempfile.mkdtemp(prefix="follow-full-")
            mount(["-t", "tmpfs", "-o", "size=160m", "tmpfs"], self.fault_mount)
            self.overrides["data_dir"] = os.path.join(self.fault_mount, "data")
        Server.start(self)

    def stop(self):
        Server.stop(self)
        if getattr(self, "fault_mount", None) and self.proc is None:
            umount(self.fault_mount)
            os.rmdir(self.fault_mount)
            self.fault_mount = None


if __name__ == "__main__":
    run_tests(globals(), server_class=TmpfsServer)
