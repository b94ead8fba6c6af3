"""Scaffolding shared by the third-party simulators in tests/sim (standard library only).

Each tests/sim/*_sim.py plays one provider's API and keeps that provider's
wire format (paths, status codes, error bodies, paging, signatures) to
itself; this module holds only what several of them do the same way:

  server_arguments, serve      --port / --ready-file / --clinic, the threaded
                               HTTP server on 127.0.0.1 and the ready file
                               ({"port": N}, written atomically) that
                               tests/support/sim_proc.c waits for
  load_clinic, Clinic          a clinic document (shared/eval/clinics/*.json)
                               with its timezone, services, providers and the
                               opening-hours grid a booking must sit on
  JsonHandler, routes          a quiet HTTP/1.1 handler answering JSON, and
                               the request methods it dispatches to route()
  fail_control, failing        the /_sim/fail, /_sim/down, /_sim/up and
                               /_sim/recover switches of a simulator's state
  rate_wait                    a one-second sliding window of requests
  call_out                     a request the simulator makes itself (a
                               webhook it delivers), answered as (status, text)

The simulators are run as `python3 <srcdir>/tests/sim/X_sim.py`, so this
module is found beside them on sys.path.
"""

import datetime
import json
import os
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


# ---- start-up ---------------------------------------------------------------

def server_arguments(parser, clinic=False):
    """Adds the options every simulator takes (and --clinic when it reads one)."""
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file")
    if clinic:
        parser.add_argument("--clinic", help="clinic JSON; a relative path is also looked up "
                                             "from the checkout's top directory")


def write_ready_file(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"port": port}, f)
    os.replace(tmp, path)


