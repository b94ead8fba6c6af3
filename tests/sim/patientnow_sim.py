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
import threading
import time
import urllib.parse

import simcore

LOCK = threading.Lock()
STATE = {}
ARGS = None
CLINIC = simcore.Clinic()   # the --clinic document, read in main()
LOCATION_ID = "1"
PREFIX = "/api/v1/"


def fmt(dt):
    return dt.astimezone(CLINIC.tz()).isoformat(timespec="seconds")


parse_time = CLINIC.parse_time
service = CLINIC.service
provider = CLINIC.provider


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


def openings(svc, prov_filter, lo, hi):
    return [{"startTime": fmt(t), "endTime": fmt(end), "providerId": prov,
             "locationId": LOCATION_ID, "appointmentTypeId": svc}
            for t, end, prov in CLINIC.openings(svc, prov_filter, lo, hi, busy)]


@simcore.routes("GET", "POST", "PUT")
class Handler(simcore.JsonHandler):
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
        elif path in ("/_sim/fail", "/_sim/down", "/_sim/up", "/_sim/recover"):
            with LOCK:
                simcore.fail_control(STATE, path, q)
        elif path == "/_sim/state":
            with LOCK:
                return self.reply(200, {
                    "patients": list(STATE["patients"].values()),
                    "appointments": list(STATE["appointments"].values()),
                    "requests": dict(STATE["requests"]),
                    "rate_limited": STATE["rate_limited"], "unauthorized": STATE["unauthorized"]})
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
            wait = simcore.rate_wait(STATE["rate"], STATE["rate_limit"], now)
            if wait is not None:
                STATE["rate_limited"] += 1
                wait = STATE["retry_after"] or wait
                return self.reply(429, {"statusCode": 429, "message":
                                        "Rate limit is exceeded. Try again in %d seconds." % wait},
                                  {"Retry-After": str(wait)})
            if simcore.failing(STATE, now):
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
        if end <= start or not CLINIC.bookable(prov, svc, start, end):
            return self.reply(400, {"message": "The time is outside the provider's schedule."})
        if busy(prov, start, end):
            return self.reply(409, {"message": "The requested time is no longer available."})
        STATE["next_appointment"] += 1
        aid = str(STATE["next_appointment"])
        a = appointment(aid, pat, prov, svc, start, end, str(body.get("notes") or ""))
        STATE["appointments"][aid] = a
        return self.reply(201, a, {"Location": PREFIX + "appointments/" + aid})


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--api-key", default="pn-sim-gateway-key")
    p.add_argument("--username", default="bookwell-api@pn-sim.test")
    p.add_argument("--password", default="pn-sim-password")
    p.add_argument("--page-size", type=int, default=20)
    p.add_argument("--rate-limit", type=int, default=10)
    ARGS = p.parse_args()
    CLINIC.update(simcore.load_clinic(ARGS.clinic))
    simcore.serve(Handler, ARGS.port, ARGS.ready_file, lambda server: reset())


if __name__ == "__main__":
    main()
