#!/usr/bin/env python3
"""Partner booking API simulator for Bookwell's tests (Python 3 standard library only).

Mangomint and Aesthetic Record publish no booking API. A clinic granted
partner access (or running an integration gateway) exposes the plain JSON
contract emr.mangomint and emr.aesthetic_record speak in their partner mode
(plugins/emr-mangomint/README.md); this simulator serves it from a clinic
document (--clinic, the format of shared/eval/clinics/*.json):

  GET  /availability?location_id=&service_id=&from=&to=[&provider_id=]
       {"slots":[{"start","end","provider_id"}]}: free starts of the service's
       length on the clinic's step grid inside opening hours, for every
       provider who offers it and works that weekday
  POST /clients       {"first_name","last_name","phone","email"?} -> 201 {"id",...}
  POST /appointments  {"client_id","location_id","service_id","provider_id","start","end",
                      "notes"?} -> 201 {"id",...,"status":"booked"}; 409 when the
                      provider is busy then; 422 when outside hours or unknown ids
Every request needs "Authorization: Bearer <--api-key>" (401 otherwise). A
write with an "Idempotency-Key" seen before answers the first answer again.

Control API (no auth):
  POST /_sim/reset     forget everything but the clinic's appointments
  GET  /_sim/state     clients, appointments, requests per endpoint
  POST /_sim/down      every API request answers 503 until /_sim/up
  POST /_sim/up
"""

import argparse
import collections
import datetime
import json
import threading
import urllib.parse

import simcore
from simcore import DAYS

LOCK = threading.Lock()
STATE = {}
ARGS = None
CLINIC = simcore.Clinic()   # the --clinic document, read in main()


tz = CLINIC.tz


def parse_time(s):
    s = (s or "").strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        raise ValueError("no offset")
    return dt


def fmt(dt):
    return dt.astimezone(tz()).isoformat(timespec="seconds")


def by_id(kind, ident):
    for x in CLINIC.get(kind, []):
        if x.get("id") == ident:
            return x
    return None


def reset():
    with LOCK:
        STATE.clear()
        appts = {}
        n = 5000
        for a in CLINIC.get("appointments", []):
            s = by_id("services", a.get("service"))
            if not s:
                continue
            n += 1
            start = datetime.datetime.fromisoformat(a["start"])
            if start.tzinfo is None:
                start = start.replace(tzinfo=tz())  # the clinic's local time
            appts[str(n)] = {"id": str(n), "client_id": "", "provider_id": a.get("provider"),
                             "service_id": a.get("service"), "location_id": "main",
                             "start": fmt(start),
                             "end": fmt(start + datetime.timedelta(minutes=s.get("duration_min", 30))),
                             "status": "booked"}
        STATE.update({"clients": {}, "appointments": appts, "next_client": 1000, "next_appointment": n,
                      "idempotent": {}, "requests": collections.Counter(), "down": False})


def busy(prov, start, end):
    for a in STATE["appointments"].values():
        if a["status"] == "booked" and a["provider_id"] == prov and \
                parse_time(a["start"]) < end and start < parse_time(a["end"]):
            return True
    return False


def hours_of(day):
    h = CLINIC.get("hours", {}).get(DAYS[day.weekday()])
    if not h or day.isoformat() in CLINIC.get("closed_dates", []):
        return None
    return (datetime.datetime.combine(day, datetime.time.fromisoformat(h[0]), tz()),
            datetime.datetime.combine(day, datetime.time.fromisoformat(h[1]), tz()))


def bookable(prov, svc, start, end):
    p, s = by_id("providers", prov), by_id("services", svc)
    if not p or not s or svc not in p.get("services", []):
        return False
    local = start.astimezone(tz())
    if DAYS[local.weekday()] not in p.get("days", DAYS):
        return False
    h = hours_of(local.date())
    step = CLINIC.get("slot_step_min", 15)
    return bool(h) and h[0] <= local and end <= h[1] and \
        int((local - h[0]).total_seconds()) % (step * 60) == 0


def free_slots(svc, prov_filter, lo, hi):
    return [{"start": fmt(t), "end": fmt(end), "provider_id": prov}
            for t, end, prov in CLINIC.openings(svc, prov_filter, lo, hi, busy,
                                                by_provider_id=False)]


