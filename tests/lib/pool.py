"""The service as a standalone FastCGI pool (scripts/pool.sh: spawn-fcgi execs multiwatch, which
forks the workers), the webhook dispatcher under a second such pair, and a web server in front
that only connects to the pool's socket (nginx, Apache mod_proxy_fcgi). Each of the three runs
in a process group of its own, so that stopping one leaves nothing behind."""

import os
import signal
import subprocess
import time

from client import ROOT
from server import Server, _group_alive, _killpg, _wait_group_gone, live_processes

__all__ = ["POOL_SH", "PoolServer", "children", "stop_group"]

POOL_SH = os.path.join(ROOT, "scripts", "pool.sh")


def children(pid):
    """PIDs of the living (not zombie) children of pid, in increasing order."""
    return sorted(p for p, ppid, _ in live_processes() if ppid == pid)


def stop_group(proc, what):
    """SIGTERM to proc's process group, then waits until no process of it is left. multiwatch
    passes the TERM on to its children; one it forked in the very moment of the TERM can miss
    it (the signal came between fork and exec), so a second TERM follows before SIGKILL."""
    if proc is None:
        return
    for i, (sig, seconds) in enumerate(((signal.SIGTERM, 5), (signal.SIGTERM, 5),
                                        (signal.SIGKILL, 10))):
        if i:  # a process that ignores a stop is a bug of its own: say so
            print("  %s: group %d still running %d s after SIGTERM; sending %s"
                  % (what, proc.pid, 5 * i, signal.Signals(sig).name))
        _killpg(proc.pid, sig)
        deadline = time.time() + seconds
        while proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        if proc.poll() is not None and _wait_group_gone(proc.pid, max(0.0, deadline - time.time())):
            return
    if _group_alive(proc.pid):
        raise RuntimeError("processes of %s's group %d survive SIGKILL" % (what, proc.pid))


class PoolServer(Server):
    """Server whose host is a web server in front of scripts/pool.sh (PROCS workers on
    rundir/pool.sock) and of a dispatcher (`pool.sh rundir/dispatcher.sock 1 --dispatch`).
    A subclass writes its web server's config in front_command() and returns the command that
    serves it in the foreground; the rest of Server (start, readiness, stop, logs) is shared."""

    def __init__(self, procs=2, rundir=None, **overrides):
        Server.__init__(self, procs, rundir, **overrides)
        self.pool = None
        self.dispatcher = None

    def socket_path(self):
        return os.path.join(self.rundir, "pool.sock")

    def front_command(self):
        raise NotImplementedError

    def _spawn(self, name, args):
        """Starts pool.sh in a process group of its own; returns once its socket listens."""
        sock = os.path.join(self.rundir, name + ".sock")
        env = dict(os.environ, FOLLOW_CONF=self.conf_path())  # FOLLOW_FCGI, SANITIZER_LOG pass
        with open(os.path.join(self.rundir, name + ".out"), "ab") as out:
            proc = subprocess.Popen([POOL_SH, sock] + args, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 10
        # spawn-fcgi binds and listens before it execs multiwatch: the exec is the sign.
        while not self._is_multiwatch(proc.pid):
            if proc.poll() is not None or time.time() > deadline:
                stop_group(proc, name)
                raise RuntimeError("%s did not start: see %s.out" % (name, name))
            time.sleep(0.02)
        return proc

    @staticmethod
    def _is_multiwatch(pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return os.path.basename(f.read().split(b"\0")[0]) == b"multiwatch"
        except OSError:
            return False

    def host_command(self):
        self.pool = self._spawn("pool", [str(self.procs)])
        self.dispatcher = self._spawn("dispatcher", ["1", "--dispatch"])
        return self.front_command()

    def workers(self):
        """The pool's worker PIDs (multiwatch's children)."""
        return children(self.pool.pid)

    def dispatchers(self):
        return children(self.dispatcher.pid)

    def stop(self):
        try:
            Server.stop(self)  # the web server first: no request reaches a stopping pool
        finally:
            pool, disp, self.pool, self.dispatcher = self.pool, self.dispatcher, None, None
            try:
                stop_group(pool, "pool")
            finally:
                stop_group(disp, "dispatcher")

    def kill(self):
        """A crash of everything: SIGKILL to the web server, the pool and the dispatcher."""
        for p in (self.proc, self.pool, self.dispatcher):
            if p is not None and p.poll() is None:
                _killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        Server.kill(self)

    def log_paths(self):
        return Server.log_paths(self) + [os.path.join(self.rundir or "", n + ".out")
                                         for n in ("pool", "dispatcher")]


# ---- what every front of the pool must pass ----
