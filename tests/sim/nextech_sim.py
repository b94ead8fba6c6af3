#!/usr/bin/env python3
"""Nextech Select API simulator for Bookwell's tests (Python 3 standard library only).

Serves the parts of Nextech's published Select API (FHIR STU3 3.0.1, JSON
only, https://select.nextech-api.com/api) that emr.nextech uses, loaded from
a clinic document (--clinic, the format of shared/eval/clinics/*.json):

  POST /<tenant>/oauth2/token          OAuth2 token endpoint (Azure AD v1 shape):
                                       grant_type=password (client_id, username,
                                       password, resource) or client_credentials
                                       (client_id, client_secret); answers
                                       {"token_type":"Bearer","expires_in":"3599",
                                       "access_token":...} (expires_in as text)
  GET  /api/Location                   the practice's location (one)
  GET  /api/Practitioner               the clinic's providers (ids as in the clinic)
  GET  /api/appointment-type           the clinic's services (ids as in the clinic),
                                       duration in minutes as an extension
  GET  /api/Slot?appointment-type=&location=&practitioner=&start=geX&start=ltY
                                       free slots of that appointment type's length on
                                       the clinic's step grid inside working hours
  GET  /api/Patient?phone=|email=      search; POST /api/Patient creates
  GET  /api/Appointment?patient=&date=geX&date=ltY[&location=]   search
  GET  /api/Appointment/{id}, POST /api/Appointment (409 when the time is taken),
  PUT  /api/Appointment/{id}           update (status cancelled, new start/end)
  POST /api/PaymentReconciliation      a payment posted against a patient

Every /api request needs "Authorization: Bearer <token>" (401 with an
OperationOutcome when missing, wrong or expired) and the "nx-practice-id"
header (400 when missing, 403 when it names another practice). Errors are
OperationOutcome resources. Searches answer searchset Bundles of at most
_count entries (capped at the page size, default 10) with a "next" link.
Each endpoint (resource type) takes at most --rate-limit requests per second
(default 20, the documented limit); beyond it 429 with Retry-After.

Control API (no auth):
  POST /_sim/reset                         forget everything but the clinic's records
  GET  /_sim/state                         patients, appointments, payments, tokens
                                           granted, requests per endpoint, 429s sent
  POST /_sim/fail?status=503&seconds=N     every API request answers status for N s
  POST /_sim/fail?status=503&count=N       the next N API requests answer status
  POST /_sim/down                          every API request answers 503 until up
  POST /_sim/recover, /_sim/up             stop failing
  POST /_sim/expire-tokens                 every issued token is expired from now on
  POST /_sim/config?page_size=&rate_limit=&token_ttl=
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
EXT = "https://select.nextech-api.com/api/structuredefinition/"
LOCATION_ID = "1"


def outcome(code, text, severity="error"):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": text}]}


tz = CLINIC.tz


def fmt(dt):
    return dt.isoformat(timespec="seconds")


parse_time = CLINIC.parse_time
service = CLINIC.service
provider = CLINIC.provider


def ref_id(ref):
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else ""


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def patient_resource(pid, first, last, phone, email):
    r = {"resourceType": "Patient", "id": pid, "meta": {"lastUpdated": now_iso()},
         "active": True, "name": [{"use": "official", "family": last, "given": [first]}],
         "telecom": []}
    if phone:
        r["telecom"].append({"system": "phone", "value": phone, "use": "mobile"})
    if email:
        r["telecom"].append({"system": "email", "value": email})
    return r


def appointment_resource(aid, patient_id, prov, svc, start, end, comment=""):
    s = service(svc) or {}
    parts = []
    if patient_id:
        parts.append({"actor": {"reference": "Patient/" + patient_id}, "status": "accepted"})
    parts.append({"actor": {"reference": "Practitioner/" + prov,
                            "display": (provider(prov) or {}).get("name", prov)},
                  "status": "accepted"})
    parts.append({"actor": {"reference": "Location/" + LOCATION_ID}, "status": "accepted"})
    return {"resourceType": "Appointment", "id": aid, "meta": {"lastUpdated": now_iso()},
            "status": "booked",
            "appointmentType": {"coding": [{"system": EXT + "appointment-type", "code": svc,
                                            "display": s.get("name", svc)}]},
            "extension": [{"url": EXT + "appointment-type",
                           "valueReference": {"reference": "appointment-type/" + svc}}],
            "start": fmt(start.astimezone(tz())), "end": fmt(end.astimezone(tz())),
            "minutesDuration": int((end - start).total_seconds() // 60),
            "comment": comment, "participant": parts}


def seed():
    pats, appts, phones = {}, {}, {}
    n = 1000
    for c in CLINIC.get("clients", []):
        n += 1
        pid = str(n)
        pats[pid] = patient_resource(pid, c.get("first_name", ""), c.get("last_name", ""),
                                     c.get("phone", ""), c.get("email", ""))
        phones[c.get("phone", "")] = pid
    m = 5000
    for a in CLINIC.get("appointments", []):
        s = service(a.get("service"))
        if not s:
            continue
        m += 1
        start = parse_time(a["start"])
        end = start + datetime.timedelta(minutes=s.get("duration_min", 30))
        appts[str(m)] = appointment_resource(str(m), phones.get(a.get("client"), ""),
                                             a.get("provider"), a.get("service"), start, end)
    return pats, appts, n, m


def reset():
    pats, appts, n, m = seed()
    with LOCK:
        STATE.clear()
        STATE.update({
            "patients": pats, "appointments": appts, "payments": {},
            "next_patient": n, "next_appointment": m, "next_payment": 9000,
            "tokens": {},            # token -> expiry (monotonic seconds)
            "tokens_granted": 0,
            "requests": collections.Counter(),   # "GET Slot" -> n
            "rate": collections.defaultdict(collections.deque),
            "rate_limited": 0,
            "fail_until": 0.0, "fail_count": 0, "fail_status": 503,
            "page_size": ARGS.page_size, "rate_limit": ARGS.rate_limit,
            "token_ttl": ARGS.token_ttl,
        })


def busy(prov, start, end, ignore=None):
    for a in STATE["appointments"].values():
        if a["status"] == "cancelled" or a["id"] == ignore:
            continue
        if not any(ref_id(p["actor"].get("reference")) == prov and
                   p["actor"].get("reference", "").startswith("Practitioner/")
                   for p in a["participant"]):
            continue
        if parse_time(a["start"]) < end and start < parse_time(a["end"]):
            return True
    return False


def free_slots(svc, prov_filter, lo, hi):
    return [slot_resource(svc, a, b, p)
            for a, b, p in CLINIC.openings(svc, prov_filter, lo, hi, busy)]


def slot_resource(svc, start, end, prov):
    local = start.astimezone(tz())
    return {"resourceType": "Slot",
            "id": "%s.%s.%s.%s" % (prov, LOCATION_ID, svc, local.strftime("%Y%m%d%H%M")),
            "schedule": {"reference": "Schedule/%s.%s" % (prov, LOCATION_ID)},
            "serviceType": [{"coding": [{"system": EXT + "appointment-type", "code": svc}]}],
            "status": "free", "start": fmt(local), "end": fmt(end.astimezone(tz())),
            "extension": [
                {"url": EXT + "practitioner",
                 "valueReference": {"reference": "Practitioner/" + prov}},
                {"url": EXT + "location", "valueReference": {"reference": "Location/" + LOCATION_ID}},
                {"url": EXT + "appointment-type",
                 "valueReference": {"reference": "appointment-type/" + svc}}]}


def date_bounds(values):
    """FHIR date prefixes: geX / gtX (lower), ltX / leX (upper), eqX or X."""
    lo, hi = None, None
    for v in values:
        pre, rest = (v[:2], v[2:]) if v[:2] in ("ge", "gt", "le", "lt", "eq") else ("eq", v)
        t = parse_time(rest)
        if pre in ("ge", "gt"):
            lo = t
        elif pre in ("le", "lt"):
            hi = t
        else:
            lo, hi = t, t + datetime.timedelta(days=1) if len(rest) == 10 else t
    return lo, hi


def digits(s):
    return "".join(ch for ch in (s or "") if ch.isdigit())


@simcore.routes("GET", "POST", "PUT", "PATCH", "DELETE")
class Handler(simcore.JsonHandler):
    def reply(self, status, obj, headers=None):
        """A FHIR resource goes as application/fhir+json, anything else as JSON."""
        fhir = isinstance(obj, dict) and "resourceType" in obj
        self.send_bytes(status, json.dumps(obj).encode(),
                        "application/fhir+json; charset=utf-8" if fhir else self.content_type,
                        headers)

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        raw = self.body()
        try:
            if u.path.startswith("/_sim/"):
                return self.control(method, u.path, q)
            if u.path.endswith("/oauth2/token") or u.path.endswith("/oauth2/v2.0/token"):
                return self.token(method, raw)
            if u.path.startswith("/api/"):
                return self.api(method, u.path[len("/api/"):], q, raw)
            self.reply(404, outcome("not-found", "no such path"))
        except (ValueError, KeyError, TypeError) as e:
            self.reply(400, outcome("invalid", "bad request: %s" % e))

    # ---- control ----------------------------------------------------------
    def control(self, method, path, q):
        one = {k: v[0] for k, v in q.items()}
        if path == "/_sim/reset":
            reset()
            return self.reply(200, {"ok": True})
        if path == "/_sim/state":
            with LOCK:
                return self.reply(200, {
                    "patients": list(STATE["patients"].values()),
                    "appointments": list(STATE["appointments"].values()),
                    "payments": list(STATE["payments"].values()),
                    "tokens_granted": STATE["tokens_granted"],
                    "requests": dict(STATE["requests"]),
                    "rate_limited": STATE["rate_limited"]})
        if path in ("/_sim/fail", "/_sim/down", "/_sim/up", "/_sim/recover"):
            with LOCK:
                simcore.fail_control(STATE, path, one)
            return self.reply(200, {"ok": True})
        if path == "/_sim/expire-tokens":
            with LOCK:
                for t in STATE["tokens"]:
                    STATE["tokens"][t] = 0.0
            return self.reply(200, {"ok": True})
        if path == "/_sim/config":
            with LOCK:
                for k in ("page_size", "rate_limit", "token_ttl"):
                    if k in one:
                        STATE[k] = int(one[k])
            return self.reply(200, {"ok": True})
        return self.reply(404, {"error": "no such control route"})

    # ---- OAuth2 -------------------------------------------------------------
    def token(self, method, raw):
        if method != "POST":
            return self.reply(405, {"error": "invalid_request",
                                    "error_description": "AADSTS900561: POST required"})
        f = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        grant = f.get("grant_type")
        ok = False
        if f.get("client_id") != ARGS.client_id:
            return self.reply(400, {"error": "unauthorized_client",
                                    "error_description": "AADSTS700016: unknown application"})
        if grant == "password":
            ok = f.get("username") == ARGS.username and f.get("password") == ARGS.password
        elif grant == "client_credentials":
            ok = f.get("client_secret") == ARGS.client_secret
        else:
            return self.reply(400, {"error": "unsupported_grant_type",
                                    "error_description": "AADSTS70003: unsupported grant"})
        if not ok:
            return self.reply(400, {"error": "invalid_grant",
                                    "error_description": "AADSTS50126: invalid credentials"})
        tok = secrets.token_urlsafe(32)
        with LOCK:
            ttl = STATE["token_ttl"]
            STATE["tokens"][tok] = time.monotonic() + ttl
            STATE["tokens_granted"] += 1
        exp = int(time.time()) + ttl
        return self.reply(200, {"token_type": "Bearer", "expires_in": str(ttl),
                                "ext_expires_in": str(ttl), "expires_on": str(exp),
                                "not_before": str(int(time.time())),
                                "resource": f.get("resource", "https://select.nextech-api.com/api"),
                                "access_token": tok})

    # ---- FHIR ---------------------------------------------------------------
    def api(self, method, path, q, raw):
        parts = path.strip("/").split("/")
        rtype = parts[0]
        key = rtype.lower()
        rid = parts[1] if len(parts) > 1 else None
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else ""
        now = time.monotonic()
        with LOCK:
            STATE["requests"]["%s %s" % (method, rtype)] += 1
            expiry = STATE["tokens"].get(tok)
            if expiry is None or expiry <= now:
                hdr = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                return self.reply(401, outcome("login", "the access token is missing, invalid "
                                               "or expired"), hdr)
            practice = self.headers.get("nx-practice-id")
            if not practice:
                return self.reply(400, outcome("required", "the nx-practice-id header is required"))
            if practice != ARGS.practice_id:
                return self.reply(403, outcome("forbidden", "no access to that practice"))
            wait = simcore.rate_wait(STATE["rate"][key], STATE["rate_limit"], now)
            if wait is not None:
                STATE["rate_limited"] += 1
                return self.reply(429, outcome("throttled", "rate limit of %d requests per second "
                                               "per endpoint exceeded" % STATE["rate_limit"]),
                                  {"Retry-After": str(wait)})
            if simcore.failing(STATE, now):
                return self.reply(STATE["fail_status"],
                                  outcome("transient", "the service is temporarily unavailable"))
            return self.resource(method, key, rid, q, raw)

    def bundle(self, resources, q):
        size = min(int((q.get("_count") or [STATE["page_size"]])[0]), STATE["page_size"])
        size = max(1, size)
        off = int((q.get("_getpagesoffset") or ["0"])[0])
        page = resources[off:off + size]
        host = self.headers.get("Host", "select.nextech-api.com")
        base = "http://%s%s" % (host, urllib.parse.urlsplit(self.path).path)
        links = [{"relation": "self", "url": base + "?" + urllib.parse.urlencode(
            [(k, v) for k, vs in q.items() for v in vs], doseq=True)}]
        if off + size < len(resources):
            nq = [(k, v) for k, vs in q.items() for v in vs if k != "_getpagesoffset"]
            nq.append(("_getpagesoffset", str(off + size)))
            links.append({"relation": "next", "url": base + "?" + urllib.parse.urlencode(nq)})
        return {"resourceType": "Bundle", "id": secrets.token_hex(8), "type": "searchset",
                "total": len(resources), "link": links,
                "entry": [{"fullUrl": "https://select.nextech-api.com/api/%s/%s" %
                           (r["resourceType"], r["id"]), "resource": r,
                           "search": {"mode": "match"}} for r in page]}

    def resource(self, method, key, rid, q, raw):
        one = {k: v[0] for k, v in q.items()}
        if method == "GET" and rid is None:
            if key == "location":
                loc = {"resourceType": "Location", "id": LOCATION_ID, "status": "active",
                       "name": CLINIC.get("name", ""), "mode": "instance",
                       "telecom": [{"system": "phone", "value": CLINIC.get("phone", "")}],
                       "address": {"text": CLINIC.get("address", "")},
                       "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/timezone",
                                      "valueCode": CLINIC.get("timezone", "UTC")}]}
                return self.reply(200, self.bundle([loc], q))
            if key == "practitioner":
                res = []
                for p in CLINIC.get("providers", []):
                    parts = p.get("name", "").split()
                    res.append({"resourceType": "Practitioner", "id": p["id"], "active": True,
                                "name": [{"text": p.get("name", ""), "family": parts[-1] if parts else "",
                                          "given": parts[:-1]}],
                                "extension": [{"url": EXT + "appointment-type",
                                               "valueReference": {"reference": "appointment-type/" + s}}
                                              for s in p.get("services", [])]})
                return self.reply(200, self.bundle(res, q))
            if key == "appointment-type":
                res = [{"resourceType": "Basic", "id": s["id"],
                        "code": {"coding": [{"system": EXT + "appointment-type", "code": s["id"]}],
                                 "text": s.get("name", s["id"])},
                        "extension": [{"url": EXT + "appointment-type-duration",
                                       "valueInteger": s.get("duration_min", 30)}]}
                       for s in CLINIC.get("services", [])]
                return self.reply(200, self.bundle(res, q))
            if key == "slot":
                svc = ref_id(one.get("appointment-type", ""))
                if not service(svc):
                    return self.reply(400, outcome("invalid", "appointment-type is required"))
                loc = ref_id(one.get("location", LOCATION_ID))
                if loc != LOCATION_ID:
                    return self.reply(200, self.bundle([], q))
                lo, hi = date_bounds(q.get("start", []))
                if lo is None or hi is None:
                    return self.reply(400, outcome("invalid", "start=ge... and start=lt... required"))
                if hi - lo > datetime.timedelta(days=62):
                    return self.reply(400, outcome("too-costly", "at most 62 days per search"))
                return self.reply(200, self.bundle(
                    free_slots(svc, ref_id(one.get("practitioner", "")), lo, hi), q))
            if key == "patient":
                phone, email = digits(one.get("phone", "")), one.get("email", "").lower()
                if not phone and not email:
                    return self.reply(400, outcome("invalid", "search by phone or email"))
                res = []
                for p in STATE["patients"].values():
                    tel = p.get("telecom", [])
                    ok_p = not phone or any(t["system"] == "phone" and digits(t["value"])[-10:] ==
                                            phone[-10:] for t in tel)
                    ok_e = not email or any(t["system"] == "email" and t["value"].lower() == email
                                            for t in tel)
                    if ok_p and ok_e:
                        res.append(p)
                return self.reply(200, self.bundle(res, q))
            if key == "appointment":
                lo, hi = date_bounds(q.get("date", []))
                pat = ref_id(one.get("patient", ""))
                loc = ref_id(one.get("location", ""))
                res = []
                for a in sorted(STATE["appointments"].values(), key=lambda a: (a["start"], a["id"])):
                    refs = [p["actor"].get("reference", "") for p in a["participant"]]
                    if pat and "Patient/" + pat not in refs:
                        continue
                    if loc and "Location/" + loc not in refs:
                        continue
                    s, e = parse_time(a["start"]), parse_time(a["end"])
                    if (lo and e <= lo) or (hi and s >= hi):
                        continue
                    res.append(a)
                return self.reply(200, self.bundle(res, q))
            return self.reply(404, outcome("not-supported", "unknown resource type"))
        if method == "GET" and key == "appointment":
            a = STATE["appointments"].get(rid)
            return self.reply(200, a) if a else self.reply(404, outcome("not-found", "no such appointment"))
        if method == "GET" and key == "patient":
            p = STATE["patients"].get(rid)
            return self.reply(200, p) if p else self.reply(404, outcome("not-found", "no such patient"))
        if method == "POST" and rid is None:
            body = json.loads(raw or b"null")
            if not isinstance(body, dict):
                return self.reply(400, outcome("structure", "the body must be a resource"))
            if key == "patient":
                return self.create_patient(body)
            if key == "appointment":
                return self.create_appointment(body)
            if key == "paymentreconciliation":
                return self.create_payment(body)
        if method == "PUT" and key == "appointment" and rid:
            return self.update_appointment(rid, json.loads(raw or b"null"))
        return self.reply(405, outcome("not-supported", "operation not supported"))

    def create_patient(self, body):
        if body.get("resourceType") != "Patient":
            return self.reply(400, outcome("structure", "resourceType must be Patient"))
        name = (body.get("name") or [{}])[0]
        first = " ".join(name.get("given") or [])
        last = name.get("family") or ""
        if not first or not last:
            return self.reply(422, outcome("required", "Patient.name needs given and family"))
        tel = body.get("telecom") or []
        phone = next((t.get("value") for t in tel if t.get("system") == "phone"), "")
        email = next((t.get("value") for t in tel if t.get("system") == "email"), "")
        STATE["next_patient"] += 1
        pid = str(STATE["next_patient"])
        p = patient_resource(pid, first, last, phone, email)
        STATE["patients"][pid] = p
        return self.reply(201, p, {"Location": "https://select.nextech-api.com/api/Patient/" + pid})

    def appt_fields(self, body):
        refs = [((p.get("actor") or {}).get("reference") or "") for p in body.get("participant", [])]
        pat = next((ref_id(r) for r in refs if r.startswith("Patient/")), "")
        prov = next((ref_id(r) for r in refs if r.startswith("Practitioner/")), "")
        svc = ""
        for e in body.get("extension", []):
            if e.get("url", "").endswith("/appointment-type"):
                svc = ref_id((e.get("valueReference") or {}).get("reference"))
        if not svc:
            svc = (((body.get("appointmentType") or {}).get("coding") or [{}])[0]).get("code", "")
        return pat, prov, svc

    def create_appointment(self, body):
        if body.get("resourceType") != "Appointment":
            return self.reply(400, outcome("structure", "resourceType must be Appointment"))
        pat, prov, svc = self.appt_fields(body)
        if not pat or pat not in STATE["patients"]:
            return self.reply(422, outcome("required", "a known Patient participant is required"))
        if not provider(prov) or not service(svc):
            return self.reply(422, outcome("required", "a known Practitioner and appointment-type "
                                           "are required"))
        start, end = parse_time(body["start"]), parse_time(body["end"])
        if end <= start or not CLINIC.bookable(prov, svc, start, end):
            return self.reply(422, outcome("business-rule", "the time is outside the schedule"))
        if busy(prov, start, end):
            return self.reply(409, outcome("conflict", "the slot is no longer available"))
        STATE["next_appointment"] += 1
        aid = str(STATE["next_appointment"])
        a = appointment_resource(aid, pat, prov, svc, start, end, body.get("comment", ""))
        if isinstance(body.get("identifier"), list):
            a["identifier"] = body["identifier"]
        STATE["appointments"][aid] = a
        return self.reply(201, a, {"Location": "https://select.nextech-api.com/api/Appointment/" + aid})

    def update_appointment(self, rid, body):
        a = STATE["appointments"].get(rid)
        if not a:
            return self.reply(404, outcome("not-found", "no such appointment"))
        if not isinstance(body, dict) or body.get("resourceType") != "Appointment" or \
                body.get("id") != rid:
            return self.reply(400, outcome("structure", "the body must be Appointment " + rid))
        status = body.get("status", a["status"])
        if status == "cancelled":
            a["status"] = "cancelled"
            a["meta"]["lastUpdated"] = now_iso()
            return self.reply(200, a)
        if a["status"] == "cancelled":
            return self.reply(422, outcome("business-rule", "the appointment is cancelled"))
        _, prov, svc = self.appt_fields(body)
        _, old_prov, old_svc = self.appt_fields(a)
        prov, svc = prov or old_prov, svc or old_svc
        start, end = parse_time(body["start"]), parse_time(body["end"])
        if end <= start or not CLINIC.bookable(prov, svc, start, end):
            return self.reply(422, outcome("business-rule", "the time is outside the schedule"))
        if busy(prov, start, end, ignore=rid):
            return self.reply(409, outcome("conflict", "the slot is no longer available"))
        pat, _, _ = self.appt_fields(a)
        b = appointment_resource(rid, pat, prov, svc, start, end, body.get("comment", a["comment"]))
        if "identifier" in a:
            b["identifier"] = a["identifier"]
        STATE["appointments"][rid] = b
        return self.reply(200, b)

    def create_payment(self, body):
        if body.get("resourceType") != "PaymentReconciliation":
            return self.reply(400, outcome("structure", "resourceType must be PaymentReconciliation"))
        total = body.get("total") or {}
        if not isinstance(total.get("value"), (int, float)) or total["value"] <= 0:
            return self.reply(422, outcome("required", "total.value must be positive"))
        STATE["next_payment"] += 1
        pid = str(STATE["next_payment"])
        r = dict(body, id=pid, meta={"lastUpdated": now_iso()}, status="active")
        STATE["payments"][pid] = r
        return self.reply(201, r, {"Location":
                                   "https://select.nextech-api.com/api/PaymentReconciliation/" + pid})


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--callback-base")
    p.add_argument("--client-id", default="nx-sim-client")
    p.add_argument("--client-secret", default="nx-sim-secret")
    p.add_argument("--username", default="bookwell@nx-sim.test")
    p.add_argument("--password", default="nx-sim-password")
    p.add_argument("--practice-id", default="nx-sim-practice")
    p.add_argument("--page-size", type=int, default=10)
    p.add_argument("--rate-limit", type=int, default=20)
    p.add_argument("--token-ttl", type=int, default=3599)
    ARGS = p.parse_args()
    CLINIC.update(simcore.load_clinic(ARGS.clinic))
    simcore.serve(Handler, ARGS.port, ARGS.ready_file, lambda server: reset())


if __name__ == "__main__":
    main()