@simcore.routes("GET", "POST")
class Handler(simcore.JsonHandler):
    content_type = "application/json"

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        raw = self.body()
        path = u.path.rstrip("/")
        if path.startswith("/_sim/"):
            return self.control(method, path)
        # Paths are configurable in the plugin: match the last segment.
        leaf = path.rsplit("/", 1)[-1]
        with LOCK:
            STATE["requests"][method + " " + leaf] += 1
            if STATE["down"]:
                return self.reply(503, {"error": "unavailable"})
        if self.headers.get("Authorization", "") != "Bearer " + ARGS.api_key:
            return self.reply(401, {"error": "unauthorized"})
        if method == "GET" and leaf == "availability":
            return self.availability(q)
        if method != "POST":
            return self.reply(404, {"error": "not_found"})
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.reply(400, {"error": "invalid_json"})
        if not isinstance(body, dict):
            return self.reply(400, {"error": "invalid_json"})
        key = self.headers.get("Idempotency-Key", "")
        with LOCK:
            if key and (leaf, key) in STATE["idempotent"]:
                status, obj = STATE["idempotent"][(leaf, key)]
                return self.reply(status, obj)
            if leaf == "clients":
                status, obj = self.create_client(body)
            elif leaf == "appointments":
                status, obj = self.create_appointment(body)
            else:
                return self.reply(404, {"error": "not_found"})
            if key and status < 500:
                STATE["idempotent"][(leaf, key)] = (status, obj)
        return self.reply(status, obj)

    def control(self, method, path):
        if path == "/_sim/reset" and method == "POST":
            reset()
            return self.reply(200, {"ok": True})
        if path == "/_sim/state":
            with LOCK:
                return self.reply(200, {"clients": list(STATE["clients"].values()),
                                        "appointments": list(STATE["appointments"].values()),
                                        "requests": dict(STATE["requests"])})
        if path in ("/_sim/down", "/_sim/up") and method == "POST":
            with LOCK:
                STATE["down"] = path == "/_sim/down"
            return self.reply(200, {"ok": True})
        return self.reply(404, {"error": "not_found"})

    def availability(self, q):
        one = lambda k: (q.get(k) or [""])[0]
        try:
            lo, hi = parse_time(one("from")), parse_time(one("to"))
        except ValueError:
            return self.reply(400, {"error": "from and to must be RFC 3339 with an offset"})
        if not one("service_id") or not one("location_id"):
            return self.reply(400, {"error": "service_id and location_id are required"})
        if (hi - lo).days > 62:
            return self.reply(400, {"error": "at most 62 days at once"})
        with LOCK:
            return self.reply(200, {"slots": free_slots(one("service_id"), one("provider_id"), lo, hi)})

    def create_client(self, b):
        if not all(isinstance(b.get(k), str) and b.get(k) for k in ("first_name", "last_name", "phone")):
            return 422, {"error": "first_name, last_name and phone are required"}
        STATE["next_client"] += 1
        c = {"id": "c%d" % STATE["next_client"], "first_name": b["first_name"], "last_name": b["last_name"],
             "phone": b["phone"], "email": b.get("email", "")}
        STATE["clients"][c["id"]] = c
        return 201, c

    def create_appointment(self, b):
        try:
            start, end = parse_time(b.get("start")), parse_time(b.get("end"))
        except (ValueError, TypeError):
            return 422, {"error": "start and end must be RFC 3339 with an offset"}
        cid, prov, svc = b.get("client_id", ""), b.get("provider_id", ""), b.get("service_id", "")
        if cid not in STATE["clients"]:
            return 422, {"error": "unknown client"}
        if end <= start or not bookable(prov, svc, start, end):
            return 422, {"error": "outside the provider's bookable hours"}
        if busy(prov, start, end):
            return 409, {"error": "slot_taken"}
        STATE["next_appointment"] += 1
        a = {"id": "a%d" % STATE["next_appointment"], "client_id": cid, "patient_id": cid,
             "location_id": b.get("location_id", "main"), "service_id": svc, "provider_id": prov,
             "start": fmt(start), "end": fmt(end), "notes": b.get("notes", ""), "status": "booked"}
        STATE["appointments"][a["id"]] = a
        return 201, a


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--api-key", default="partner-sim-key")
    ARGS = p.parse_args()
    CLINIC.update(simcore.load_clinic(ARGS.clinic))
    simcore.serve(Handler, ARGS.port, ARGS.ready_file, lambda server: reset())


if __name__ == "__main__":
    main()
