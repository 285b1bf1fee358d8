#!/usr/bin/env python3
"""`make install` into a temporary DESTDIR (PREFIX=/usr/local): the files, their modes and bytes,
the manifest; a second install keeps an edited config and says so; the INSTALLED follow.fcgi
serves calls behind lighttpd, and the installed follow-usersig finds the installed config; `make
uninstall` removes exactly what install added and keeps the edited config, saying so (and with an
untouched config leaves nothing at all). Also: the package set `make run` installs names no web
server but lighttpd, the test set has the others."""
import filecmp
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

PREFIX = "/usr/local"
DATA_DIR = "/usr/local/var/lib/follow"  # install.sh's choice for this PREFIX
LIGHTTPD_CONF_SH = os.path.join(ROOT, "scripts", "lighttpd-conf.sh")
DEPS_SH = os.path.join(ROOT, "scripts", "deps.sh")
CHECK_ITEM_KEYS = ["UserID", "ResultCode", "ResultInfo", "AccountStatus"]


def make(target, dest):
    """make -C ROOT <target> DESTDIR=dest PREFIX=/usr/local; its stdout, asserting status 0.
    The caller's make (when make test runs us) must not leak its flags into this one."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    p = subprocess.run(["make", "-C", ROOT, "--no-print-directory", target, "DESTDIR=" + dest,
                        "PREFIX=" + PREFIX], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    if p.returncode != 0:
        raise TestFailure("make %s exited %d\nstdout:\n%s\nstderr:\n%s"
                          % (target, p.returncode, p.stdout, p.stderr))
    return p.stdout


def said(out, prefix):
    """The lines of out that are the script's own messages (make may also print compiler lines
    when the programs were out of date)."""
    return [line for line in out.splitlines() if line.startswith(prefix)]


def tree(dest):
    """{path relative to dest: mode} of everything under dest."""
    out = {}
    for top, dirs, files in os.walk(dest):
        for n in dirs + files:
            p = os.path.join(top, n)
            out[os.path.relpath(p, dest)] = os.lstat(p).st_mode
    return out


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def hosting_files():
    d = os.path.join(ROOT, "conf", "hosting")
    return sorted(n for n in os.listdir(d) if os.path.isfile(os.path.join(d, n)))


class Install:
    """One DESTDIR and where each installed file comes from."""

    def __init__(self):
        self.dest = tempfile.mkdtemp(prefix="follow-install-")
        self.hosting = hosting_files()
        p = PREFIX.lstrip("/")
        self.fcgi = os.path.join(p, "lib/follow/follow.fcgi")
        self.conf = os.path.join(p, "etc/follow/follow.conf")
        self.manifest = os.path.join(p, "share/follow/installed-files")
        # installed path -> (source in the tree, mode)
        self.files = {
            self.fcgi: ("cgi-bin/follow.fcgi", 0o755),
            os.path.join(p, "bin/followctl"): ("cgi-bin/followctl", 0o755),
            os.path.join(p, "bin/follow-usersig"): ("cgi-bin/follow-usersig", 0o755),
            os.path.join(p, "share/doc/follow/README.md"): ("README.md", 0o644),
        }
        for n in self.hosting:
            src = os.path.join("conf/hosting", n)
            mode = 0o755 if os.access(os.path.join(ROOT, src), os.X_OK) else 0o644
            self.files[os.path.join(p, "share/follow/hosting", n)] = (src, mode)

    def path(self, rel):
        return os.path.join(self.dest, rel)

    def dirs(self):
        """Every folder the install needs, with its parents up to DESTDIR."""
        out = set()
        for rel in list(self.files) + [self.conf, self.manifest]:
            d = os.path.dirname(rel)
            while d:
                out.add(d)
                d = os.path.dirname(d)
        return out


def expected_conf():
    """conf/follow.conf as install writes it: data_dir set to DATA_DIR, every other setting kept."""
    with open(os.path.join(ROOT, "conf", "follow.conf")) as f:
        lines = f.read().splitlines()
    n = [i for i, line in enumerate(lines) if line.startswith("data_dir")]
    if len(n) != 1:
        raise TestFailure("conf/follow.conf should have one data_dir line: %r" % n)
    lines[n[0]] = "data_dir = " + DATA_DIR
    return [line for line in lines if not line.startswith("#")]


def check_install(inst, out):
    conf = inst.path(inst.conf)
    expect_eq(said(out, "install:"), [
        "install: wrote %s (mode 600, data_dir = %s)" % (conf, DATA_DIR),
        "install: change its secret_key before serving anyone; give it and data_dir to the user "
        "the service runs as",
    ], "what the first install says")
    got = tree(inst.dest)
    want = set(inst.files) | {inst.conf, inst.manifest} | inst.dirs()
    expect_eq(sorted(got), sorted(want), "the installed files and folders")
    for rel, (src, mode) in inst.files.items():
        expect_eq(oct(stat.S_IMODE(got[rel])), oct(mode), "mode of " + rel)
        if not filecmp.cmp(inst.path(rel), os.path.join(ROOT, src), shallow=False):
            raise TestFailure("%s differs from %s" % (rel, src))
    for d in inst.dirs():
        expect_eq(oct(stat.S_IMODE(got[d])), oct(0o755), "mode of folder " + d)
    expect_eq(oct(stat.S_IMODE(got[inst.conf])), oct(0o600), "mode of the config")
    expect_eq(oct(stat.S_IMODE(got[inst.manifest])), oct(0o644), "mode of the manifest")
    with open(conf) as f:
        settings = [line for line in f.read().splitlines() if not line.startswith("#")]
    expect_eq(settings, expected_conf(), "the installed config's settings")
    # The installed program accepts the installed config as it is.
    p = subprocess.run([inst.path(inst.fcgi), "--check-config", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    expect_eq((p.returncode, p.stdout), (0, ""), "follow.fcgi --check-config of the installed config")
    with open(inst.path(inst.manifest)) as f:
        lines = [line for line in f.read().splitlines() if not line.startswith("#")]
    want_lines = (["f /" + rel for rel in inst.files] + ["d /" + d for d in inst.dirs()]
                  + ["c %s /%s" % (sha256(conf), inst.conf)])
    expect_eq(sorted(lines), sorted(want_lines), "the manifest")


def test_deps_sets():
    def listed(name, **env):
        e = {k: v for k, v in os.environ.items() if k != "TLS_CERT"}
        e.update(env)
        return subprocess.run([DEPS_SH, "--list", name], env=e, check=True, timeout=30,
                              stdout=subprocess.PIPE, text=True).stdout.split("\n")[:-1]

    run = ["gcc", "make", "pkg-config", "libfcgi-dev", "libfcgi-bin", "libjson-c-dev",
           "libdb5.3-dev", "nettle-dev", "zlib1g-dev", "libcurl4-openssl-dev", "lighttpd",
           "multiwatch"]
    expect_eq(listed("run"), run, "deps.sh --list run")
    expect_eq(listed("run", TLS_CERT="/x/cert.pem"), run + ["lighttpd-mod-openssl"],
              "deps.sh --list run with TLS_CERT set")
    test = listed("test")
    extra = ["apache2", "libapache2-mod-fcgid", "nginx", "spawn-fcgi", "lighttpd-mod-openssl",
             "openssl", "curl", "wrk", "python3", "clang", "libclang-rt-14-dev", "db5.3-util",
             "prometheus", "chromium"]
    if not shutil.which("npm"):
        extra += ["nodejs", "npm"]
    expect_eq(test, run + extra, "deps.sh --list test")
    expect_eq(listed("bench"), test + ["gnuplot-nox", "linux-perf"], "deps.sh --list bench")
    p = subprocess.run([DEPS_SH, "--list", "nope"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    expect_eq((p.returncode, p.stdout), (2, ""), "deps.sh --list of an unknown set")


def test_install_layout(inst):
    check_install(inst, make("install", inst.dest))


def test_second_install_keeps_an_edited_config(inst):
    conf = inst.path(inst.conf)
    with open(conf, "a") as f:
        f.write("# edited by t0990\n")
    with open(conf, "rb") as f:
        edited = f.read()
    manifest = inst.path(inst.manifest)
    with open(manifest) as f:
        before = f.read()
    out = make("install", inst.dest)
    expect_eq(said(out, "install:"),
              ["install: kept the existing %s (not overwritten)" % conf], "what install says")
    with open(conf, "rb") as f:
        expect_eq(f.read(), edited, "the edited config after a second install")
    expect_eq(oct(stat.S_IMODE(os.stat(conf).st_mode)), oct(0o600), "mode of the kept config")
    with open(manifest) as f:
        expect_eq(f.read(), before, "the manifest after a second install (nothing new added)")


class InstalledServer(Server):
    """lighttpd hosting the installed follow.fcgi (lighttpd-conf.sh takes FOLLOW_FCGI), with the
    test's own config."""

    def __init__(self, fcgi):
        Server.__init__(self)
        self.fcgi = fcgi

    def host_command(self):
        env = dict(os.environ, FOLLOW_FCGI=self.fcgi)
        out = subprocess.run([LIGHTTPD_CONF_SH, ROOT, self.rundir, str(self.port), self.conf_path(),
                              str(self.procs)], env=env, check=True, stdout=subprocess.PIPE).stdout
        lconf = os.path.join(self.rundir, "lighttpd.conf")
        with open(lconf, "wb") as f:
            f.write(out)
        return ["lighttpd", "-D", "-f", lconf]

    def service_binaries(self):
        """The executables of the follow.fcgi processes lighttpd started."""
        out = set()
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and os.getpgid(int(pid)) == self.proc.pid:
                    exe = os.readlink("/proc/%s/exe" % pid)
                    if os.path.basename(exe).startswith("follow.fcgi"):
                        out.add(exe)
            except OSError:
                pass  # gone meanwhile
        return out


