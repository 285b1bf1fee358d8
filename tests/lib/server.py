"""One instance of the service for the tests: lighttpd (or, in a subclass, another web server) with
cgi-bin/follow.fcgi on a free loopback port, a fresh run directory with its follow.conf and data,
start, stop, crash (SIGKILL) and restart, and the logs."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from client import ADMIN, ROOT, SDKAPPID, SECRET_KEY, Client

__all__ = ["FCGI", "DEFAULT_CONF", "free_port", "write_private", "live_processes", "Server"]

# FOLLOW_FCGI (set by make test for the sanitizer build) replaces the responder binary.
FCGI = os.environ.get("FOLLOW_FCGI") or os.path.join(ROOT, "cgi-bin", "follow.fcgi")
LIGHTTPD_CONF_SH = os.path.join(ROOT, "scripts", "lighttpd-conf.sh")

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


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_private(path, text):
    """Writes a file only its owner may read (mode 0600 from its creation on), as a follow config
    holding the secret key must be: the service warns about any other mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode through O_CREAT
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def _killpg(pid, sig):
    try:
        os.killpg(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _stat_fields(path):
    """The fields of a /proc stat file after the command name, or None when it is gone."""
    try:
        with open(path) as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _threads_running(pid):
    """True while a thread of pid is still running. A killed multithreaded process shows its main
    thread as a zombie while another thread is still exiting, and that thread still holds the
    process's files: a FastCGI worker's listening socket, which a lighttpd started then finds
    accepting, so it takes the socket for a backend of someone else's and never spawns its own
    (then answers 503 once the socket dies: seen in t0910's sanitizer pass, whose exits are slow)."""
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return False
    for tid in tids:
        fields = _stat_fields("/proc/%d/task/%s/stat" % (pid, tid))
        if fields and fields[0] not in ("Z", "X"):
            return True
    return False


def live_processes():
    """(pid, ppid, pgid) of every process that is running (not a zombie whose every thread is
    gone) now."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fields = _stat_fields("/proc/%s/stat" % name)
        if fields is None:
            continue  # gone meanwhile
        if fields[0] != "Z" or _threads_running(int(name)):
            yield int(name), int(fields[1]), int(fields[2])


def _group_alive(pgid):
    """1 when a process of group pgid is still running (not a zombie)."""
    return any(g == pgid for _, _, g in live_processes())


def _wait_group_gone(pgid, seconds):
    deadline = time.time() + seconds
    while _group_alive(pgid):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


class Server(Client):
    """One lighttpd + follow.fcgi instance with a fresh data dir.

    Server(procs=2, rundir=None, port=None, **overrides): overrides are follow.conf keys
    (max_following=3); port fixes the HTTP port (a free one at each start by default).
    Passing the rundir of a stopped server restarts on the same data (persistence tests)."""

    def __init__(self, procs=2, rundir=None, port=None, **overrides):
        Client.__init__(self)
        self.procs = procs
        self.fixed_port = port  # None: a free one at each start
        self.overrides = {k: str(v) for k, v in overrides.items()}
        self.rundir = rundir
        self.own_rundir = rundir is None
        self.proc = None
        self.keep = False

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
        # `make test TLS_CERT=...` must not turn every test's lighttpd into an HTTPS one.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TLS_")}
        out = subprocess.run([LIGHTTPD_CONF_SH, ROOT, self.rundir, str(self.port), self.conf_path(),
                              str(self.procs)], check=True, stdout=subprocess.PIPE, env=env).stdout
        lconf = os.path.join(self.rundir, "lighttpd.conf")
        with open(lconf, "wb") as f:
            f.write(out)
        return ["lighttpd", "-D", "-f", lconf]

    def start(self, wait_ready=True):
        """Starts lighttpd; with wait_ready, also waits until the service answers a call (without,
        returns once lighttpd accepts connections, while its FastCGI processes may still be
        starting)."""
        if not os.access(FCGI, os.X_OK):
            raise RuntimeError("%s is missing; run make first" % FCGI)
        if self.rundir is None:
            self.rundir = tempfile.mkdtemp(prefix="follow-t-")
        conf = dict(DEFAULT_CONF)
        conf.update(self.overrides)
        write_private(self.conf_path(), "".join("%s = %s\n" % kv for kv in conf.items()))
        self.port = self.fixed_port or free_port()
        self.stdio = open(os.path.join(self.rundir, "lighttpd.out"), "ab")
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
        if not wait_ready:
            return
        # The FastCGI processes may still be starting: wait for a JSON answer.
        last = None
        while True:
            try:
                r = self.account_check(["probe"])
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
        self.close_connections()
        if self.proc is None:
            return
        if self.proc.poll() is None:
            _killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                _killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        else:
            # lighttpd is gone; its FastCGI children may not be.
            _killpg(self.proc.pid, signal.SIGKILL)
        # FastCGI children are in lighttpd's process group: make sure none lingers (a zombie
        # waiting for init to reap it holds nothing, so it does not count). A process that was
        # between fork and exec when the SIGTERM came ran lighttpd's handler instead of dying,
        # and multiwatch then started its workers unaware: a second SIGTERM ends those.
        if not _wait_group_gone(self.proc.pid, 2):
            _killpg(self.proc.pid, signal.SIGTERM)
        if not _wait_group_gone(self.proc.pid, 8):
            _killpg(self.proc.pid, signal.SIGKILL)
            if not _wait_group_gone(self.proc.pid, 10):
                raise RuntimeError("processes of group %d survive SIGKILL" % self.proc.pid)
        self.proc = None
        self.stdio.close()

    def kill(self):
        """Simulates a crash: SIGKILL to lighttpd and its FastCGI processes, then cleans up."""
        if self.proc is not None and self.proc.poll() is None:
            _killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.stop()

    def restart(self, crash=False):
        """Stops (or kills) the server and starts it again on the same run directory and data."""
        if crash:
            self.kill()
        else:
            self.stop()
        self.start()

    def log_paths(self):
        return [self.log_path(), os.path.join(self.rundir or "", "lighttpd.out")]

    def log_text(self):
        """error.log and lighttpd.out (the service's stderr), one after the other."""
        out = ""
        for p in self.log_paths():
            try:
                out += _read_text(p)
            except OSError:
                pass
        return out

    def log_tail(self, lines=40):
        out = []
        for p in self.log_paths():
            try:
                data = _read_text(p).splitlines()
            except OSError:
                continue
            out.append("---- %s (last %d lines) ----" % (p, lines))
            out.extend(data[-lines:])
        return "\n".join(out)

    def print_log_tail(self, lines=40):
        if self.rundir:
            print(self.log_tail(lines))
            sys.stdout.flush()
