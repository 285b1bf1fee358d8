#!/usr/bin/env python3
"""Follow webhooks (spec §8): what is POSTed to callback_url (query, Sign, body, EventId), no event
for no-op changes, only changed targets listed; delivery in order and without loss while the
receiver fails (HTTP 500, a closed connection, a non-JSON answer), hangs past the 2 s limit, or
the whole service is SIGKILLed; the dead-letter table after callback_retry_seconds; and nothing at
all without a callback_url. The receiver is tests/lib/receiver.py, a Python HTTP server in a thread
of this process."""
import hashlib
import os
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import *  # noqa: E402,F401,F403
from receiver import Receiver, first_deliveries, processed_by_id  # noqa: E402

ADD, DEL = "Follow.CallbackAfterFollowAdd", "Follow.CallbackAfterFollowDelete"
TOKEN = "xxxxyyyy"
QUERY_KEYS = ["SdkAppid", "CallbackCommand", "contenttype", "ClientIP", "OptPlatform", "EventId"]
SIGN_KEYS = ["RequestTime", "Sign"]

# The receiver of the file's server exists before the server starts, so its port is known.
RECEIVER = Receiver()


def now_ms():
    return int(time.time() * 1000)


class Call:
    """One follow_add/follow_delete made by a test, and the event it should produce (or None)."""

    def __init__(self, cmd, frm, tos, changed, t0, t1, resp):
        self.cmd, self.frm, self.tos, self.changed = cmd, frm, list(tos), list(changed)
        self.t0, self.t1, self.resp = t0, t1, resp   # ms before the call, ms after its answer

    def body_keys(self):
        return ["CallbackCommand", "From_Account",
                "FollowList" if self.cmd == ADD else "To_Account", "EventTime"]

    def expected_list(self):
        if self.cmd == ADD:
            return [{"To_Account": t} for t in self.changed]
        return list(self.changed)

    def __repr__(self):
        return "%s %s -> %s (changes %s)" % ("add" if self.cmd == ADD else "delete", self.frm,
                                              self.tos, self.changed)


def act(srv, cmd, frm, tos, changed, codes=None):
    """Makes the call, asserts its per-target ResultCodes (default all OK) and returns a Call."""
    t0 = now_ms()
    r = srv.follow_add(frm, tos) if cmd == ADD else srv.follow_delete(frm, tos)
    t1 = now_ms()
    expect_results(r, "ResultItem", list(zip(tos, codes or [OK] * len(tos))))
    return Call(cmd, frm, tos, changed, t0, t1, r)


def describe(recs, limit=60):
    return "\n".join("    %r" % (r,) for r in recs[:limit]) + (
        "\n    ... %d more" % (len(recs) - limit) if len(recs) > limit else "")


