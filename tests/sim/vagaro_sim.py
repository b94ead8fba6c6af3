#!/usr/bin/env python3
"""Vagaro Enterprise Business API V2 simulator for Bookwell's tests (Python 3 standard library only).

Vagaro's public reference (docs.vagaro.com, "PUBLIC - Enterprise Business
API V2") documents the access token endpoint exactly: POST
{base}/merchants/generate-access-token with {"clientId","clientSecretKey",
"scope"} answers {"accessToken","tokenType","expiresIn","scope"}, 400 and
401 (bad credentials) and 429 as empty text/plain; the token then goes in
the "accessToken" header of every call. Its capability pages describe the
locations, services, employees, customers and appointments areas without
paths or members outside an approved account, so those below are the shape
emr.vagaro reads and writes (the plugin's paths are settings), with the
field names of Vagaro's webhook payloads (appointmentId, customerId,
serviceProviderId, businessId, serviceId, startTime, endTime,
bookingStatus). Lists are not paged (Vagaro documents no paging). The base
is https://api.vagaro.com/<region>/api/v2; this simulator serves region us,
loaded from a clinic document (--clinic, shared/eval/clinics/*.json):

  POST /us/api/v2/merchants/generate-access-token
  GET  /us/api/v2/locations                          the business (one)
  GET  /us/api/v2/services?businessId=               the clinic's services (duration, price)
  GET  /us/api/v2/employees?businessId=              the clinic's providers with serviceIds
  GET  /us/api/v2/appointments/availability?businessId=&serviceId=&serviceProviderId=&startDate=&endDate=
  GET  /us/api/v2/customers?businessId=&mobilePhone=|email=     POST creates; GET customers/{id}
  GET  /us/api/v2/appointments?businessId=&startDate=&endDate=[&customerId=]
  POST /us/api/v2/appointments                       book (409 when the time is taken)
  GET  /us/api/v2/appointments/{id}
  PUT  /us/api/v2/appointments/{id}/cancel           cancel (again: 200, unchanged)

Answers are {"data": ...}. A missing, wrong or expired accessToken is 401
with an empty text/plain body. Writes (POST/PUT other than the token) are
403 when the business's plan has no write access (--no-writes, or
/_sim/config?writes=0). Beyond --rate-limit requests per second (default
10): 429 with Retry-After and an empty text/plain body.

Control API (no auth):
  POST /_sim/reset, GET /_sim/state (customers, appointments, tokens granted,
       requests per route, 429s and 401s sent)
  POST /_sim/fail?status=503&seconds=N|count=N, /_sim/down, /_sim/up (/_sim/recover)
  POST /_sim/expire-tokens                 every issued token is expired from now on
  POST /_sim/credentials?client_secret=    what the token endpoint accepts now
  POST /_sim/config?rate_limit=&retry_after=&token_ttl=&writes=0|1
"""

import argparse
import collections
import datetime
import json
import secrets
import threading
import time
import urllib.parse

import simcore

LOCK = threading.Lock()
STATE = {}
ARGS = None
CLINIC = simcore.Clinic()   # the --clinic document, read in main()
PREFIX = "/us/api/v2/"
BUSINESS_ID = "glow-business-1"


def fmt(dt):
    return dt.astimezone(CLINIC.tz()).isoformat(timespec="seconds")


parse_time = CLINIC.parse_time
service = CLINIC.service
provider = CLINIC.provider


def digits(s):
    return "".join(ch for ch in (s or "") if ch.isdigit())


def appointment(aid, customer, prov, svc, start, end, notes=""):
    s = service(svc) or {}
    return {"appointmentId": aid, "customerId": customer, "serviceProviderId": prov,
            "businessId": BUSINESS_ID, "serviceId": svc, "serviceTitle": s.get("name", svc),
            "startTime": fmt(start), "endTime": fmt(end), "notes": notes,
            "bookingStatus": "Confirmed", "bookingSource": "API"}


