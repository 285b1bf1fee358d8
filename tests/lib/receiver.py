"""A webhook receiver for the tests: the app backend that the follow service POSTs its callbacks to
(spec §8). Python 3 standard library only.

    rcv = Receiver()                 # listens on 127.0.0.1, a free port, at once (rcv.port)
    rcv.url("/cb")                   # "http://127.0.0.1:PORT/cb", for callback_url
    rcv.set_mode("500")              # how the next requests are answered (see MODES)
    mark = rcv.mark()                # records made from now on are rcv.records[mark:]
    rcv.wait(lambda recs: ..., timeout)
    rcv.stop()

Every request is recorded (a Record), answered or not. A record is `processed` when the receiver
took the event in, that is it answered (or, for "hang", was going to answer) 200 with a JSON
body: the delivery counted from the backend's point of view, the one a backend de-duplicates by
EventId. Failed attempts ("500", "close", "nonjson") are recorded with processed False.
"""

import collections
import http.server
import json
import threading
import time
import urllib.parse

OK_ANSWER = b'{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}'

# ok: 200 + JSON; 500: HTTP 500 (+ JSON); close: reads the request and closes the connection
# without an answer; nonjson: 200 with a body that is not JSON; hang: holds the request until
# hang_until (a time.time() value), then answers 200 + JSON.
MODES = ("ok", "500", "close", "nonjson", "hang")


class Record:
    """One request the receiver got."""

    def __init__(self, t, method, path, query, headers, body, mode):
        self.t = t                    # arrival time (time.time())
        self.method = method
        self.path = path              # the path without the query
        self.query = query            # list of (name, value) pairs, in order
        self.qdict = dict(query)
        self.headers = headers        # list of (name, value)
        self.body = body              # raw bytes
        self.mode = mode              # how it was answered
        self.processed = mode in ("ok", "hang")
        try:
            self.event_id = int(self.qdict.get("EventId", ""))
        except ValueError:
            self.event_id = None
        try:
            self.json = json.loads(body.decode("utf-8"),
                                   object_pairs_hook=collections.OrderedDict)
        except Exception:  # noqa: BLE001 - reported by the tests that look at it
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%s %.3f %s EventId=%s %s %s>" % (self.mode, self.t, self.method, self.event_id,
                                                   self.path,
                                                   self.body.decode("utf-8", "replace"))


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    def _handle(self):
        rcv = self.server.receiver
        t = time.time()
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        u = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
        with rcv.lock:
            mode, hang_until = rcv.mode, rcv.hang_until
            rec = Record(t, self.command, u.path, query, list(self.headers.items()), body, mode)
            rcv.records.append(rec)
            rcv.cond.notify_all()
        try:
            if mode == "close":
                self.close_connection = True
                return
            if mode == "hang":
                while time.time() < hang_until and not rcv.stopping:
                    time.sleep(0.05)
            if mode == "500":
                status, ctype, answer = 500, "application/json", \
                    b'{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"down"}'
            elif mode == "nonjson":
                status, ctype, answer = 200, "text/plain", b"OK, thanks"
            else:
                status, ctype, answer = 200, "application/json", OK_ANSWER
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # the caller gave up (a hang): it will retry

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle


class Receiver:
    def __init__(self, port=0):
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.records = []
        self.mode = "ok"
        self.hang_until = 0.0
        self.stopping = False
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.receiver = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path="/cb"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def set_mode(self, mode, hang_until=None):
        assert mode in MODES, mode
        with self.lock:
            self.mode = mode
            if hang_until is not None:
                self.hang_until = hang_until

    def mark(self):
        with self.lock:
            return len(self.records)

    def since(self, mark=0, pred=None):
        with self.lock:
            recs = list(self.records[mark:])
        return [r for r in recs if pred is None or pred(r)]

    def wait(self, cond, timeout, mark=0, pred=None):
        """Waits until cond(records since mark that satisfy pred) is true; returns that list
        (the last one seen if the time ran out, so callers assert on it)."""
        deadline = time.time() + timeout
        while True:
            recs = self.since(mark, pred)
            if cond(recs) or time.time() >= deadline:
                return recs
            with self.lock:
                self.cond.wait(min(0.05, max(0.0, deadline - time.time())))

    def stop(self):
        self.stopping = True
        self.httpd.shutdown()
        self.httpd.server_close()


def processed_by_id(records):
    """{EventId: [records the receiver processed, in arrival order]}"""
    out = collections.OrderedDict()
    for r in records:
        if r.processed:
            out.setdefault(r.event_id, []).append(r)
    return out


def first_deliveries(records):
    """The processed records, one per EventId (its first), in arrival order: what a
    de-duplicating backend acts on."""
    return [v[0] for v in processed_by_id(records).values()]