def check_event(rec, call, token=None):
    """The request `rec` is exactly the webhook of `call` (spec §8 + EventId)."""
    where = "event of %r\n  got: %r" % (call, rec)
    check(rec.method == "POST", None, "method should be POST: " + where)
    check(rec.path == "/cb", None, "path should be /cb: " + where)
    check(rec.header("Content-Type") == "application/json", None,
          "Content-Type should be application/json: %r\n  %s" % (rec.header("Content-Type"), where))
    keys = [k for k, _ in rec.query]
    want = QUERY_KEYS + (SIGN_KEYS if token else [])
    check(sorted(keys) == sorted(want), None,
          "query parameters should be %s, got %s: %s" % (want, keys, where))
    q = rec.qdict
    for k, v in (("SdkAppid", SDKAPPID), ("CallbackCommand", call.cmd), ("contenttype", "json"),
                 ("ClientIP", "127.0.0.1"), ("OptPlatform", "RESTAPI")):
        check(q.get(k) == v, None, "query %s should be %r: %s" % (k, v, where))
    check(q["EventId"].isdigit() and rec.event_id is not None and rec.event_id > 0, None,
          "EventId should be a positive integer: " + where)
    if token:
        check(q["RequestTime"].isdigit(), None, "RequestTime should be Unix seconds: " + where)
        rt = int(q["RequestTime"])
        check(abs(rt - rec.t) <= 5, None,
              "RequestTime %d is not the time of the request (%.0f): %s" % (rt, rec.t, where))
        sign = hashlib.sha256((token + q["RequestTime"]).encode()).hexdigest()
        check(q["Sign"] == sign, None, "Sign should be sha256(token + RequestTime) = %s: %s"
              % (sign, where))
    j = rec.json
    check(j is not None, None, "the body is not JSON: " + where)
    check(list(j.keys()) == call.body_keys(), None,
          "body keys should be %s in this order: %s" % (call.body_keys(), where))
    check(j["CallbackCommand"] == call.cmd and j["From_Account"] == call.frm, None,
          "CallbackCommand / From_Account wrong: " + where)
    lst = j[call.body_keys()[2]]
    check(lst == call.expected_list(), None, "%s should be %r: %s"
          % (call.body_keys()[2], call.expected_list(), where))
    if call.cmd == ADD:
        check(all(list(x.keys()) == ["To_Account"] for x in lst), None,
              "FollowList items have only To_Account: " + where)
    et = j["EventTime"]
    check(type(et) is int, None, "EventTime should be an integer: " + where)
    check(call.t0 - 1000 <= et <= call.t1 + 1000, None,
          "EventTime %d should be the time of the call in ms (%d..%d): %s"
          % (et, call.t0, call.t1, where))


def same_event(rec, call):
    j = rec.json or {}
    return (j.get("CallbackCommand") == call.cmd and j.get("From_Account") == call.frm and
            j.get("FollowList" if call.cmd == ADD else "To_Account") == call.expected_list())


def check_sequence(recs, calls, token=TOKEN, what="events"):
    """recs (first deliveries, arrival order) are exactly the events of calls, in that order."""
    calls = [c for c in calls if c.changed]
    got = ["%s %s %s" % (r.qdict.get("CallbackCommand"), (r.json or {}).get("From_Account"),
                         (r.json or {}).get("FollowList", (r.json or {}).get("To_Account")))
           for r in recs]
    check(len(recs) == len(calls) and all(same_event(r, c) for r, c in zip(recs, calls)), None,
          "%s: expected %d, in this order:\n%s\n  got %d:\n%s" % (
              what, len(calls), "\n".join("    %r" % (c,) for c in calls), len(recs),
              "\n".join("    " + g for g in got)))
    for r, c in zip(recs, calls):
        check_event(r, c, token)
    ids = [r.event_id for r in recs]
    check(all(a < b for a, b in zip(ids, ids[1:])), None,
          "%s: EventIds should increase in delivery order: %s" % (what, ids))


def wait_events(rcv, mark, prefix, n, timeout):
    """Waits until n distinct events from accounts starting with prefix were processed; returns
    every record of those accounts since mark (attempts included)."""
    def mine(r):
        return r.json is not None and str(r.json.get("From_Account", "")).startswith(prefix)
    return rcv.wait(lambda recs: len(first_deliveries(recs)) >= n, timeout, mark, mine)


def quiet(rcv, mark, prefix, seconds):
    """Gives the dispatcher `seconds` more, then returns the records of prefix since mark."""
    time.sleep(seconds)
    return rcv.since(mark, lambda r: r.json is not None and
                     str(r.json.get("From_Account", "")).startswith(prefix))