def seed():
    custs, appts, phones = {}, {}, {}
    n = 3000
    for c in CLINIC.get("clients", []):
        n += 1
        cid = "c%d" % n
        custs[cid] = {"customerId": cid, "firstName": c.get("first_name", ""),
                      "lastName": c.get("last_name", ""), "mobilePhone": c.get("phone", ""),
                      "email": c.get("email", "")}
        phones[c.get("phone", "")] = cid
    m = 8000
    for a in CLINIC.get("appointments", []):
        s = service(a.get("service"))
        if not s:
            continue
        m += 1
        start = parse_time(a["start"])
        end = start + datetime.timedelta(minutes=s.get("duration_min", 30))
        appts["a%d" % m] = appointment("a%d" % m, phones.get(a.get("client"), ""),
                                       a.get("provider"), a.get("service"), start, end)
    return custs, appts, n, m


def reset():
    custs, appts, n, m = seed()
    with LOCK:
        STATE.clear()
        STATE.update({
            "customers": custs, "appointments": appts, "next_customer": n, "next_appointment": m,
            "tokens": {}, "tokens_granted": 0, "requests": collections.Counter(),
            "rate": collections.deque(), "rate_limited": 0, "unauthorized": 0,
            "fail_until": 0.0, "fail_count": 0, "fail_status": 503,
            "rate_limit": ARGS.rate_limit, "retry_after": 0, "token_ttl": ARGS.token_ttl,
            "writes": not ARGS.no_writes, "client_secret": ARGS.client_secret,
        })


def busy(prov, start, end):
    for a in STATE["appointments"].values():
        if a["bookingStatus"] == "Cancelled" or a["serviceProviderId"] != prov:
            continue
        if parse_time(a["startTime"]) < end and start < parse_time(a["endTime"]):
            return True
    return False


def openings(svc, prov_filter, lo, hi):
    return [{"startTime": fmt(t), "endTime": fmt(end), "serviceProviderId": prov, "serviceId": svc}
            for t, end, prov in CLINIC.openings(svc, prov_filter, lo, hi, busy)]


