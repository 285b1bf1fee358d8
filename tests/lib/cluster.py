"""A replicated group for the tests: three sites on loopback, each a Server (lighttpd, workers,
dispatcher and the site's replication process) with its own data, its own HTTP port and
replication port, all fixed for the group's life so that a killed site comes back where the
others expect it. Helpers read each site with followctl, write through any site, and check that
every site ends up with the same data."""

import os
import subprocess
import threading
import time

from checks import TestFailure
from client import ROOT
from server import Server, free_port

FOLLOWCTL = os.environ.get("FOLLOWCTL") or os.path.join(ROOT, "cgi-bin", "followctl")

__all__ = ["Cluster", "Writers", "ctl", "stats"]


def ctl(site, *args):
    """followctl on a site's config: its stdout (raises on a failure). Tried again for up to
    15 s: a site whose replication process is recovering lets no process open it meanwhile."""
    deadline = time.time() + 15
    while True:
        p = subprocess.run([FOLLOWCTL, "-q", "-c", site.conf_path()] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if p.returncode == 0 or time.time() > deadline or args[0] == "verify":
            break
        time.sleep(0.5)
    if p.returncode != 0:
        raise TestFailure("followctl %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                             p.stderr.decode(errors="replace")))
    return p.stdout.decode()


def stats(site):
    """followctl stats as a dict (repl_site lines as a list)."""
    out = {"repl_site": []}
    for line in ctl(site, "stats").splitlines():
        k, _, v = line.partition(": ")
        if k == "repl_site":
            out[k].append(v)
        else:
            out[k] = v
    return out


class Cluster:
    """Cluster(n=3, **overrides): n sites, overrides as for Server (config keys)."""

    def __init__(self, n=3, procs=2, **overrides):
        self.http = [free_port() for _ in range(n)]
        self.repl = [free_port() for _ in range(n)]
        group = ", ".join("127.0.0.1:%d=http://127.0.0.1:%d" % (r, h)
                          for r, h in zip(self.repl, self.http))
        self.sites = [Server(procs=procs, port=self.http[i],
                             repl_self="127.0.0.1:%d" % self.repl[i], repl_sites=group,
                             **overrides) for i in range(n)]
        self.up = [False] * n

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.print_logs()
            self.stop()
            raise
        return self

    def __exit__(self, et, ev, tb):
        if et is not None:
            self.print_logs()
        for s in self.sites:
            s.__exit__(et, ev, tb)
        return False

    def print_logs(self):
        for i, s in enumerate(self.sites):
            print("==== site %d" % i)
            s.print_log_tail(30)

    def start(self):
        for i in range(len(self.sites)):
            self.start_site(i)
        self.wait_writable(0, 30)

    def start_site(self, i):
        self.sites[i].start()
        self.up[i] = True

    def kill_site(self, i):
        """SIGKILL of every process of site i (lighttpd, workers, dispatcher, replication)."""
        self.sites[i].kill()
        self.up[i] = False

    def stop_site(self, i):
        self.sites[i].stop()
        self.up[i] = False

    def stop(self):
        for i, s in enumerate(self.sites):
            s.stop()
            self.up[i] = False

    def live(self):
        return [i for i in range(len(self.sites)) if self.up[i]]

    def master(self, timeout=10):
        """The index of the site that says it is the master (waits for one)."""
        deadline = time.time() + timeout
        while True:
            for i in self.live():
                if stats(self.sites[i]).get("repl_role") == "master":
                    return i
            if time.time() > deadline:
                raise TestFailure("no live site is the master after %ss" % timeout)
            time.sleep(0.1)

    def replicas(self):
        m = self.master()
        return [i for i in self.live() if i != m]

    def wait_writable(self, i, timeout):
        """Waits until an (idempotent) write through site i is acknowledged; returns seconds."""
        t0 = time.time()
        last = None
        while time.time() - t0 < timeout:
            try:
                r = self.sites[i].call("im_open_login_svc/account_import", {"UserID": "probe"})
                if r.get("ErrorCode") == 0:
                    return time.time() - t0
                last = r
            except Exception as e:  # noqa: BLE001 - not answering yet
                last = e
                self.sites[i]._drop_conn()
            time.sleep(0.05)
        raise TestFailure("site %d takes no write after %ss: %r" % (i, timeout, last))

    def exports(self):
        return [ctl(self.sites[i], "export") for i in self.live()]

    def wait_same(self, timeout):
        """Waits until every live site exports the same data; returns it."""
        deadline = time.time() + timeout
        while True:
            ex = self.exports()
            if all(e == ex[0] for e in ex):
                return ex[0]
            if time.time() > deadline:
                sizes = [len(e.splitlines()) for e in ex]
                raise TestFailure("exports of sites %s still differ after %ss (lines: %s)"
                                  % (self.live(), timeout, sizes))
            time.sleep(0.2)

    def check_edges(self, edges, sites=None, timeout=10):
        """Every (from, to) of edges is a follow on each of sites (default: the live ones)."""
        by_from = {}
        for f, t in edges:
            by_from.setdefault(f, []).append(t)
        for i in sites if sites is not None else self.live():
            deadline = time.time() + timeout
            for f, tos in by_from.items():
                for k in range(0, len(tos), 100):
                    chunk = tos[k:k + 100]
                    while True:
                        # A site recovering after a kill may fail a read meanwhile (30006 from
                        # a worker that gives up on the recovered database, or no answer while
                        # the site's processes restart): what is checked is that the follows
                        # are there once it answers.
                        try:
                            r = self.sites[i].follow_check(f, chunk)
                        except Exception as e:  # noqa: BLE001 - tried again until deadline
                            self.sites[i]._drop_conn()
                            r = {"ErrorCode": -1, "ErrorInfo": repr(e)[:300]}
                        missing = [x["To_Account"] for x in r.get("ResultItem", [])
                                   if x.get("FollowType") not in (2, 3)]
                        if r.get("ErrorCode") == 0 and not missing:
                            break
                        if time.time() > deadline:
                            raise TestFailure("site %d lacks acknowledged follows of %s: %s (%r)"
                                              % (i, f, missing[:10], r.get("ErrorInfo")))
                        time.sleep(0.1)


class Writers:
    """Threads that add follows through some sites until stopped: each from its own account to
    a fresh target each time; keeps every acknowledged (from, to) and the time of each answer."""

    def __init__(self, cluster, through, targets, per_thread=1):
        self.cluster = cluster
        self.through = through
        self.targets = targets
        self.acked = []
        self.answers = []  # (time, site, ErrorCode)
        self.errors = []  # (time, site, ErrorCode, ErrorInfo) of each failed call
        self.inflight = {}  # thread name -> (start time, site) of the call it waits for
        self.lock = threading.Lock()
        self.stopping = False
        self.threads = []
        self.names = ["w%d_%d" % (s, k) for s in through for k in range(per_thread)]

    def _run(self, site, name):
        srv = self.cluster.sites[site]
        n = 0
        # Round the targets again when they run out (a re-follow is acknowledged too): a writer
        # that had nothing left to write before a kill measured nothing after it.
        while not self.stopping:
            to = self.targets[n % len(self.targets)]
            with self.lock:
                self.inflight[name] = (time.time(), site)
            try:
                r = srv.follow_add(name, [to])
                code = r.get("ErrorCode")
                ok = code == 0 and r["ResultItem"][0]["ResultCode"] == 0
            except Exception:  # noqa: BLE001 - the site may be down: try again
                srv._drop_conn()
                code, ok, r = -1, False, {}
            with self.lock:
                del self.inflight[name]
                self.answers.append((time.time(), site, code))
                if not ok:
                    self.errors.append((time.time(), site, code,
                                        r.get("ErrorInfo") if code != -1 else "no answer"))
                if ok:
                    self.acked.append((name, to))
            if ok:
                n += 1
            else:
                time.sleep(0.02)

    def start(self):
        for name in self.names:
            site = int(name[1:].split("_")[0])
            t = threading.Thread(target=self._run, args=(site, name), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        self.stopping = True
        for t in self.threads:
            t.join(60)

    def describe_errors(self, since, limit=8):
        """The failed calls since `since` by kind, and the calls still waiting (before stop)."""
        with self.lock:
            errs = [e for e in self.errors if e[0] > since]
            waiting = ["site %d since %+.2fs" % (site, t0 - since)
                       for t0, site in self.inflight.values()]
        kinds = {}
        for t, site, code, info in errs:
            kinds.setdefault((site, code, info), []).append(t - since)
        out = ["site %d: %s %s x%d (first at +%.2fs)" % (k[0], k[1], k[2], len(v), v[0])
               for k, v in list(kinds.items())[:limit]]
        if waiting:
            out.append("calls still waiting for an answer: " + ", ".join(waiting))
        return "; ".join(out) or "no call answered"

    def first_ok_after(self, t):
        with self.lock:
            oks = [a[0] for a in self.answers if a[0] > t and a[2] == 0]
        return min(oks) if oks else None

    def oks_after(self, t):
        with self.lock:
            return sum(1 for a in self.answers if a[0] > t and a[2] == 0)