def dispatcher_pids(srv):
    """PIDs of lighttpd's children whose environment has FOLLOW_ROLE=dispatcher."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != srv.proc.pid:
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                if b"FOLLOW_ROLE=dispatcher" in f.read().split(b"\0"):
                    pids.append(int(d))
        except (OSError, ValueError, IndexError):
            continue
    return pids


# ---------------------------------------------------------------------------------------------


def test_payload_sign_and_noops(srv):
    """Both commands' query and body, Sign, increasing EventIds, arrival within a second; no event
    for no-op calls; partial batches list only the targets that changed."""
    expect_eq(hashlib.sha256(b"xxxxyyyy1669872112").hexdigest(),
              "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061", None,
              "the spec's Sign example")
    a, b, c, d, e = ["p_%s" % x for x in "abcde"]
    srv.import_accounts([a, b, c, d, e])
    mark = RECEIVER.mark()
    calls = []
    steps = [
        (ADD, a, [b, c], [b, c], None),
        (ADD, a, [b, d], [d], None),                            # b: already following
        (ADD, a, [b, c, d], [], None),                          # all already: no event
        # no change, errors: no event
        (ADD, a, [c, "p_missing", a], [], [OK, NOT_IMPORTED, INVALID_PARAMS]),
        (ADD, a, ["p_missing"], [], [NOT_IMPORTED]),            # only errors: no event
        # duplicate target listed once
        (ADD, a, [e, "p_missing", e], [e], [OK, NOT_IMPORTED, OK]),
        (DEL, a, [b, "p_missing"], [b], [OK, NOT_IMPORTED]),
        (DEL, a, [b], [], None),                                # not following: no event
        (DEL, a, [a, b], [], [INVALID_PARAMS, OK]),             # self + not following: none
        (DEL, a, [c, b, d, e], [c, d, e], None),                # b: not following any more
        (ADD, b, [a, c], [a, c], None),
        (DEL, b, [c, c], [c], None),
    ]
    for cmd, frm, tos, changed, codes in steps:
        call = act(srv, cmd, frm, tos, changed, codes)
        calls.append(call)
        if not changed:
            continue
        n = len([x for x in calls if x.changed])
        recs = wait_events(RECEIVER, mark, "p_", n, 3)
        firsts = first_deliveries(recs)
        check(len(firsts) >= n, None, "the event of %r did not arrive within 3 s; got:\n%s"
              % (call, describe(recs)))
        lag = firsts[n - 1].t - call.t1 / 1000.0
        check(lag < 1.0, None, "the event of %r arrived %.2fs after the answer (< 1 s expected)"
              % (call, lag))
    recs = quiet(RECEIVER, mark, "p_", 1.0)
    check(all(r.processed for r in recs), None, "unexpected failed attempts:\n" + describe(recs))
    by_id = processed_by_id(recs)
    check(all(len(v) == 1 for v in by_id.values()), None,
          "an event was delivered twice to a healthy receiver:\n" + describe(recs))
    check_sequence(first_deliveries(recs), calls)


def _down_client(srv, frm, targets, seed, n, calls, lock, errors):
    """n follow/unfollow calls of frm over targets, each changing at least one edge."""
    rnd = random.Random(seed)
    following = set()
    try:
        for _ in range(n):
            free = [t for t in targets if t not in following]
            if following and (not free or rnd.random() < 0.45):
                pick = rnd.sample(sorted(following), rnd.randint(1, min(3, len(following))))
                tos = pick + ([rnd.choice(free)] if free and rnd.random() < 0.4 else [])
                cmd, changed = DEL, pick
                following.difference_update(pick)
            else:
                pick = rnd.sample(free, rnd.randint(1, min(3, len(free))))
                tos = pick + ([rnd.choice(sorted(following))] if following and rnd.random() < 0.4
                              else [])
                cmd, changed = ADD, pick
                following.update(pick)
            rnd.shuffle(tos)
            changed = [t for t in tos if t in changed]
            call = act(srv, cmd, frm, tos, changed)
            with lock:
                calls.append(call)
            time.sleep(rnd.uniform(0.3, 0.9))
    except Exception as ex:  # noqa: BLE001 - reported by the test
        errors.append("%s: %r" % (frm, ex))


def test_receiver_down_then_back(srv):
    """For ~3 s the receiver answers 500, then closes connections unanswered, then answers 200
    with a non-JSON body, while 4 accounts make 5 changes each. Once it is back every event
    arrives once, per account in call order, EventIds increasing."""
    froms = ["d_%d" % i for i in range(4)]
    targets = ["d_t%d" % i for i in range(6)]
    srv.import_accounts(froms + targets)
    mark = RECEIVER.mark()
    calls, lock, errors = [], threading.Lock(), []
    RECEIVER.set_mode("500")
    t_down = time.time()
    threads = [threading.Thread(target=_down_client,
                                args=(srv, f, targets, i, 5, calls, lock, errors))
               for i, f in enumerate(froms)]
    try:
        for th in threads:
            th.start()
        # The first attempts come at about 0, 0.5, 1.5 and 3.5 s: one of each kind of failure.
        while any(th.is_alive() for th in threads) or time.time() - t_down < 3.0:
            dt = time.time() - t_down
            RECEIVER.set_mode("500" if dt < 0.3 else "close" if dt < 1.0 else "nonjson")
            time.sleep(0.02)
        for th in threads:
            th.join()
        before = RECEIVER.since(mark)
    finally:
        RECEIVER.set_mode("ok")
    t_up = time.time()
    check(not errors, None, "calls failed: %s" % errors)
    check(len(calls) == 20, None, "20 calls expected, made %d" % len(calls))
    check(not [r for r in before if r.processed], None,
          "something was processed while the receiver was down:\n" + describe(before))
    kinds = sorted(set(r.mode for r in before))
    check(kinds == ["500", "close", "nonjson"], None,
          "the dispatcher should have met each kind of failure while the receiver was down, "
          "met %s:\n%s" % (kinds, describe(before)))
    recs = wait_events(RECEIVER, mark, "d_", 20, 10)
    firsts = first_deliveries(recs)
    check(len(firsts) >= 20, None, "only %d of 20 events arrived within 10 s of the receiver's "
          "return:\n%s" % (len(firsts), describe(recs)))
    recs = quiet(RECEIVER, mark, "d_", 1.0)
    firsts = first_deliveries(recs)
    by_id = processed_by_id(recs)
    dups = {k: len(v) for k, v in by_id.items() if len(v) > 1}
    check(not dups, None, "events processed more than once (EventId: times): %s" % dups)
    check(len(firsts) == 20, None, "%d events arrived for 20 changes:\n%s"
          % (len(firsts), describe(firsts)))
    ids = [r.event_id for r in firsts]
    check(all(x < y for x, y in zip(ids, ids[1:])), None,
          "EventIds should increase in delivery order: %s" % ids)
    for f in froms:
        mine_calls = [c for c in calls if c.frm == f]   # each account's calls come from one thread
        mine_recs = [r for r in firsts if r.json["From_Account"] == f]
        check_sequence(mine_recs, mine_calls, what="events of %s" % f)
    print("  %d attempts while down (%s); all 20 events %.2fs after the receiver came back"
          % (len(before), ", ".join("%s x%d" % (k, len([r for r in before if r.mode == k]))
                                    for k in kinds), max(r.t for r in firsts) - t_up))


def test_receiver_hangs(srv):
    """The receiver holds every request for 10 s: follow calls meanwhile still answer at once;
    the events arrive after the hang, each EventId with one body, none missing."""
    a, b = "h_a", "h_b"
    targets = ["h_t%d" % i for i in range(5)]
    srv.import_accounts([a, b] + targets)
    mark = RECEIVER.mark()
    hang_until = time.time() + 10
    RECEIVER.set_mode("hang", hang_until=hang_until)
    calls = []
    try:
        for i in range(10):
            frm = a if i % 2 == 0 else b
            t = targets[i // 2]
            t0 = time.time()
            calls.append(act(srv, ADD, frm, [t], [t]))
            took = time.time() - t0
            check(took < 1.0, None, "%r took %.2fs while the receiver hangs" % (calls[-1], took))
            time.sleep(0.3)
        # Calls keep answering fast deep into the hang, too.
        time.sleep(max(0.0, hang_until - 4 - time.time()))
        t0 = time.time()
        calls.append(act(srv, DEL, a, targets[:2], targets[:2]))
        took = time.time() - t0
        check(took < 1.0, None, "%r took %.2fs while the receiver hangs" % (calls[-1], took))
        # The mode stays "hang": requests that come after hang_until are answered at once.
        time.sleep(max(0.0, hang_until - time.time()))
        early = RECEIVER.since(mark)
    finally:
        RECEIVER.set_mode("ok")
    recs = wait_events(RECEIVER, mark, "h_", len(calls), max(0, hang_until - time.time()) + 10)
    recs = quiet(RECEIVER, mark, "h_", 0.5)
    by_id = processed_by_id(recs)
    firsts = first_deliveries(recs)
    check(len(firsts) == len(calls), None, "%d events expected, %d EventIds arrived:\n%s"
          % (len(calls), len(firsts), describe(recs)))
    check_sequence(firsts, calls)
    for eid, rs in by_id.items():
        check(all(r.body == rs[0].body for r in rs), None,
              "EventId %s was delivered with different bodies:\n%s" % (eid, describe(rs)))
    head = firsts[0]
    attempts = by_id[head.event_id]
    check(len(attempts) >= 2, None, "the hung event should have been tried again after 2 s:\n"
          + describe(attempts))
    gap = attempts[1].t - attempts[0].t
    check(2.0 <= gap <= 3.5, None, "the second attempt of the hung event came %.2fs after the "
          "first (2 s time-out + 0.5 s backoff expected)" % gap)
    for r in firsts[1:]:
        check(r.t >= hang_until - 0.01, None, "EventId %s arrived before the head event was "
              "answered (at %.2f, the hang ended %.2f)" % (r.event_id, r.t, hang_until))
    check(all(r.event_id == head.event_id for r in early if r.t < hang_until), None,
          "only the head event should be attempted during the hang:\n" + describe(early))
    print("  the hung EventId %s was tried %d times; %d EventIds redelivered"
          % (head.event_id, len(attempts), len([1 for v in by_id.values() if len(v) > 1])))


def test_pending_events_survive_kill_9(srv):
    """Events pending when every process is SIGKILLed are delivered after the restart, in order;
    EventIds after the restart continue above the old ones."""
    froms = ["k_a", "k_b"]
    targets = ["k_t%d" % i for i in range(5)]
    srv.import_accounts(froms + targets)
    mark = RECEIVER.mark()
    RECEIVER.set_mode("500")
    calls = []
    try:
        for i in range(10):
            frm = froms[i % 2]
            t = targets[i // 2]
            calls.append(act(srv, ADD if i < 8 else DEL, frm, [t] if i < 8 else targets[:4:2],
                             [t] if i < 8 else targets[:4:2]))
        tried = RECEIVER.wait(lambda rs: len(rs) >= 1, 3, mark)
        check(tried and not tried[0].processed, None, "the dispatcher should be failing now:\n"
              + describe(tried))
        old = dispatcher_pids(srv)
        check(len(old) == 1, None, "one dispatcher process expected, found %s" % old)
        srv.restart(crash=True)
        new = dispatcher_pids(srv)
        check(len(new) == 1 and new != old, None, "a new dispatcher expected after the restart: "
              "before %s, after %s" % (old, new))
    finally:
        RECEIVER.set_mode("ok")
    recs = wait_events(RECEIVER, mark, "k_", 10, 10)
    recs = quiet(RECEIVER, mark, "k_", 0.5)
    firsts = first_deliveries(recs)
    dups = {k: len(v) for k, v in processed_by_id(recs).items() if len(v) > 1}
    check(not dups, None, "events processed more than once (EventId: times): %s" % dups)
    check_sequence(firsts, calls, what="events pending at the crash")
    # A new change after the restart: a new, larger EventId (ids are not reused).
    mark2 = RECEIVER.mark()
    call = act(srv, ADD, "k_a", [targets[4]], [targets[4]])
    recs2 = wait_events(RECEIVER, mark2, "k_", 1, 3)
    check(len(first_deliveries(recs2)) == 1, None, "the event made after the restart did not "
          "arrive:\n" + describe(recs2))
    check_sequence(first_deliveries(recs2), [call], what="event after the restart")
    check(recs2[0].event_id > max(r.event_id for r in firsts), None,
          "EventId %d after the restart is not above the ones before (%s)"
          % (recs2[0].event_id, [r.event_id for r in firsts]))


def test_dispatcher_killed_alone(srv):
    """SIGKILL of the dispatcher only, while events are pending: lighttpd starts a new one, which
    delivers them in order; the API keeps working."""
    targets = ["j_t%d" % i for i in range(3)]
    srv.import_accounts(["j_a"] + targets)
    mark = RECEIVER.mark()
    RECEIVER.set_mode("500")
    try:
        calls = [act(srv, ADD, "j_a", [t], [t]) for t in targets]
        tried = RECEIVER.wait(lambda rs: len(rs) >= 1, 3, mark)
        check(tried and not tried[0].processed, None, "the dispatcher should be failing now")
        old = dispatcher_pids(srv)
        check(len(old) == 1, None, "one dispatcher process expected, found %s" % old)
        os.kill(old[0], signal.SIGKILL)
        new, deadline = [], time.time() + 5
        while time.time() < deadline:
            new = dispatcher_pids(srv)
            if new and new != old:
                break
            time.sleep(0.05)
        check(len(new) == 1 and new != old, None,
              "no new dispatcher within 5 s of SIGKILL (before %s, now %s)" % (old, new))
        # The API survives the kill (its store may have to recover from the dead process).
        calls.append(act(srv, DEL, "j_a", targets[:1], targets[:1]))
    finally:
        RECEIVER.set_mode("ok")
    recs = wait_events(RECEIVER, mark, "j_", len(calls), 8)
    recs = quiet(RECEIVER, mark, "j_", 0.5)
    dups = {k: len(v) for k, v in processed_by_id(recs).items() if len(v) > 1}
    check(not dups, None, "events processed more than once (EventId: times): %s" % dups)
    check_sequence(first_deliveries(recs), calls, what="events pending when the dispatcher died")


def test_dead_letter(srv):
    """callback_retry_seconds = 2 and a receiver that always answers 500: the first event is tried
    at backoff 0.5, 1, 2 s, then moved to dead-letter (logged), and the next ones are tried;
    once the receiver is healthy they arrive, the dead one never does."""
    rcv = Receiver()
    rcv.set_mode("500")
    try:
        with Server(procs=1, callback_url=rcv.url("/cb"), callback_retry_seconds=2) as s2:
            acct = ["x_a", "x_b", "x_c", "x_d"]
            s2.import_accounts(acct)
            calls = [act(s2, ADD, "x_a", ["x_b"], ["x_b"]),
                     act(s2, ADD, "x_b", ["x_a", "x_c"], ["x_a", "x_c"]),
                     act(s2, DEL, "x_a", ["x_b"], ["x_b"])]
            seen_dead = None
            deadline = time.time() + 8
            while time.time() < deadline:
                if "moved to dead-letter" in s2.log_text():
                    seen_dead = time.time()
                    break
                time.sleep(0.05)
            attempts = rcv.since(0)
            check(seen_dead is not None, None, "no \"moved to dead-letter\" in the log within 8 s; "
                  "attempts:\n%s\n%s" % (describe(attempts), s2.log_tail(20)))
            first_id = attempts[0].event_id
            e1 = [r for r in attempts if r.event_id == first_id]
            check(same_event(e1[0], calls[0]), None, "the first attempt should be the first "
                  "event:\n" + describe(attempts))
            check_event(e1[0], calls[0], token=None)    # no callback_token: no RequestTime/Sign
            gaps = [round(y.t - x.t, 2) for x, y in zip(e1, e1[1:])]
            check(len(e1) >= 3 and all(w - 0.05 <= g <= w + 0.5
                                       for g, w in zip(gaps, [0.5, 1.0, 2.0, 4.0])), None,
                  "attempts of the first event should be spaced 0.5, 1, 2 s: %s\n%s"
                  % (gaps, describe(e1)))
            check(seen_dead - e1[0].t >= 2.0, None, "moved to dead-letter %.2fs after its first "
                  "failure, before callback_retry_seconds = 2" % (seen_dead - e1[0].t))
            line = [ln for ln in s2.log_text().splitlines() if "moved to dead-letter" in ln]
            # The next event is tried now: its first attempt, still a 500.
            nxt = rcv.wait(lambda rs: any(r.event_id != first_id for r in rs), 3)
            later = [r for r in nxt if r.event_id != first_id]
            check(later, None, "the event after the dead one was not attempted within 3 s:\n"
                  + describe(nxt))
            check(same_event(later[0], calls[1]) and later[0].event_id > first_id, None,
                  "the second event should come next:\n" + describe(nxt))
            mark = rcv.mark()
            rcv.set_mode("ok")
            calls.append(act(s2, ADD, "x_c", ["x_d"], ["x_d"]))
            recs = wait_events(rcv, mark, "x_", 3, 5)
            recs = quiet(rcv, mark, "x_", 0.5)
            check_sequence(first_deliveries(recs), calls[1:], token=None,
                           what="events after the dead-letter")
            check(not [r for r in rcv.since(0) if r.processed and r.event_id == first_id], None,
                  "the dead-letter event was delivered after all")
            print("  %s" % line[0].strip()[:200])
    finally:
        rcv.stop()


def test_no_callback_url(srv):
    """Without callback_url the follow APIs work and nothing is posted; no backlog is kept either:
    configuring a callback_url later does not post the changes made while there was none."""
    mark = RECEIVER.mark()
    rcv = Receiver()
    try:
        with Server(procs=1) as s3:
            s3.import_accounts(["n_a", "n_b", "n_c"])
            act(s3, ADD, "n_a", ["n_b", "n_c"], ["n_b", "n_c"])
            act(s3, DEL, "n_a", ["n_b"], ["n_b"])
            act(s3, ADD, "n_b", ["n_a"], ["n_a"])
            expect_eq(s3.follow_type("n_a", "n_b"), FANS, None, "n_a sees n_b as a fan")
            check(len(dispatcher_pids(s3)) <= 1, None, "more than one dispatcher")
            time.sleep(1.0)
            check(not RECEIVER.since(mark) and not rcv.since(0), None, "something was posted: %r"
                  % (RECEIVER.since(mark) + rcv.since(0)))
            # The same data, now with a callback_url: only changes made from now on are posted.
            s3.stop()
            s3.overrides["callback_url"] = rcv.url("/cb")
            s3.start()
            call = act(s3, ADD, "n_c", ["n_a"], ["n_a"])
            recs = wait_events(rcv, 0, "n_", 1, 3)
            recs = quiet(rcv, 0, "n_", 0.8)
            check_sequence(first_deliveries(recs), [call], token=None,
                           what="events once a callback_url is set")
            check(not RECEIVER.since(mark), None, "the file's receiver got requests: %r"
                  % RECEIVER.since(mark))
    finally:
        rcv.stop()


if __name__ == "__main__":
    run_tests(globals(), callback_url=RECEIVER.url("/cb"), callback_token=TOKEN)