@simcore.routes("GET", "POST", "PUT")
class Handler(simcore.JsonHandler):
    def reply(self, status, obj, headers=None):
        """obj None: an empty text/plain body, Vagaro's answer to every error."""
        if obj is None:
            return self.send_bytes(status, b"", "text/plain", headers)
        return super().reply(status, obj, headers)

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query, keep_blank_values=True).items()}
        raw = self.body()
        try:
            if u.path.startswith("/_sim/"):
                return self.control(u.path, q)
            if u.path == PREFIX + "merchants/generate-access-token":
                return self.token(method, raw)
            if u.path.startswith(PREFIX):
                return self.api(method, u.path[len(PREFIX):].strip("/").split("/"), q, raw)
            self.reply(404, None)
        except (ValueError, KeyError, TypeError):
            self.reply(400, None)

    def control(self, path, q):
        if path == "/_sim/reset":
            reset()
        elif path in ("/_sim/fail", "/_sim/down", "/_sim/up", "/_sim/recover"):
            with LOCK:
                simcore.fail_control(STATE, path, q)
        elif path == "/_sim/state":
            with LOCK:
                return self.reply(200, {
                    "customers": list(STATE["customers"].values()),
                    "appointments": list(STATE["appointments"].values()),
                    "tokens_granted": STATE["tokens_granted"], "requests": dict(STATE["requests"]),
                    "rate_limited": STATE["rate_limited"], "unauthorized": STATE["unauthorized"]})
        elif path == "/_sim/expire-tokens":
            with LOCK:
                for t in STATE["tokens"]:
                    STATE["tokens"][t] = 0.0
        elif path == "/_sim/credentials":
            with LOCK:
                if "client_secret" in q:
                    STATE["client_secret"] = q["client_secret"]
        elif path == "/_sim/config":
            with LOCK:
                for k in ("rate_limit", "retry_after", "token_ttl"):
                    if k in q:
                        STATE[k] = int(q[k])
                if "writes" in q:
                    STATE["writes"] = q["writes"] not in ("0", "false")
        else:
            return self.reply(404, {"error": "no such control route"})
        return self.reply(200, {"ok": True})

    def token(self, method, raw):
        with LOCK:
            STATE["requests"]["POST generate-access-token"] += 1
        if method != "POST":
            return self.reply(405, None)
        body = json.loads(raw or b"null")
        if not isinstance(body, dict) or not body.get("clientId") or \
                not body.get("clientSecretKey") or not isinstance(body.get("scope"), str):
            return self.reply(400, None)
        with LOCK:
            if body["clientId"] != ARGS.client_id or body["clientSecretKey"] != STATE["client_secret"]:
                STATE["unauthorized"] += 1
                return self.reply(401, None)
            tok = secrets.token_urlsafe(32)
            ttl = STATE["token_ttl"]
            STATE["tokens"][tok] = time.monotonic() + ttl
            STATE["tokens_granted"] += 1
        return self.reply(200, {"accessToken": tok, "tokenType": "Bearer", "expiresIn": ttl,
                                "scope": body["scope"]})

    def api(self, method, parts, q, raw):
        now = time.monotonic()
        with LOCK:
            route = parts[0] if len(parts) == 1 else \
                "%s/%s" % (parts[0], parts[1] if parts[1] == "availability" else
                           ("{id}" if len(parts) == 2 else "{id}/" + parts[2]))
            STATE["requests"]["%s %s" % (method, route)] += 1
            expiry = STATE["tokens"].get(self.headers.get("accessToken", ""))
            if expiry is None or expiry <= now:
                STATE["unauthorized"] += 1
                return self.reply(401, None)
            wait = simcore.rate_wait(STATE["rate"], STATE["rate_limit"], now)
            if wait is not None:
                STATE["rate_limited"] += 1
                wait = STATE["retry_after"] or wait
                return self.reply(429, None, {"Retry-After": str(wait)})
            if simcore.failing(STATE, now):
                return self.reply(STATE["fail_status"], None)
            if method != "GET" and not STATE["writes"]:
                return self.reply(403, None)
            return self.resource(method, parts, q, raw)

    def resource(self, method, parts, q, raw):
        name = parts[0].lower()
        if method == "GET" and len(parts) == 1 and name == "locations":
            return self.reply(200, {"data": [{"businessId": BUSINESS_ID,
                                              "businessName": CLINIC.get("name", ""),
                                              "timeZone": CLINIC.get("timezone", "UTC"),
                                              "phone": CLINIC.get("phone", "")}]})
        if method == "GET" and name != "locations" and q.get("businessId") not in (None, BUSINESS_ID):
            return self.reply(200, {"data": []})
        if method == "GET" and len(parts) == 1:
            if name == "services":
                return self.reply(200, {"data": [
                    {"serviceId": s["id"], "serviceTitle": s.get("name", s["id"]),
                     "duration": s.get("duration_min", 30),
                     "price": (s.get("price") or {}).get("cents", 0) / 100.0}
                    for s in CLINIC.get("services", [])]})
            if name == "employees":
                res = []
                for p in CLINIC.get("providers", []):
                    words = p.get("name", "").split()
                    res.append({"serviceProviderId": p["id"], "firstName": " ".join(words[:-1]),
                                "lastName": words[-1] if words else "",
                                "serviceIds": list(p.get("services", []))})
                return self.reply(200, {"data": res})
            if name == "customers":
                phone, email = digits(q.get("mobilePhone", "")), q.get("email", "").lower()
                if not phone and not email:
                    return self.reply(400, None)
                return self.reply(200, {"data": [
                    c for c in STATE["customers"].values()
                    if (not phone or digits(c["mobilePhone"])[-10:] == phone[-10:]) and
                    (not email or c["email"].lower() == email)]})
            if name == "appointments":
                lo, hi = parse_time(q["startDate"]), parse_time(q["endDate"])
                cust = q.get("customerId", "")
                return self.reply(200, {"data": [
                    a for a in sorted(STATE["appointments"].values(), key=lambda a: a["startTime"])
                    if (not cust or a["customerId"] == cust) and
                    parse_time(a["startTime"]) < hi and parse_time(a["endTime"]) > lo]})
        if method == "GET" and name == "appointments" and len(parts) == 2 and \
                parts[1] == "availability":
            svc = q.get("serviceId", "")
            if not service(svc):
                return self.reply(400, None)
            lo, hi = parse_time(q["startDate"]), parse_time(q["endDate"])
            if hi <= lo or hi - lo > datetime.timedelta(days=62):
                return self.reply(400, None)
            return self.reply(200, {"data": openings(svc, q.get("serviceProviderId", ""), lo, hi)})
        if method == "GET" and name in ("appointments", "customers") and len(parts) == 2:
            r = STATE[name].get(parts[1])
            return self.reply(200, {"data": r}) if r else self.reply(404, None)
        if method == "POST" and len(parts) == 1 and name in ("customers", "appointments"):
            body = json.loads(raw or b"null")
            if not isinstance(body, dict):
                return self.reply(400, None)
            return self.create_customer(body) if name == "customers" else self.book(body)
        if method == "PUT" and name == "appointments" and len(parts) == 3 and parts[2] == "cancel":
            a = STATE["appointments"].get(parts[1])
            if not a:
                return self.reply(404, None)
            a["bookingStatus"] = "Cancelled"
            return self.reply(200, {"data": a})
        return self.reply(405, None)

    def create_customer(self, body):
        first, last = body.get("firstName") or "", body.get("lastName") or ""
        phone = body.get("mobilePhone") or ""
        # A name is enough (a client met on Instagram has no phone); a phone given must be one.
        if not first or not last or (phone and len(digits(phone)) < 10) or \
                body.get("businessId") != BUSINESS_ID:
            return self.reply(400, None)
        STATE["next_customer"] += 1
        cid = "c%d" % STATE["next_customer"]
        c = {"customerId": cid, "firstName": first, "lastName": last, "mobilePhone": phone,
             "email": body.get("email") or ""}
        STATE["customers"][cid] = c
        return self.reply(201, {"data": c})

    def book(self, body):
        cust, prov, svc = body.get("customerId"), body.get("serviceProviderId"), body.get("serviceId")
        if cust not in STATE["customers"] or not provider(prov) or not service(svc) or \
                body.get("businessId") != BUSINESS_ID:
            return self.reply(400, None)
        start, end = parse_time(body["startTime"]), parse_time(body["endTime"])
        if end <= start or not CLINIC.bookable(prov, svc, start, end):
            return self.reply(400, None)
        if busy(prov, start, end):
            return self.reply(409, None)
        STATE["next_appointment"] += 1
        aid = "a%d" % STATE["next_appointment"]
        a = appointment(aid, cust, prov, svc, start, end, str(body.get("notes") or ""))
        STATE["appointments"][aid] = a
        return self.reply(201, {"data": a})


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--client-id", default="vg-sim-client")
    p.add_argument("--client-secret", default="vg-sim-secret-key")
    p.add_argument("--rate-limit", type=int, default=10)
    p.add_argument("--token-ttl", type=int, default=3600)
    p.add_argument("--no-writes", action="store_true",
                   help="the business's plan has no write access (POST/PUT answer 403)")
    ARGS = p.parse_args()
    CLINIC.update(simcore.load_clinic(ARGS.clinic))
    simcore.serve(Handler, ARGS.port, ARGS.ready_file, lambda server: reset())


if __name__ == "__main__":
    main()
