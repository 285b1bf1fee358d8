#!/usr/bin/env python3
"""cgi-bin/followctl, the storage admin tool, against a running service: usage and exit codes;
stats figures; verify passes on a live store (also while writers race it) and names the violation
in a deliberately damaged copy; a hot backup taken while a writer follows and unfollows holds
exactly a prefix of the writer's acknowledged operations, restore is refused while the service
runs and afterwards brings back exactly the backup; export -> import into a fresh service's
store (while it runs) -> the same export, the same lists, counters and profiles through the API.

The server's webhooks point at a closed port, so follow changes pile up in the outbox (the stats
backlog, and records for verify to decode). FOLLOWCTL=path runs another build of the tool (the
sanitizer one)."""
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403

TOOL = os.environ.get("FOLLOWCTL") or os.path.join(ROOT, "cgi-bin", "followctl")
SET = "profile/portrait_set"
GET = "profile/portrait_get"
NICK, LEVEL, HOBBY = "Tag_Profile_IM_Nick", "Tag_Profile_IM_Level", "Tag_Profile_Custom_Hobby"

ST = ["st_%s" % c for c in "abcdef"]
STATS_EDGES = {"st_a": ["st_b", "st_c"], "st_b": ["st_a"], "st_c": ["st_a", "st_b"],
               "st_d": ["st_a", "st_c"], "st_e": ["st_a", "st_f"], "st_f": ["st_e"]}
VL = ["vl_%02d" % i for i in range(16)]
BW = ["bw_%02d" % i for i in range(8)]     # the backup writer's accounts, modelled exactly
NOISE = ["nz_%02d" % i for i in range(8)]  # unmodelled load beside it


def ctl(conf, *args, stdin=None, env=None):
    e = dict(os.environ, FOLLOW_CONF="")
    e.update(env or {})
    cmd = [TOOL] + (["-c", conf] if conf else []) + list(args)
    return subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=e, timeout=120)