def serve(handler, port, ready_file, setup=None):
    """Serves handler on 127.0.0.1:port until interrupted, then exits 0.

    setup(server) runs once the port is bound and before the ready file
    names it, so a simulator is ready when its ready file appears."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    if setup:
        setup(server)
    if ready_file:
        write_ready_file(ready_file, server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


# ---- the clinic document ----------------------------------------------------

class Clinic(dict):
    """A clinic document: the dict itself, and the schedule rules read from it."""

    def tz(self):
        return zoneinfo.ZoneInfo(self.get("timezone", "UTC"))

    def parse_time(self, s):
        """An ISO 8601 instant, or a date (local midnight); no offset means local time."""
        s = s.strip()
        if len(s) == 10:
            d = datetime.date.fromisoformat(s)
            return datetime.datetime(d.year, d.month, d.day, tzinfo=self.tz())
        if s[-1:] in "Zz":
            s = s[:-1] + "+00:00"
        dt = datetime.datetime.fromisoformat(s)
        return dt if dt.tzinfo else dt.replace(tzinfo=self.tz())

    def service(self, sid):
        return next((s for s in self.get("services", []) if s.get("id") == sid), None)

    def provider(self, pid):
        return next((p for p in self.get("providers", []) if p.get("id") == pid), None)

    def bookable(self, prov, svc, start, end):
        """Inside the provider's working hours on an open day, on the clinic's step grid."""
        p, s = self.provider(prov), self.service(svc)
        if not p or not s or svc not in p.get("services", []):
            return False
        local = start.astimezone(self.tz())
        day = DAYS[local.weekday()]
        hours = self.get("hours", {}).get(day)
        if not hours or day not in p.get("days", DAYS) or \
                local.date().isoformat() in self.get("closed_dates", []):
            return False
        mins = local.hour * 60 + local.minute
        o, c = _minutes(hours[0]), _minutes(hours[1])
        length = int((end - start).total_seconds() // 60)
        return local.second == 0 and (mins - o) % self.get("slot_step_min", 15) == 0 and \
            mins >= o and mins + length <= c

    def openings(self, svc, prov_filter, lo, hi, busy, by_provider_id=True):
        """(start, end, provider id) of every free opening for service svc starting in
        [lo, hi), by start then provider id (by_provider_id False: then the clinic's
        order of providers); busy(provider id, start, end) says taken."""
        s = self.service(svc)
        if not s:
            return []
        length = datetime.timedelta(minutes=s.get("duration_min", 30))
        step = datetime.timedelta(minutes=self.get("slot_step_min", 15))
        tz = self.tz()
        provs = [p for p in self.get("providers", [])
                 if svc in p.get("services", []) and (not prov_filter or p["id"] == prov_filter)]
        out = []
        day, last = lo.astimezone(tz).date(), hi.astimezone(tz).date()
        while day <= last:
            hours = self.get("hours", {}).get(DAYS[day.weekday()])
            if hours and day.isoformat() not in self.get("closed_dates", []):
                t = datetime.datetime.combine(day, datetime.time.fromisoformat(hours[0]), tz)
                c = datetime.datetime.combine(day, datetime.time.fromisoformat(hours[1]), tz)
                while t + length <= c:
                    if lo <= t < hi:
                        for p in provs:
                            if DAYS[day.weekday()] in p.get("days", DAYS) and \
                                    not busy(p["id"], t, t + length):
                                out.append((t, t + length, p["id"]))
                    t += step
            day += datetime.timedelta(days=1)
        if by_provider_id:
            out.sort(key=lambda o: (o[0], o[2]))
        return out


def _minutes(hhmm):
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def load_clinic(path):
    """The clinic document at path (a relative path missing from the current
    directory is looked up from the checkout's top directory); {} without one."""
    if not path:
        return Clinic()
    if not os.path.isabs(path) and not os.path.exists(path):
        top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        path = os.path.join(top, path)
    with open(path) as f:
        return Clinic(json.load(f))


# ---- the handler ------------------------------------------------------------

class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1, JSON answers. log_name set: one stderr line per request under
    that name; None: quiet."""
    protocol_version = "HTTP/1.1"
    content_type = "application/json; charset=utf-8"
    log_name = None

    def log_message(self, fmt, *args):
        if self.log_name:
            sys.stderr.write(self.log_name + ": " + (fmt % args) + "\n")

    def send_bytes(self, status, data, content_type, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def reply(self, status, obj, headers=None):
        self.send_bytes(status, json.dumps(obj).encode(), self.content_type, headers)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def json_body(self, default=b"{}"):
        """The request body as JSON (default when empty), None when it is not JSON."""
        try:
            return json.loads(self.body() or default)
        except ValueError:
            return None


def routes(*methods):
    """Class decorator: each of methods ("GET", "POST", ...) is handled by
    self.route(method); the others keep the server's 501."""
    def add(cls):
        for m in methods:
            setattr(cls, "do_" + m, lambda self, m=m: self.route(m))
        return cls
    return add


# ---- failure switches and rate windows --------------------------------------

def fail_control(state, path, q):
    """Applies /_sim/fail?status=&seconds=|count=, /_sim/down and /_sim/up
    (/_sim/recover) to state (fail_status, fail_until, fail_count); q holds one
    value per name. False when path is none of them. Call with the state's lock held."""
    if path == "/_sim/fail":
        state["fail_status"] = int(q.get("status", "503"))
        state["fail_until"] = time.monotonic() + float(q.get("seconds", "0"))
        state["fail_count"] = int(q.get("count", "0"))
    elif path == "/_sim/down":
        state["fail_status"], state["fail_until"] = 503, float("inf")
    elif path in ("/_sim/up", "/_sim/recover"):
        state["fail_until"], state["fail_count"] = 0.0, 0
    else:
        return False
    return True


def failing(state, now):
    """True when this request is to answer state["fail_status"] (uses up one of a count)."""
    fail = state["fail_until"] > now or state["fail_count"] > 0
    if state["fail_count"] > 0:
        state["fail_count"] -= 1
    return fail


def rate_wait(window, limit, now):
    """None when one more request fits the last second of window (a deque of
    monotonic times; it is recorded), else the whole seconds until one will."""
    while window and window[0] <= now - 1.0:
        window.popleft()
    if len(window) >= limit:
        return max(1, int(window[0] + 1.0 - now + 0.999))
    window.append(now)
    return None


# ---- requests the simulator makes -------------------------------------------

def call_out(url, body=None, headers=None, timeout=15):
    """POSTs body (GET when None) to url: (status, answer text); (0, the error)
    when nothing answered."""
    req = urllib.request.Request(url, data=body, method="GET" if body is None else "POST",
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, str(e)