def test_installed_program_serves(inst):
    fcgi = inst.path(inst.fcgi)
    with InstalledServer(fcgi) as srv:
        expect_eq(srv.service_binaries(), {fcgi}, "the programs lighttpd runs")
        srv.import_accounts(["in_alice", "in_bob"])
        expect_results(srv.account_check(["in_alice", "in_nobody", "in_bob"]), "ResultItem", [
            ("in_alice", OK, {"AccountStatus": "Imported"}),
            ("in_nobody", OK, {"AccountStatus": "NotImported"}),
            ("in_bob", OK, {"AccountStatus": "Imported"}),
        ], keys=CHECK_ITEM_KEYS, idkey_name="UserID", ordered=True)
        expect_results(srv.follow_add("in_alice", ["in_bob", "in_nobody"]), "ResultItem",
                       [("in_bob", OK), ("in_nobody", NOT_IMPORTED)])
        expect_results(srv.follow_add("in_bob", ["in_alice"]), "ResultItem", [("in_alice", OK)])
        expect_results(srv.follow_check("in_alice", ["in_bob"]), "ResultItem",
                       [("in_bob", OK, {"FollowType": 3})], keys=CHECK_KEYS)
        # The installed tools find the installed config by themselves (PREFIX/bin/../etc/follow/):
        # a UserSig made from its key (the demo key, which the test's config shares) is accepted.
        env = {k: v for k, v in os.environ.items() if k != "FOLLOW_CONF"}
        sig = subprocess.run([inst.path(os.path.join(PREFIX.lstrip("/"), "bin/follow-usersig")),
                              ADMIN, "600"], env=env, check=True, stdout=subprocess.PIPE,
                             text=True, timeout=30).stdout.strip()
        expect_results(srv.follow_check("in_bob", ["in_alice"], query_overrides={"usersig": sig}),
                       "ResultItem", [("in_alice", OK, {"FollowType": 3})], keys=CHECK_KEYS)