def must(p, what):
    if p.returncode != 0:
        raise TestFailure("followctl %s: exit %d\nstdout:\n%s\nstderr:\n%s"
                          % (what, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def fields(out):
    """'key: value' lines of followctl's output as a dict."""
    d = {}
    for line in out.splitlines():
        k, sep, v = line.partition(": ")
        if sep:
            d[k] = v
    return d


def scratch_conf(srv, name):
    """A copy of the server's config whose data_dir is a scratch folder (not created)."""
    data = os.path.join(srv.rundir, name)
    path = os.path.join(srv.rundir, name + ".conf")
    with open(srv.conf_path()) as f:
        lines = [l for l in f if not l.startswith("data_dir")]
    write_private(path, "".join(lines + ["data_dir = %s\n" % data]))
    return path, data


def edges_of(export_text, accounts=None):
    out = {}
    for line in export_text.splitlines():
        o = json.loads(line)
        if "from" in o and (accounts is None or (o["from"] in accounts and o["to"] in accounts)):
            out[(o["from"], o["to"])] = o["time"]
    return out


def verify_ok(conf, what):
    p = must(ctl(conf, "verify"), "verify (%s)" % what)
    f = fields(p.stdout)
    expect_eq(f.get("violations"), "0", "violations found by verify (%s):\n%s" % (what, p.stdout))
    expect_eq(f.get("read"), "one transaction, a consistent snapshot", "verify's reading")
    return f


class Writer(threading.Thread):
    """Follows and unfollows single pairs among `accounts` until stopped; ops[i] is the i-th call,
    started = calls sent, acked = calls answered OK (in order: one call at a time)."""

    def __init__(self, srv, accounts, seed):
        super().__init__(daemon=True)
        self.srv, self.accounts, self.rnd = srv, accounts, random.Random(seed)
        self.ops, self.started, self.acked = [], 0, 0
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.error = None

    def run(self):
        try:
            while not self.halt.is_set():
                a, b = self.rnd.sample(self.accounts, 2)
                add = self.rnd.random() < 0.6
                with self.lock:
                    self.ops.append((add, a, b))
                    self.started = len(self.ops)
                r = self.srv.follow_add(a, [b]) if add else self.srv.follow_delete(a, [b])
                expect_results(r, "ResultItem", [(b, OK)])
                with self.lock:
                    self.acked = len(self.ops)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def stop(self):
        self.halt.set()
        self.join(30)
        if self.error:
            raise self.error


def wait_acked(w, n, timeout=20):
    deadline = time.time() + timeout
    while w.acked < n:
        if w.error:
            raise w.error
        if time.time() > deadline:
            raise TestFailure("the writer made only %d calls" % w.acked)
        time.sleep(0.01)


# ---------------------------------------------------------------------------------------------

def test_usage_and_config(srv):
    p = ctl(None, "--help")
    expect_eq(p.returncode, 0, "exit status of --help")
    check("backup DIR" in p.stdout and "verify" in p.stdout, None, "help text: " + p.stdout)
    for args in ([], ["nosuch"], ["verify", "x"], ["backup"], ["restore", "a", "b"], ["-c"],
                 ["--bogus", "stats"]):
        p = ctl(srv.conf_path(), *args) if args[:1] != ["-c"] else ctl(None, *args)
        expect_eq(p.returncode, 2, "exit status of followctl %r (stderr %r)" % (args, p.stderr))
    p = ctl("/nonexistent/follow.conf", "stats")
    expect_eq(p.returncode, 1, "a missing config")
    check("/nonexistent/follow.conf" in p.stderr, None, "names the file: " + p.stderr)
    # FOLLOW_CONF works like -c
    p = ctl(None, "stats", env={"FOLLOW_CONF": srv.conf_path()})
    expect_eq(p.returncode, 0, "stats with FOLLOW_CONF: " + p.stderr)


def test_stats_figures(srv):
    srv.import_accounts(ST)
    for a, tos in STATS_EDGES.items():
        srv.must_add(a, tos)
    f = fields(must(ctl(srv.conf_path(), "stats"), "stats").stdout)
    expect_eq(f["accounts"], "6", "accounts")
    expect_eq(f["edges"], "10", "edges")
    expect_eq(f["mutual_pairs"], "3", "mutual pairs (a-b, a-c, e-f)")
    expect_eq(f["largest_fan_list"], "st_a 4", "largest fan list")
    # six follow_add calls changed edges: six events wait for a receiver that never answers
    expect_eq(f["webhook_pending"], "6", "webhook backlog")
    expect_eq(f["webhook_dead"], "0", "dead letters")
    parts = sum(int(f[k]) for k in ("disk_bytes_databases", "disk_bytes_logs",
                                     "disk_bytes_regions", "disk_bytes_other"))
    expect_eq(int(f["disk_bytes"]), parts, "disk_bytes is the sum of its parts")
    check(int(f["disk_bytes_databases"]) > 0 and int(f["disk_bytes_logs"]) > 0, None,
          "databases and logs take room: %r" % f)


def test_verify_live_store(srv):
    srv.import_accounts(VL + ["vl_gone"])
    rnd = random.Random(1300)
    for a in VL:
        srv.must_add(a, rnd.sample([b for b in VL if b != a], 6))
    srv.must_delete(VL[0], [b for b in VL[1:] if srv.follow_type(VL[0], b) in (2, 3)][:3])
    srv.must_add("vl_gone", VL[:5])
    srv.must_add(VL[1], ["vl_gone"])
    r = srv.account_delete(["vl_gone"])
    expect_ok(r, ["ResultItem"])
    expect_ok(srv.call(SET, {"From_Account": "st_a", "ProfileItem": [
        {"Tag": NICK, "Value": "Ann \"A\" \\ \u00e9\u4e2d\t/"}, {"Tag": LEVEL, "Value": 7},
        {"Tag": HOBBY, "Value": "chess"}]}))
    expect_ok(srv.call(SET, {"From_Account": VL[3], "ProfileItem": [{"Tag": HOBBY, "Value": 42}]}))
    f = verify_ok(srv.conf_path(), "live")
    expect_eq(f["accounts"], str(len(ST) + len(VL)), "accounts walked")
    expect_eq(f["profiles"], "2", "profiles walked")
    check(int(f["outbox_records"]) > 6, None, "outbox records decoded: %r" % f)
    for k in ("following_entries", "fan_entries"):
        expect_eq(f[k], f["edges"], k)
    # while writers race it, verify still sees one consistent state each time
    w = Writer(srv, NOISE, 1)
    srv.import_accounts(NOISE)
    w.start()
    try:
        wait_acked(w, 5)
        for i in range(3):
            verify_ok(srv.conf_path(), "live, racing a writer, pass %d" % i)
    finally:
        w.stop()
    check(w.acked > 5, None, "the writer kept writing")


def test_verify_names_violations_in_damaged_copy(srv):
    tmp = os.path.join(srv.rundir, "copy-backup")
    must(ctl(srv.conf_path(), "backup", tmp), "backup")
    conf, data = scratch_conf(srv, "copy")
    must(ctl(conf, "restore", tmp), "restore into a new folder")
    verify_ok(conf, "copy")
    must(ctl(conf, "debug-corrupt-counter", VL[2]), "debug-corrupt-counter")
    p = ctl(conf, "verify")
    expect_eq(p.returncode, 1, "verify of a store with a bad counter: " + p.stdout)
    check("violation counter-mismatch: account %s: following counter" % VL[2] in p.stdout, None,
          "names the violation and the account:\n" + p.stdout)
    expect_eq(fields(p.stdout).get("violations"), "1", "one violation")
    frm = next(a for a, tos in STATS_EDGES.items() if "st_a" in tos)
    must(ctl(conf, "debug-drop-fan", frm, "st_a"), "debug-drop-fan")
    p = ctl(conf, "verify")
    expect_eq(p.returncode, 1, "verify of a store with a missing fan entry")
    check("violation edge-without-fan-entry: edge %s -> st_a" % frm in p.stdout, None,
          "names the missing fan entry:\n" + p.stdout)
    check("followers counter is 4 but its fan list holds 3" in p.stdout, None,
          "and st_a's followers counter against its shorter list:\n" + p.stdout)
    verify_ok(srv.conf_path(), "the live store, untouched by the copy's damage")
    shutil.rmtree(data)


def test_backup_while_writing_then_restore(srv):
    srv.import_accounts(BW + NOISE)
    w = Writer(srv, BW, 7)
    noise = Writer(srv, NOISE, 8)
    w.start()
    noise.start()
    try:
        wait_acked(w, 40)
        before = w.acked           # acknowledged before the backup started
        bdir = os.path.join(srv.rundir, "hot-backup")
        t0 = time.time()
        p = must(ctl(srv.conf_path(), "backup", bdir), "backup under writes")
        took = time.time() - t0
        after = w.started          # the backup cannot hold a call sent after it returned
        wait_acked(w, after + 20)  # and writes go on
    finally:
        w.stop()
        noise.stop()
    check("recovered and consistent" in p.stdout, None, p.stdout)
    # while the service runs, restore is refused
    p = ctl(srv.conf_path(), "restore", bdir)
    expect_eq(p.returncode, 1, "restore while the service runs")
    check("in use" in p.stderr and "stop the service" in p.stderr, None, "says why: " + p.stderr)
    # what the backup holds, exported from a restored scratch copy of it
    conf2, data2 = scratch_conf(srv, "backup-view")
    must(ctl(conf2, "restore", bdir), "restore into a scratch folder")
    held = must(ctl(conf2, "export"), "export of the backup").stdout
    srv.stop()
    must(ctl(srv.conf_path(), "restore", bdir), "restore with the service stopped")
    srv.start()
    live = must(ctl(srv.conf_path(), "export"), "export after restore").stdout
    expect_eq(live, held, "the restored store exports exactly what the backup holds")
    verify_ok(srv.conf_path(), "after restore")
    # the backup is the state after some prefix of the writer's calls: at least every call
    # acknowledged before it started, none sent after it returned
    got = set(edges_of(live, set(BW)))
    state, states = set(), [set()]
    for add, a, b in w.ops:
        (state.add if add else state.discard)((a, b))
        states.append(set(state))
    ks = [k for k in range(before, min(after, len(w.ops)) + 1) if states[k] == got]
    check(ks, None, "the restored bw_ edges %s are not the state after any of calls %d..%d "
          "(backup took %.2fs)" % (sorted(got), before, after, took))
    # the service serves the restored data and takes writes
    for (a, b) in list(got)[:5]:
        check(srv.follow_type(a, b) in (2, 3), None, "%s follows %s after restore" % (a, b))
    lost = [(a, b) for add, a, b in w.ops[after:] if add and (a, b) not in got]
    for a, b in lost[:3]:
        expect_eq(srv.follow_type(a, b) in (2, 3), False, "%s -> %s (after the backup)" % (a, b))
    srv.must_delete(BW[0], [BW[1]])
    srv.must_add(BW[0], [BW[1]])
    shutil.rmtree(data2)


def test_export_import_roundtrip(srv):
    exported = must(ctl(srv.conf_path(), "export"), "export").stdout
    lines = exported.splitlines()
    check(any('"profile"' in l for l in lines), None, "profiles are exported")
    nick = [json.loads(l) for l in lines if l.startswith('{"account":"st_a"')][0]
    expect_eq(nick["profile"][0], {"Tag": NICK, "Value": "Ann \"A\" \\ \u00e9\u4e2d\t/"},
              "st_a's nick survives JSON escaping")
    with Server() as srv2:
        p = must(ctl(srv2.conf_path(), "import", stdin=exported), "import into a live store")
        check(BULK not in p.stderr, None, "a store the service has open: " + p.stderr)
        n_edges = len(edges_of(exported))
        check("(%d edges added, 0 already there)" % n_edges in p.stderr, None, p.stderr)
        again = must(ctl(srv2.conf_path(), "export"), "export of the imported store").stdout
        expect_eq(again, exported, "export -> import -> export")
        verify_ok(srv2.conf_path(), "imported store")
        # the service reads what import wrote just as what it wrote itself
        for a in ["st_a", "st_c", VL[1], VL[3], BW[2]]:
            expect_eq(srv2.counts(a), srv.counts(a), "counters of %s" % a)
            for t in (FANS, FOLLOWING, MUTUAL):
                expect_eq(srv2.get_all(a, t), srv.get_all(a, t), "list %d of %s" % (t, a))
        body = {"To_Account": ["st_a", VL[3]], "TagList": [NICK, LEVEL, HOBBY]}
        expect_eq(srv2.call(GET, body)["UserProfileItem"], srv.call(GET, body)["UserProfileItem"],
                  "profiles through portrait_get")
        # importing again changes nothing; a merge keeps existing edges' times and adds the new
        p = must(ctl(srv2.conf_path(), "import", stdin=exported), "import again")
        check("(0 edges added, %d already there)" % n_edges in p.stderr, None, p.stderr)
        old = next(iter(edges_of(exported).items()))
        extra = "\n".join([
            json.dumps({"account": "rt_new"}),
            json.dumps({"from": old[0][0], "to": old[0][1], "time": old[1] + 1000}),
            json.dumps({"from": "rt_new", "to": old[0][0], "time": 1700000000}),
            json.dumps({"from": old[0][0], "to": "rt_new", "time": 1700000100})]) + "\n"
        must(ctl(srv2.conf_path(), "import", stdin=extra), "merge")
        merged = edges_of(must(ctl(srv2.conf_path(), "export"), "export after merge").stdout)
        expect_eq(merged[old[0]], old[1], "an existing edge keeps its time")
        expect_eq(merged[("rt_new", old[0][0])], 1700000000, "a new edge has its time")
        expect_eq(srv2.follow_type("rt_new", old[0][0]), 3, "the new pair is mutual")
        mutual = dict((it["To_Account"], it["FollowTime"])
                      for it in srv2.get_all("rt_new", MUTUAL))
        expect_eq(mutual, {old[0][0]: 1700000100}, "mutual since the later of the two times")
        verify_ok(srv2.conf_path(), "after the merge")
        # a bad line stops the import and says where
        p = ctl(srv2.conf_path(), "import", stdin='{"account":"ok_1"}\n{"from":"ok_1","to":'
                '"nobody","time":5}\n')
        expect_eq(p.returncode, 1, "import naming an account that is not imported")
        check("line 2" in p.stderr and "nobody" in p.stderr, None, p.stderr)
        p = ctl(srv2.conf_path(), "import", stdin='{"account":"x","bogus":1}\n')
        expect_eq(p.returncode, 1, "an unknown key")
        check("line 1" in p.stderr, None, p.stderr)


BULK = "building it in bulk"


def messy_graph(seed, n_accounts=200, n_edges=4000):
    """An import file with profiles, a repeated account line, duplicate edges with other times
    and many mutual pairs."""
    r = random.Random(seed)
    ids = ["mg_%03d" % i for i in range(n_accounts)]
    lines = []
    for i in ids:
        o = {"account": i}
        if r.random() < 0.5:
            o["profile"] = [{"Tag": NICK, "Value": "nick %s" % i},
                            {"Tag": LEVEL, "Value": r.randint(0, 9)}]
        lines.append(json.dumps(o))
    lines.append(json.dumps({"account": ids[1], "profile": [{"Tag": NICK, "Value": "again"}]}))
    for _ in range(n_edges):
        a, b = r.sample(ids[: n_accounts // 4] if r.random() < 0.5 else ids, 2)
        lines.append(json.dumps({"from": a, "to": b, "time": 1700000000 + r.randint(0, 99999)}))
    return "\n".join(lines) + "\n"


def test_bulk_import_into_an_empty_store_matches_the_transactional_one(srv):
    text = messy_graph(11)
    bulk_conf, bulk_data = scratch_conf(srv, "bulk")
    txn_conf, _ = scratch_conf(srv, "txn")
    # One account first: the store is not empty, so the import runs in transactions.
    must(ctl(txn_conf, "import", stdin='{"account":"mg_000"}\n'), "seed")
    p = must(ctl(txn_conf, "import", stdin=text), "transactional import")
    check(BULK not in p.stderr, None, "a store that is not empty: " + p.stderr)
    q = must(ctl(bulk_conf, "import", stdin=text), "bulk import")
    check(BULK in q.stderr, None, "an empty store nobody uses is built in bulk: " + q.stderr)
    summary = [l for l in p.stderr.splitlines() if "edge lines imported" in l][0]
    expect_eq([l for l in q.stderr.splitlines() if "edge lines imported" in l][0].split(" in ")[0],
              summary.split(" in ")[0], "the same summary")
    check("0 already there" not in summary, None, "the file has duplicates: " + summary)
    a = must(ctl(txn_conf, "export"), "export").stdout
    b = must(ctl(bulk_conf, "export"), "export").stdout
    expect_eq(b, a, "the bulk store exports exactly what the transactional one does")
    f = verify_ok(bulk_conf, "bulk store")
    check(int(f["mutual_entries"]) > 100, None, "mutual pairs were made: %r" % f)
    check(not os.path.exists(os.path.join(bulk_data, "import.tmp")), None, "the stage is gone")
    # a bulk-built store takes ordinary writes and a second import (now transactional)
    p = must(ctl(bulk_conf, "import", stdin='{"account":"mg_new"}\n'
                 '{"from":"mg_new","to":"mg_001","time":1700000000}\n'), "import again")
    check(BULK not in p.stderr and "(1 edges added" in p.stderr, None, p.stderr)
    verify_ok(bulk_conf, "after a second import")


def test_bulk_import_is_all_or_nothing(srv):
    conf, data = scratch_conf(srv, "bulkfail")
    good = messy_graph(12, 50, 300)
    for bad, words in ((good + '{"from":"mg_001","to":"nobody","time":5}\n',
                        "names an account that is not imported"),
                       (good + '{"from":"mg_001",\n', "not one JSON value"),
                       (good.replace('"time": 17', '"time": -17', 1), "time")):
        p = ctl(conf, "import", stdin=bad)
        expect_eq(p.returncode, 1, "a bad line fails the import: " + p.stderr)
        check(BULK in p.stderr and words in p.stderr and
              "nothing was imported; the store is as it was" in p.stderr, None, p.stderr)
        check("0 account lines and 0 edge lines imported" in p.stderr, None, p.stderr)
        f = fields(must(ctl(conf, "stats"), "stats").stdout)
        expect_eq((f["accounts"], f["edges"]), ("0", "0"), "the store stays empty")
        check(not os.path.exists(os.path.join(data, "import.tmp")), None, "the stage is gone")
    # Killed while it reads (the stage already holds accounts): the store is still empty, and
    # the next import clears the stage and succeeds.
    e = dict(os.environ, FOLLOW_CONF="")
    proc = subprocess.Popen([TOOL, "-c", conf, "import"], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=e)
    proc.stdin.write(good)
    proc.stdin.flush()
    deadline = time.time() + 20
    stage = os.path.join(data, "import.tmp", "accounts.db")
    while not os.path.exists(stage) and time.time() < deadline:
        time.sleep(0.01)
    check(os.path.exists(stage), None, "the bulk import made its stage")
    proc.kill()
    proc.wait(10)
    proc.stdin.close()
    proc.stderr.close()
    f = fields(must(ctl(conf, "stats"), "stats after the kill").stdout)
    expect_eq((f["accounts"], f["edges"]), ("0", "0"), "a killed bulk import changed nothing")
    p = must(ctl(conf, "import", stdin=good), "import after the kill")
    check(BULK in p.stderr, None, p.stderr)
    verify_ok(conf, "after the kill and a new import")
    check(not os.path.exists(os.path.join(data, "import.tmp")), None, "the stage is gone")


def test_bulk_import_killed_while_writing(srv):
    """SIGKILL of the import while its child writes the index entries: the child goes too, the
    store stays empty, and the next import clears the stage and succeeds."""
    conf, data = scratch_conf(srv, "bulkkill")
    n = 2000
    lines = ['{"account":"bk_%04d"}' % i for i in range(n)]
    lines += ['{"from":"bk_%04d","to":"bk_%04d","time":%d}' % (i, (i * 7 + k) % n, 1700000000 + k)
              for i in range(n) for k in range(1, 60) if (i * 7 + k) % n != i]
    text = "\n".join(lines) + "\n"
    e = dict(os.environ, FOLLOW_CONF="")
    proc = subprocess.Popen([TOOL, "-c", conf, "import"], stdin=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=e)
    proc.stdin.write(text.encode())
    proc.stdin.close()
    children, deadline = "", time.time() + 30
    path = "/proc/%d/task/%d/children" % (proc.pid, proc.pid)
    while not children and time.time() < deadline and proc.poll() is None:
        try:
            with open(path) as f:
                children = f.read().split()
        except OSError:
            break
        time.sleep(0.001)
    check(children, None, "the import forked its index writer before it finished")
    proc.kill()
    proc.wait(10)
    def alive(pid):  # a zombie waiting for its new parent to reap it counts as dead
        try:
            with open("/proc/%s/stat" % pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    gone = time.time() + 10
    while any(alive(c) for c in children) and time.time() < gone:
        time.sleep(0.01)
    check(not any(alive(c) for c in children), None, "the index writer died with the import")
    f = fields(must(ctl(conf, "stats"), "stats after the kill").stdout)
    expect_eq((f["accounts"], f["edges"]), ("0", "0"), "a bulk import killed while writing")
    p = must(ctl(conf, "import", stdin=text), "import after the kill")
    check(BULK in p.stderr, None, p.stderr)
    verify_ok(conf, "after the kill and a new import")


def import_on_a_terminal(conf, quiet):
    """followctl import with stderr on a pseudo-terminal, stdin fed in two parts 1.6 s apart (a
    progress line is drawn only after a second of work); returns what the terminal showed."""
    import pty
    master, slave = pty.openpty()
    e = dict(os.environ, FOLLOW_CONF="")
    proc = subprocess.Popen([TOOL, "-c", conf] + (["-q"] if quiet else []) + ["import"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=slave, env=e)
    os.close(slave)
    lines = ['{"account":"pt_%04d"}' % i for i in range(2000)]
    proc.stdin.write(("\n".join(lines[:1000]) + "\n").encode())
    proc.stdin.flush()
    time.sleep(1.6)
    proc.stdin.write(("\n".join(lines[1000:]) + "\n").encode())
    proc.stdin.close()
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    expect_eq(proc.wait(30), 0, "import on a terminal")
    return shown.decode(errors="replace")


def test_import_shows_progress_on_a_terminal_only(srv):
    conf, _ = scratch_conf(srv, "progress")
    shown = import_on_a_terminal(conf, quiet=False)
    check("\r\x1b[Kimport: " in shown and " lines, " in shown and "/s" in shown, None,
          "a progress line redrawn in place: %r" % shown[:400])
    check("\r\x1b[Kfollowctl: import: 2000 account lines and 0 edge lines imported" in shown,
          None, "the line cleared, then the summary: %r" % shown[-300:])
    conf2, _ = scratch_conf(srv, "progress2")
    shown = import_on_a_terminal(conf2, quiet=True)
    check("\x1b[K" not in shown and "2000 account lines" in shown, None,
          "-q leaves only the summary: %r" % shown)
    # not a terminal: the tests above read stderr through pipes and see no progress either
    p = must(ctl(conf2, "import", stdin='{"account":"pt_x"}\n'), "import into a pipe")
    check("\x1b" not in p.stderr, None, p.stderr)


def with_cache_mb(conf, mb):
    with open(conf) as f:
        lines = [l for l in f if not l.startswith("cache_mb")]
    write_private(conf, "".join(lines + ["cache_mb = %d\n" % mb]))


def test_cache_mb_applies_when_nobody_else_uses_the_store(srv):
    conf, data = scratch_conf(srv, "cache")
    with_cache_mb(conf, 16)
    must(ctl(conf, "import", stdin='{"account":"cm_a"}\n{"account":"cm_b"}\n'
             '{"from":"cm_a","to":"cm_b","time":1700000000}\n'), "import")
    small = int(fields(must(ctl(conf, "stats"), "stats").stdout)["cache_bytes"])
    check(16 << 20 <= small < 32 << 20, None, "a 16 MB cache (with Berkeley DB's quarter): %d" % small)
    with_cache_mb(conf, 200)
    p = must(ctl(conf, "stats"), "stats after the change")
    check("making its regions anew" in p.stderr, None, "the resize is logged: " + p.stderr)
    f = fields(p.stdout)
    check(200 << 20 <= int(f["cache_bytes"]) < 260 << 20, None, "a 200 MB cache: %r" % f)
    expect_eq((f["accounts"], f["edges"]), ("2", "1"), "the data outlives the new regions")
    p = must(ctl(conf, "stats"), "stats once more")
    expect_eq(p.stderr, "", "nothing to resize any more")
    verify_ok(conf, "after the resize")
    # While the service has the environment open, the size waits for a moment nobody does.
    live = os.path.join(srv.rundir, "live-cache.conf")
    with open(srv.conf_path()) as f:
        write_private(live, f.read())
    before = int(fields(must(ctl(live, "stats"), "stats").stdout)["cache_bytes"])
    with_cache_mb(live, 200)
    p = must(ctl(live, "stats"), "stats with another cache_mb beside the live service")
    check("changes when every process using it has stopped" in p.stderr, None, p.stderr)
    expect_eq(int(fields(p.stdout)["cache_bytes"]), before, "the live environment's cache")
    expect_eq(srv.follow_type("st_a", "st_b"), 3, "the service still answers")
    # bounds
    for bad in ("8", "0", "2000000", "lots"):
        with open(live) as f:
            lines = [l for l in f if not l.startswith("cache_mb")]
        write_private(live, "".join(lines + ["cache_mb = %s\n" % bad]))
        p = ctl(live, "stats")
        expect_eq(p.returncode, 1, "cache_mb = %s is refused" % bad)
        check("cache_mb" in p.stderr, None, p.stderr)


if __name__ == "__main__":
    run_tests(globals(), callback_url="http://127.0.0.1:%d/hook" % free_port(),
              callback_token="t1300", callback_retry_seconds=3600)
