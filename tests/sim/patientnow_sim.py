#!/usr/bin/env python3
"""PatientNow API simulator for Bookwell's tests (Python 3 standard library only).

PatientNow's public material says only this much about its API: REST over
HTTPS, opened to practices on PatientNow Essentials with API access enabled,
authenticated by a gateway key (the "apikey" query parameter) together with
HTTP Basic credentials of a PatientNow API user. The resource paths and
members below are the shape emr.patientnow reads and writes (the plugin's
paths are configurable, so a practice can point it at what its gateway
exposes); this simulator serves them from a clinic document (--clinic, the
format of shared/eval/clinics/*.json):

  GET  /api/v1/locations                       the practice's location (one)
  GET  /api/v1/providers                       the clinic's providers
  GET  /api/v1/appointmenttypes                the clinic's services (duration in minutes)
  GET  /api/v1/availability?locationId=&appointmentTypeId=&providerId=&startDate=&endDate=
                                               free openings on the clinic's step grid
  GET  /api/v1/patients?mobilePhone=|email=    search; POST /api/v1/patients creates
  GET  /api/v1/patients/{id}
  POST /api/v1/appointments                    book (409 when the time is taken)
  GET  /api/v1/appointments/{id}
  PUT  /api/v1/appointments/{id}/cancel        cancel (again: 200, unchanged)

Every /api request needs ?apikey=<gateway key> (401 {"statusCode":401,
"message":"Access denied due to missing or invalid API key."} otherwise, the
gateway's answer) and "Authorization: Basic" with the API user's credentials
(401 {"Message":"Authorization has been denied for this request."} with
WWW-Authenticate otherwise). Lists are paged: pageNumber (from 1) and
pageSize (at most the page size, default 20) answer {"data":[...],
"pageNumber","pageSize","totalRecords","totalPages"}. The gateway allows
--rate-limit requests per second per key (default 10); beyond it 429 with
Retry-After and {"statusCode":429,"message":"Rate limit is exceeded. Try
again in N seconds."}.

Control API (no auth):
  POST /_sim/reset                         forget everything but the clinic's records
  GET  /_sim/state                         patients, appointments, requests per route,
                                           429s and 401s sent
  POST /_sim/fail?status=503&seconds=N|count=N   API requests answer status
  POST /_sim/down, /_sim/up (/_sim/recover)       503 until up
  POST /_sim/credentials?api_key=&username=&password=   what the gateway accepts now
  POST /_sim/config?page_size=&rate_limit=&retry_after=   (retry_after: the Retry-After
                                           every 429 names, 0 for the time the window needs)
"""

import argparse
import base64
import collections
import datetime
import json
import os
import sys
import threading
import time
import urllib.parse
import zoneinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {}
ARGS = None
CLINIC = {}
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LOCATION_ID = "1"
PREFIX = "/api/v1/"


def tz():
    return zoneinfo.ZoneInfo(CLINIC.get("timezone", "UTC"))


def fmt(dt):
    return dt.astimezone(tz()).isoformat(timespec="seconds")