def test_uninstall_keeps_the_edited_config(inst):
    conf = inst.path(inst.conf)
    with open(conf, "rb") as f:
        edited = f.read()
    out = make("uninstall", inst.dest)
    expect_eq(said(out, "uninstall:"), [
        "uninstall: kept %s: it changed since make install wrote it" % conf,
        "uninstall: removed %d files from %s%s" % (len(inst.files), inst.dest, PREFIX),
    ], "what uninstall says")
    left = sorted(tree(inst.dest))
    expect_eq(left, ["usr", "usr/local", "usr/local/etc", "usr/local/etc/follow",
                     "usr/local/etc/follow/follow.conf"], "what uninstall leaves")
    with open(conf, "rb") as f:
        expect_eq(f.read(), edited, "the kept config")


def test_uninstall_of_an_untouched_install_leaves_nothing():
    inst = Install()
    try:
        check_install(inst, make("install", inst.dest))
        out = make("uninstall", inst.dest)
        expect_eq(said(out, "uninstall:"),
                  ["uninstall: removed %d files from %s%s" % (len(inst.files) + 1, inst.dest,
                                                              PREFIX)],
                  "what uninstall says")
        expect_eq(os.listdir(inst.dest), [], "what uninstall leaves")
    finally:
        shutil.rmtree(inst.dest, ignore_errors=True)


def main():
    inst = Install()
    steps = [
        (test_deps_sets, ()),
        (test_install_layout, (inst,)),
        (test_second_install_keeps_an_edited_config, (inst,)),
        (test_installed_program_serves, (inst,)),
        (test_uninstall_keeps_the_edited_config, (inst,)),
        (test_uninstall_of_an_untouched_install_leaves_nothing, ()),
    ]
    only = set(filter(None, os.environ.get("TESTS", "").split(",")))
    steps = [(fn, args) for fn, args in steps if not only or fn.__name__ in only]
    failed, t_start = [], time.time()
    for fn, args in steps:
        t0 = time.time()
        try:
            fn(*args)
            print("  ok   %-45s %.2fs" % (fn.__name__, time.time() - t0))
        except Exception:  # noqa: BLE001
            failed.append(fn.__name__)
            print("  FAIL %-45s %.2fs" % (fn.__name__, time.time() - t0))
            print("\n".join("       " + line
                            for line in traceback.format_exc().rstrip().splitlines()))
            # The later steps build on this one.
            if fn is not test_deps_sets:
                break
        sys.stdout.flush()
    if failed or os.environ.get("KEEP"):
        print("install folder kept: %s" % inst.dest)
    else:
        shutil.rmtree(inst.dest, ignore_errors=True)
    name = os.path.basename(sys.argv[0])
    print("%s: %d tests, %d failed%s (%.1fs)" % (name, len(steps), len(failed),
                                       (": " + ", ".join(failed)) if failed else "",
                                       time.time() - t_start))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