def parse_time(s):
    s = s.strip()
    if len(s) == 10:
        d = datetime.date.fromisoformat(s)
        return datetime.datetime(d.year, d.month, d.day, tzinfo=tz())
    if s[-1:] in "Zz":
        s = s[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(s)
    return dt if dt.tzinfo else dt.replace(tzinfo=tz())


def service(sid):
    return next((s for s in CLINIC.get("services", []) if s.get("id") == sid), None)


def provider(pid):
    return next((p for p in CLINIC.get("providers", []) if p.get("id") == pid), None)


def digits(s):
    return "".join(ch for ch in (s or "") if ch.isdigit())


def appointment(aid, patient_id, prov, svc, start, end, notes=""):
    return {"appointmentId": aid, "patientId": patient_id, "providerId": prov,
            "locationId": LOCATION_ID, "appointmentTypeId": svc,
            "startTime": fmt(start), "endTime": fmt(end), "notes": notes,
            "status": "Scheduled"}


def seed():
    pats, appts, phones = {}, {}, {}
    n = 2000
    for c in CLINIC.get("clients", []):
        n += 1
        pid = str(n)
        pats[pid] = {"patientId": pid, "firstName": c.get("first_name", ""),
                     "lastName": c.get("last_name", ""), "mobilePhone": c.get("phone", ""),
                     "email": c.get("email", "")}
        phones[c.get("phone", "")] = pid
    m = 7000
    for a in CLINIC.get("appointments", []):
        s = service(a.get("service"))
        if not s:
            continue
        m += 1
        start = parse_time(a["start"])
        end = start + datetime.timedelta(minutes=s.get("duration_min", 30))
        appts[str(m)] = appointment(str(m), phones.get(a.get("client"), ""), a.get("provider"),
                                    a.get("service"), start, end)
    return pats, appts, n, m


def reset():
    pats, appts, n, m = seed()
    with LOCK:
        STATE.clear()
        STATE.update({
            "patients": pats, "appointments": appts, "next_patient": n, "next_appointment": m,
            "requests": collections.Counter(), "rate": collections.deque(),
            "rate_limited": 0, "unauthorized": 0,
            "fail_until": 0.0, "fail_count": 0, "fail_status": 503,
            "page_size": ARGS.page_size, "rate_limit": ARGS.rate_limit, "retry_after": 0,
            "api_key": ARGS.api_key, "username": ARGS.username, "password": ARGS.password,
        })


def busy(prov, start, end):
    for a in STATE["appointments"].values():
        if a["status"] == "Cancelled" or a["providerId"] != prov:
            continue
        if parse_time(a["startTime"]) < end and start < parse_time(a["endTime"]):
            return True
    return False


def minutes(hhmm):
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def bookable(prov, svc, start, end):
    p, s = provider(prov), service(svc)
    if not p or not s or svc not in p.get("services", []):
        return False
    local = start.astimezone(tz())
    day = DAYS[local.weekday()]
    hours = CLINIC.get("hours", {}).get(day)
    if not hours or day not in p.get("days", DAYS) or \
            local.date().isoformat() in CLINIC.get("closed_dates", []):
        return False
    mins = local.hour * 60 + local.minute
    o, c = minutes(hours[0]), minutes(hours[1])
    length = int((end - start).total_seconds() // 60)
    return local.second == 0 and (mins - o) % CLINIC.get("slot_step_min", 15) == 0 and \
        mins >= o and mins + length <= c


def openings(svc, prov_filter, lo, hi):
    s = service(svc)
    length = datetime.timedelta(minutes=s.get("duration_min", 30))
    step = datetime.timedelta(minutes=CLINIC.get("slot_step_min", 15))
    provs = [p for p in CLINIC.get("providers", [])
             if svc in p.get("services", []) and (not prov_filter or p["id"] == prov_filter)]
    out = []
    day, last = lo.astimezone(tz()).date(), hi.astimezone(tz()).date()
    while day <= last:
        hours = CLINIC.get("hours", {}).get(DAYS[day.weekday()])
        if hours and day.isoformat() not in CLINIC.get("closed_dates", []):
            t = datetime.datetime.combine(day, datetime.time.fromisoformat(hours[0]), tz())
            c = datetime.datetime.combine(day, datetime.time.fromisoformat(hours[1]), tz())
            while t + length <= c:
                if lo <= t < hi:
                    for p in provs:
                        if DAYS[day.weekday()] in p.get("days", DAYS) and \
                                not busy(p["id"], t, t + length):
                            out.append({"startTime": fmt(t), "endTime": fmt(t + length),
                                        "providerId": p["id"], "locationId": LOCATION_ID,
                                        "appointmentTypeId": svc})
                t += step
        day += datetime.timedelta(days=1)
    out.sort(key=lambda o: (o["startTime"], o["providerId"]))
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt_, *args):
        pass

    def reply(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        raw = self.body()
        try:
            if u.path.startswith("/_sim/"):
                return self.control(u.path, q)
            if u.path.startswith(PREFIX):
                return self.api(method, u.path[len(PREFIX):].strip("/").split("/"), q, raw)
            self.reply(404, {"statusCode": 404, "message": "Resource not found"})
        except (ValueError, KeyError, TypeError) as e:
            self.reply(400, {"message": "The request is invalid.", "detail": str(e)})

    def control(self, path, q):
        if path == "/_sim/reset":
            reset()
        elif path == "/_sim/state":
            with LOCK:
                return self.reply(200, {
                    "patients": list(STATE["patients"].values()),
                    "appointments": list(STATE["appointments"].values()),
                    "requests": dict(STATE["requests"]),
                    "rate_limited": STATE["rate_limited"], "unauthorized": STATE["unauthorized"]})
        elif path == "/_sim/fail":
            with LOCK:
                STATE["fail_status"] = int(q.get("status", "503"))
                STATE["fail_until"] = time.monotonic() + float(q.get("seconds", "0"))
                STATE["fail_count"] = int(q.get("count", "0"))
        elif path == "/_sim/down":
            with LOCK:
                STATE["fail_status"], STATE["fail_until"] = 503, float("inf")
        elif path in ("/_sim/up", "/_sim/recover"):
            with LOCK:
                STATE["fail_until"], STATE["fail_count"] = 0.0, 0
        elif path == "/_sim/credentials":
            with LOCK:
                for k in ("api_key", "username", "password"):
                    if k in q:
                        STATE[k] = q[k]
        elif path == "/_sim/config":
            with LOCK:
                for k in ("page_size", "rate_limit", "retry_after"):
                    if k in q:
                        STATE[k] = int(q[k])
        else:
            return self.reply(404, {"error": "no such control route"})
        return self.reply(200, {"ok": True})

    def authorized(self, q):
        """None when the gateway key and the Basic credentials pass, else the refusal."""
        if q.get("apikey") != STATE["api_key"]:
            return ({"statusCode": 401,
                     "message": "Access denied due to missing or invalid API key."}, {})
        auth = self.headers.get("Authorization", "")
        user = pw = None
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:], validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                pass
        if user != STATE["username"] or pw != STATE["password"]:
            return ({"Message": "Authorization has been denied for this request."},
                    {"WWW-Authenticate": 'Basic realm="PatientNow API"'})
        return None

    def api(self, method, parts, q, raw):
        now = time.monotonic()
        with LOCK:
            key = "%s %s" % (method, parts[0] if len(parts) == 1 else
                             "%s/%s" % (parts[0], parts[-1] if len(parts) > 2 else "{id}"))
            STATE["requests"][key] += 1
            refusal = self.authorized(q)
            if refusal:
                STATE["unauthorized"] += 1
                return self.reply(401, refusal[0], refusal[1])
            window = STATE["rate"]
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= STATE["rate_limit"]:
                STATE["rate_limited"] += 1
                wait = STATE["retry_after"] or max(1, int(window[0] + 1.0 - now + 0.999))
                return self.reply(429, {"statusCode": 429, "message":
                                        "Rate limit is exceeded. Try again in %d seconds." % wait},
                                  {"Retry-After": str(wait)})
            window.append(now)
            failing = STATE["fail_until"] > now or STATE["fail_count"] > 0
            if STATE["fail_count"] > 0:
                STATE["fail_count"] -= 1
            if failing:
                return self.reply(STATE["fail_status"], {"message": "The service is unavailable."})
            return self.resource(method, parts, q, raw)

    def page(self, items, q):
        size = max(1, min(int(q.get("pageSize") or STATE["page_size"]), STATE["page_size"]))
        number = max(1, int(q.get("pageNumber") or "1"))
        total_pages = max(1, (len(items) + size - 1) // size)
        return {"data": items[(number - 1) * size:number * size], "pageNumber": number,
                "pageSize": size, "totalRecords": len(items), "totalPages": total_pages}

    def resource(self, method, parts, q, raw):
        name = parts[0].lower()
        if method == "GET" and len(parts) == 1:
            if name == "locations":
                return self.reply(200, self.page([{
                    "locationId": LOCATION_ID, "name": CLINIC.get("name", ""),
                    "timeZone": CLINIC.get("timezone", "UTC"), "phone": CLINIC.get("phone", "")}], q))
            if name == "providers":
                res = []
                for p in CLINIC.get("providers", []):
                    words = p.get("name", "").split()
                    res.append({"providerId": p["id"], "displayName": p.get("name", ""),
                                "firstName": " ".join(words[:-1]),
                                "lastName": words[-1] if words else "",
                                "appointmentTypeIds": list(p.get("services", [])),
                                "locationIds": [LOCATION_ID]})
                return self.reply(200, self.page(res, q))
            if name == "appointmenttypes":
                return self.reply(200, self.page([
                    {"appointmentTypeId": s["id"], "name": s.get("name", s["id"]),
                     "duration": s.get("duration_min", 30), "onlineBookable": True}
                    for s in CLINIC.get("services", [])], q))
            if name == "availability":
                svc = q.get("appointmentTypeId", "")
                if not service(svc):
                    return self.reply(400, {"message": "appointmentTypeId is required."})
                if q.get("locationId", LOCATION_ID) != LOCATION_ID:
                    return self.reply(200, self.page([], q))
                lo, hi = parse_time(q["startDate"]), parse_time(q["endDate"])
                if hi <= lo or hi - lo > datetime.timedelta(days=62):
                    return self.reply(400, {"message": "startDate must precede endDate by at "
                                                       "most 62 days."})
                return self.reply(200, self.page(openings(svc, q.get("providerId", ""), lo, hi), q))
            if name == "patients":
                phone, email = digits(q.get("mobilePhone", "")), q.get("email", "").lower()
                if not phone and not email:
                    return self.reply(400, {"message": "mobilePhone or email is required."})
                res = [p for p in STATE["patients"].values()
                       if (not phone or digits(p["mobilePhone"])[-10:] == phone[-10:]) and
                       (not email or p["email"].lower() == email)]
                return self.reply(200, self.page(res, q))
        if method == "GET" and name in ("appointments", "patients") and len(parts) == 2:
            a = STATE[name].get(parts[1])
            return self.reply(200, a) if a else \
                self.reply(404, {"message": "The %s was not found." % name[:-1]})
        if method == "POST" and len(parts) == 1 and name in ("patients", "appointments"):
            body = json.loads(raw or b"null")
            if not isinstance(body, dict):
                return self.reply(400, {"message": "The request body must be an object."})
            return self.create_patient(body) if name == "patients" else self.book(body)
        if method == "PUT" and name == "appointments" and len(parts) == 3 and parts[2] == "cancel":
            a = STATE["appointments"].get(parts[1])
            if not a:
                return self.reply(404, {"message": "The appointment was not found."})
            if a["status"] != "Cancelled":
                body = json.loads(raw or b"{}") or {}
                a["status"] = "Cancelled"
                a["cancelReason"] = str(body.get("reason", ""))
            return self.reply(200, a)
        return self.reply(405, {"message": "The requested resource does not support this method."})

    def create_patient(self, body):
        first, last = body.get("firstName") or "", body.get("lastName") or ""
        phone = body.get("mobilePhone") or ""
        # A name is enough (a client met on Instagram has no phone); a phone given must be one.
        if not first or not last or (phone and len(digits(phone)) < 10):
            return self.reply(400, {"message": "firstName and lastName are required; "
                                               "mobilePhone must be a phone number."})
        STATE["next_patient"] += 1
        pid = str(STATE["next_patient"])
        p = {"patientId": pid, "firstName": first, "lastName": last, "mobilePhone": phone,
             "email": body.get("email") or ""}
        STATE["patients"][pid] = p
        return self.reply(201, p, {"Location": PREFIX + "patients/" + pid})

    def book(self, body):
        pat, prov, svc = body.get("patientId"), body.get("providerId"), body.get("appointmentTypeId")
        if pat not in STATE["patients"]:
            return self.reply(400, {"message": "patientId does not name a patient."})
        if not provider(prov) or not service(svc) or body.get("locationId") != LOCATION_ID:
            return self.reply(400, {"message": "providerId, locationId and appointmentTypeId "
                                               "are required."})
        start, end = parse_time(body["startTime"]), parse_time(body["endTime"])
        if end <= start or not bookable(prov, svc, start, end):
            return self.reply(400, {"message": "The time is outside the provider's schedule."})
        if busy(prov, start, end):
            return self.reply(409, {"message": "The requested time is no longer available."})
        STATE["next_appointment"] += 1
        aid = str(STATE["next_appointment"])
        a = appointment(aid, pat, prov, svc, start, end, str(body.get("notes") or ""))
        STATE["appointments"][aid] = a
        return self.reply(201, a, {"Location": PREFIX + "appointments/" + aid})


def main():
    global ARGS, CLINIC
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--ready-file")
    p.add_argument("--clinic", help="clinic JSON; a relative path is also looked up from the "
                                    "checkout's top directory")
    p.add_argument("--api-key", default="pn-sim-gateway-key")
    p.add_argument("--username", default="bookwell-api@pn-sim.test")
    p.add_argument("--password", default="pn-sim-password")
    p.add_argument("--page-size", type=int, default=20)
    p.add_argument("--rate-limit", type=int, default=10)
    ARGS = p.parse_args()
    if ARGS.clinic:
        path = ARGS.clinic
        if not os.path.isabs(path) and not os.path.exists(path):
            top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            path = os.path.join(top, path)
        with open(path) as f:
            CLINIC = json.load(f)
    server = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    server.daemon_threads = True
    reset()
    if ARGS.ready_file:
        tmp = ARGS.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"port": server.server_address[1]}, f)
        os.replace(tmp, ARGS.ready_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
