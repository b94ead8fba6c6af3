#!/usr/bin/env python3
"""Boulevard API simulator for Bookwell's tests (Python 3 standard library only).

Serves the parts of Boulevard's public GraphQL APIs that emr.boulevard uses,
shaped after Boulevard's published book-sdk types and its developer docs:

  POST /api/2020-01/admin              Admin API
  POST /api/2020-01/{business}/client  Client API (the booking cart)

Admin API authentication: "Authorization: Basic base64(API_KEY:TOKEN)" where
TOKEN = base64(HMAC-SHA256(base64decode(API_SECRET), PAYLOAD)) + PAYLOAD and
PAYLOAD = "blvd-admin-v1" + BUSINESS_ID + unix time (seconds). The Client
API takes the API key alone ("Basic base64(API_KEY:)"), or an admin token.
Anything else is 401 with {"errors":[{"message", "extensions":{"code":
"UNAUTHENTICATED"}}]}; a token older or newer than --token-skew seconds too.

Requests are GraphQL documents with variables; the simulator dispatches on
operationName (the document itself is not interpreted). Connections are
Relay: edges { cursor node } and pageInfo { hasNextPage endCursor }, at most
--page-size nodes a page whatever `first` asks, so clients must paginate.

Admin operations: Business, Locations, Services, Staff, Clients (variables
`query`: "mobilePhone = '+1...'" or "email = '...'"), Client, CreateClient,
Appointments (locationId), Appointment, BookingCreate, BookingAddService,
BookingComplete, CancelAppointment, AppointmentReschedule.
Client operations: CreateCart, CartAvailableBookableItemStaffVariants,
AddCartSelectedBookableItem, CartBookableDates, CartBookableTimes,
ReserveCartBookableItems.

Query cost: every request has a cost (1 + nodes asked for; mutations 10);
the budget (--cost-budget points, refilled at --restore-rate points a
second) is reported in extensions.cost of every answer, and a request that
costs more than what is available answers HTTP 200 with
{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],
"extensions":{"cost":{"requestedQueryCost","throttleStatus":{
"maximumAvailable","currentlyAvailable","restoreRate"}}}}.

Schedule: the clinic JSON (--clinic): hours per weekday, closed dates, slot
step, providers with their services and days, services with durations,
clients and appointments. A time is bookable for a staff member when it is
on the step grid, inside the day's hours, on a working day of theirs, not a
closed date, and overlaps none of their appointments.

Control API (no auth):
  POST /_sim/reset                    reload the clinic, forget everything else
  GET  /_sim/state                    clients, appointments, carts, requests (operation names)
  POST /_sim/down | /_sim/up          every API request answers 503 / normally
  POST /_sim/fail?status=503&seconds=N  (or &count=N) answer status for a while
  POST /_sim/throttle?budget=N&restore=R  set the cost budget (refilled now)
  POST /_sim/credentials?api_key=K[&api_secret=S]  the credentials it accepts from now on
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from zoneinfo import ZoneInfo

import simcore

LOCK = threading.Lock()
STATE = {}
ARGS = None
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MUTATIONS = {"CreateClient", "BookingCreate", "BookingAddService", "BookingComplete",
             "CancelAppointment", "AppointmentReschedule", "CreateCart",
             "AddCartSelectedBookableItem", "ReserveCartBookableItems"}


def urn(kind, ident):
    return "urn:blvd:%s:%s" % (kind, ident)


def tail(ident):
    return ident.rsplit(":", 1)[-1] if isinstance(ident, str) else ""


def utc(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    dt = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=STATE["tz"])
    return dt


def load_clinic():
    c = simcore.load_clinic(ARGS.clinic)   # relative to the checkout: tests/abi/emr_plugins.list
    tz = ZoneInfo(c.get("timezone", "America/Los_Angeles"))
    STATE.update({
        "clinic": c,
        "tz": tz,
        "location": {"id": urn("Location", c.get("id", "main")), "name": c.get("name", "Main"),
                     "tz": c.get("timezone", "America/Los_Angeles"),
                     "address": c.get("address", "")},
        "services": {}, "staff": {}, "clients": {}, "appointments": {}, "bookings": {},
        "carts": {}, "requests": [], "throttled": 0, "unauthorized": 0, "faults": {"status": 0, "until": 0.0, "count": 0},
        "budget": {"max": float(ARGS.cost_budget), "avail": float(ARGS.cost_budget),
                   "restore": float(ARGS.restore_rate), "at": time.monotonic()},
    })
    for s in c.get("services", []):
        STATE["services"][urn("Service", s["id"])] = {
            "id": urn("Service", s["id"]), "name": s["name"],
            "defaultDuration": int(s.get("duration_min", 30)),
            "defaultPrice": int((s.get("price") or {}).get("cents", 0)), "active": True}
    for p in c.get("providers", []):
        name = p["name"]
        words = name.replace("Dr. ", "").split()
        STATE["staff"][urn("Staff", p["id"])] = {
            "id": urn("Staff", p["id"]), "displayName": name,
            "firstName": words[0] if words else name, "lastName": " ".join(words[1:]),
            "active": True, "_services": [urn("Service", s) for s in p.get("services", [])],
            "_days": p.get("days", [])}
    for cl in c.get("clients", []):
        cid = urn("Client", str(uuid.uuid4()))
        STATE["clients"][cid] = {"id": cid, "firstName": cl.get("first_name", ""),
                                 "lastName": cl.get("last_name", ""),
                                 "mobilePhone": cl.get("phone"), "email": cl.get("email")}
    for a in c.get("appointments", []):
        svc = STATE["services"].get(urn("Service", a["service"]))
        if not svc:
            continue
        start = parse_time(a["start"])
        client = None
        for cl in STATE["clients"].values():
            if a.get("client") and cl["mobilePhone"] == a.get("client"):
                client = cl["id"]
        if not client:
            client = urn("Client", str(uuid.uuid4()))
            STATE["clients"][client] = {"id": client, "firstName": "Walk", "lastName": "In",
                                        "mobilePhone": None, "email": None}
        add_appointment(client, svc, urn("Staff", a["provider"]), start)


def add_appointment(client, svc, staff, start):
    aid = urn("Appointment", str(uuid.uuid4()))
    end = start + datetime.timedelta(minutes=svc["defaultDuration"])
    STATE["appointments"][aid] = {
        "id": aid, "clientId": client, "locationId": STATE["location"]["id"],
        "serviceId": svc["id"], "staffId": staff, "start": start, "end": end,
        "cancelled": False, "createdAt": utc(datetime.datetime.now(datetime.timezone.utc))}
    return STATE["appointments"][aid]


def appointment_node(a):
    return {
        "id": a["id"], "startAt": utc(a["start"]), "endAt": utc(a["end"]),
        "duration": int((a["end"] - a["start"]).total_seconds() // 60),
        "cancelled": a["cancelled"], "state": "CANCELLED" if a["cancelled"] else "BOOKED",
        "createdAt": a["createdAt"], "clientId": a["clientId"],
        "client": client_node(STATE["clients"].get(a["clientId"], {"id": a["clientId"]})),
        "location": {"id": a["locationId"]},
        "appointmentServices": [{"service": {"id": a["serviceId"]}, "staff": {"id": a["staffId"]},
                                 "startAt": utc(a["start"]), "endAt": utc(a["end"]),
                                 "duration": int((a["end"] - a["start"]).total_seconds() // 60)}],
    }


def client_node(c):
    return {"id": c.get("id"), "firstName": c.get("firstName"), "lastName": c.get("lastName"),
            "name": ("%s %s" % (c.get("firstName") or "", c.get("lastName") or "")).strip(),
            "mobilePhone": c.get("mobilePhone"), "email": c.get("email")}


def free(staff_id, start, end, ignore=None):
    """Whether staff_id can take [start, end) by the clinic's rules."""
    st = STATE["staff"].get(staff_id)
    c = STATE["clinic"]
    if not st:
        return False
    local = start.astimezone(STATE["tz"])
    lend = end.astimezone(STATE["tz"])
    day = DAYS[local.weekday()]
    hours = c.get("hours", {}).get(day)
    if not hours or day not in st["_days"] or local.date().isoformat() in c.get("closed_dates", []):
        return False
    if lend.date() != local.date():
        return False
    oh, om = map(int, hours[0].split(":"))
    ch, cm = map(int, hours[1].split(":"))
    m0 = local.hour * 60 + local.minute
    m1 = lend.hour * 60 + lend.minute
    step = int(c.get("slot_step_min", 15))
    if m0 < oh * 60 + om or m1 > ch * 60 + cm or (m0 - oh * 60 - om) % step or local.second:
        return False
    for a in STATE["appointments"].values():
        if a["id"] != ignore and not a["cancelled"] and a["staffId"] == staff_id and \
                a["start"] < end and a["end"] > start:
            return False
    return True


def day_times(staff_id, svc, date):
    c = STATE["clinic"]
    day = DAYS[date.weekday()]
    hours = c.get("hours", {}).get(day)
    if not hours:
        return []
    oh, om = map(int, hours[0].split(":"))
    ch, cm = map(int, hours[1].split(":"))
    step = int(c.get("slot_step_min", 15))
    out = []
    m = oh * 60 + om
    while m + svc["defaultDuration"] <= ch * 60 + cm:
        start = datetime.datetime(date.year, date.month, date.day, m // 60, m % 60,
                                  tzinfo=STATE["tz"])
        # Wall times that do not exist (DST gap) are skipped.
        if start.astimezone(datetime.timezone.utc).astimezone(STATE["tz"]).hour == m // 60:
            end = start + datetime.timedelta(minutes=svc["defaultDuration"])
            if free(staff_id, start, end):
                out.append(start)
        m += step
    return out


def connection(items, variables):
    first = variables.get("first") or ARGS.page_size
    first = max(1, min(int(first), ARGS.page_size))
    after = variables.get("after")
    start = 0
    if after:
        try:
            start = int(base64.b64decode(after).decode().split(":")[1])
        except Exception:
            raise GqlError("invalid cursor", "BAD_USER_INPUT")
    page = items[start:start + first]
    edges = [{"cursor": base64.b64encode(("cursor:%d" % (start + i + 1)).encode()).decode(),
              "node": n} for i, n in enumerate(page)]
    return {"edges": edges, "pageInfo": {
        "hasNextPage": start + first < len(items),
        "hasPreviousPage": start > 0,
        "startCursor": edges[0]["cursor"] if edges else None,
        "endCursor": edges[-1]["cursor"] if edges else None}}


class GqlError(Exception):
    def __init__(self, message, code="BAD_USER_INPUT"):
        super().__init__(message)
        self.code = code


def need(variables, key):
    v = variables.get(key)
    if v in (None, ""):
        raise GqlError("Variable $%s of required type was not provided." % key)
    return v


def find_client_filter(q):
    # "mobilePhone = '+14155550142'" or "email = 'a@b.c'"
    if not q:
        return lambda c: True
    try:
        field, value = q.split("=", 1)
        field = field.strip()
        value = value.strip().strip("'\"")
    except ValueError:
        raise GqlError("invalid query string")
    if field not in ("mobilePhone", "email"):
        raise GqlError("unsupported query field %s" % field)
    return lambda c: (c.get(field) or "").lower() == value.lower()


# ---- admin operations --------------------------------------------------------

def op_business(v):
    return {"business": {"id": urn("Business", ARGS.business_id), "name": STATE["clinic"].get("name"),
                         "locations": [STATE["location"]]}}


def op_locations(v):
    return {"locations": connection([STATE["location"]], v)}


def op_services(v):
    return {"services": connection(list(STATE["services"].values()), v)}


def op_staff(v):
    nodes = [{k: s[k] for k in s if not k.startswith("_")} |
             {"locations": [{"id": STATE["location"]["id"]}]} for s in STATE["staff"].values()]
    return {"staff": connection(nodes, v)}


def op_clients(v):
    keep = find_client_filter(v.get("query"))
    return {"clients": connection([client_node(c) for c in STATE["clients"].values() if keep(c)], v)}


def op_client(v):
    c = STATE["clients"].get(need(v, "id"))
    if not c:
        raise GqlError("Client not found", "NOT_FOUND")
    return {"client": client_node(c)}


def op_create_client(v):
    inp = need(v, "input")
    if not inp.get("firstName") or not inp.get("lastName"):
        raise GqlError("firstName and lastName are required")
    cid = urn("Client", str(uuid.uuid4()))
    STATE["clients"][cid] = {"id": cid, "firstName": inp["firstName"], "lastName": inp["lastName"],
                             "mobilePhone": inp.get("mobilePhone"), "email": inp.get("email")}
    return {"createClient": {"client": client_node(STATE["clients"][cid])}}


def op_appointments(v):
    loc = need(v, "locationId")
    items = sorted((a for a in STATE["appointments"].values() if a["locationId"] == loc),
                   key=lambda a: (a["start"], a["id"]))
    return {"appointments": connection([appointment_node(a) for a in items], v)}


def op_appointment(v):
    a = STATE["appointments"].get(need(v, "id"))
    if not a:
        raise GqlError("Appointment not found", "NOT_FOUND")
    return {"appointment": appointment_node(a)}


def op_booking_create(v):
    inp = need(v, "input")
    if inp.get("locationId") != STATE["location"]["id"]:
        raise GqlError("Location not found", "NOT_FOUND")
    if inp.get("clientId") not in STATE["clients"]:
        raise GqlError("Client not found", "NOT_FOUND")
    bid = urn("Booking", str(uuid.uuid4()))
    STATE["bookings"][bid] = {"id": bid, "clientId": inp["clientId"], "locationId": inp["locationId"],
                              "notes": inp.get("notes"), "services": [], "completed": False}
    return {"bookingCreate": {"booking": {"id": bid, "bookingServices": []}}}


def op_booking_add_service(v):
    inp = need(v, "input")
    b = STATE["bookings"].get(inp.get("bookingId"))
    if not b or b["completed"]:
        raise GqlError("Booking not found", "NOT_FOUND")
    svc = STATE["services"].get(inp.get("serviceId"))
    if not svc or inp.get("staffId") not in STATE["staff"]:
        raise GqlError("Service or staff not found", "NOT_FOUND")
    if svc["id"] not in STATE["staff"][inp["staffId"]]["_services"]:
        raise GqlError("Staff member does not perform this service")
    start = parse_time(need(inp, "startTime"))
    b["services"].append({"serviceId": svc["id"], "staffId": inp["staffId"], "start": start})
    return {"bookingAddService": {"booking": {"id": b["id"], "bookingServices": [
        {"service": {"id": s["serviceId"]}, "staff": {"id": s["staffId"]}, "startTime": utc(s["start"])}
        for s in b["services"]]}}}


def op_booking_complete(v):
    inp = need(v, "input")
    b = STATE["bookings"].get(inp.get("bookingId"))
    if not b or b["completed"] or not b["services"]:
        raise GqlError("Booking not found or empty", "NOT_FOUND")
    for s in b["services"]:
        svc = STATE["services"][s["serviceId"]]
        end = s["start"] + datetime.timedelta(minutes=svc["defaultDuration"])
        if not free(s["staffId"], s["start"], end):
            raise GqlError("The selected time is no longer available", "BOOKING_TIME_UNAVAILABLE")
    b["completed"] = True
    out = []
    for s in b["services"]:
        a = add_appointment(b["clientId"], STATE["services"][s["serviceId"]], s["staffId"], s["start"])
        a["notes"] = b.get("notes")
        out.append(appointment_node(a))
    return {"bookingComplete": {"appointments": out}}


def op_cancel(v):
    inp = need(v, "input")
    a = STATE["appointments"].get(inp.get("id"))
    if not a:
        raise GqlError("Appointment not found", "NOT_FOUND")
    if a["cancelled"]:
        raise GqlError("Appointment is already cancelled", "APPOINTMENT_CANCELLED")
    a["cancelled"] = True
    a["cancelReason"] = inp.get("reason")
    return {"cancelAppointment": {"appointment": appointment_node(a)}}


def op_reschedule(v):
    inp = need(v, "input")
    a = STATE["appointments"].get(inp.get("appointmentId"))
    if not a or a["cancelled"]:
        raise GqlError("Appointment not found", "NOT_FOUND")
    start = parse_time(need(inp, "startTime"))
    staff = inp.get("staffId") or a["staffId"]
    svc = STATE["services"][a["serviceId"]]
    end = start + datetime.timedelta(minutes=svc["defaultDuration"])
    if staff not in STATE["staff"] or svc["id"] not in STATE["staff"][staff]["_services"]:
        raise GqlError("Staff member does not perform this service")
    if not free(staff, start, end, ignore=a["id"]):
        raise GqlError("The selected time is no longer available", "BOOKING_TIME_UNAVAILABLE")
    a.update({"start": start, "end": end, "staffId": staff})
    return {"appointmentReschedule": {"appointment": appointment_node(a)}}


# ---- client (cart) operations ------------------------------------------------

def cart_of(v):
    cart = STATE["carts"].get(need(v, "id"))
    if not cart:
        raise GqlError("Cart not found", "NOT_FOUND")
    return cart


def cart_node(cart):
    return {"id": cart["id"], "location": {"id": cart["locationId"]},
            "selectedItems": [{"id": i["id"], "item": {"id": i["serviceId"]},
                               "selectedStaffVariant": {"id": i["variantId"]} if i["variantId"] else None}
                              for i in cart["items"]],
            "expiresAt": cart["expiresAt"]}


def variant_id(service, staff):
    return urn("CartAvailableBookableItemStaffVariant", "%s:%s" % (tail(service), tail(staff)))


def op_create_cart(v):
    loc = need(v, "locationId")
    if loc != STATE["location"]["id"]:
        raise GqlError("Location not found", "NOT_FOUND")
    cid = urn("Cart", str(uuid.uuid4()))
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    STATE["carts"][cid] = {"id": cid, "locationId": loc, "items": [], "reserved": None,
                           "expiresAt": utc(exp)}
    return {"createCart": {"cart": cart_node(STATE["carts"][cid])}}


def op_staff_variants(v):
    cart_of(v)
    svc = STATE["services"].get(need(v, "itemId"))
    if not svc:
        raise GqlError("Item not found", "NOT_FOUND")
    out = []
    for st in STATE["staff"].values():
        if svc["id"] in st["_services"]:
            out.append({"id": variant_id(svc["id"], st["id"]), "duration": svc["defaultDuration"],
                        "price": svc["defaultPrice"],
                        "staff": {"id": st["id"], "displayName": st["displayName"],
                                  "firstName": st["firstName"], "lastName": st["lastName"]}})
    return {"cartAvailableBookableItemStaffVariants": out}


def op_add_item(v):
    cart = cart_of(v)
    svc = STATE["services"].get(need(v, "itemId"))
    if not svc:
        raise GqlError("Item not found", "NOT_FOUND")
    var = v.get("itemStaffVariantId")
    if var:
        parts = tail(var)
        staff = None
        for st in STATE["staff"].values():
            if variant_id(svc["id"], st["id"]) == var:
                staff = st["id"]
        if not staff:
            raise GqlError("Staff variant %s not found" % parts, "NOT_FOUND")
    cart["items"].append({"id": urn("CartBookableItem", str(uuid.uuid4())), "serviceId": svc["id"],
                          "variantId": var})
    return {"addCartSelectedBookableItem": {"cart": cart_node(cart)}}


def cart_staff(cart):
    if not cart["items"]:
        raise GqlError("Cart has no selected bookable items")
    item = cart["items"][0]
    svc = STATE["services"][item["serviceId"]]
    if item["variantId"]:
        staff = [s for s in STATE["staff"].values() if variant_id(svc["id"], s["id"]) == item["variantId"]]
    else:
        staff = [s for s in STATE["staff"].values() if svc["id"] in s["_services"]]
    return svc, [s["id"] for s in staff]


def op_bookable_dates(v):
    cart = cart_of(v)
    svc, staff = cart_staff(cart)
    lo = datetime.date.fromisoformat(need(v, "searchRangeLower"))
    hi = datetime.date.fromisoformat(need(v, "searchRangeUpper"))
    if hi < lo or (hi - lo).days > 93:
        raise GqlError("search range must be at most 93 days")
    out = []
    d = lo
    while d <= hi:
        if any(day_times(s, svc, d) for s in staff):
            out.append({"date": d.isoformat()})
        d += datetime.timedelta(days=1)
    return {"cartBookableDates": out}


def op_bookable_times(v):
    cart = cart_of(v)
    svc, staff = cart_staff(cart)
    d = datetime.date.fromisoformat(need(v, "searchDate"))
    seen = {}
    for s in staff:
        for t in day_times(s, svc, d):
            seen.setdefault(t, s)
    out = []
    for t in sorted(seen):
        out.append({"id": "%s|%s|%s" % (cart["id"], t.isoformat(), seen[t]),
                    "startTime": t.isoformat(), "score": 1})
    return {"cartBookableTimes": out}


def op_reserve(v):
    cart = cart_of(v)
    tid = need(v, "bookableTimeId")
    try:
        cid, start_s, staff = tid.split("|")
    except ValueError:
        raise GqlError("Bookable time not found", "NOT_FOUND")
    svc, staffs = cart_staff(cart)
    start = parse_time(start_s)
    end = start + datetime.timedelta(minutes=svc["defaultDuration"])
    if cid != cart["id"] or staff not in staffs or not free(staff, start, end):
        raise GqlError("The selected time is no longer available", "BOOKING_TIME_UNAVAILABLE")
    cart["reserved"] = {"start": start.isoformat(), "staffId": staff}
    return {"reserveCartBookableItems": {"cart": cart_node(cart)}}


ADMIN = {"Business": op_business, "Locations": op_locations, "Services": op_services,
         "Staff": op_staff, "Clients": op_clients, "Client": op_client,
         "CreateClient": op_create_client, "Appointments": op_appointments,
         "Appointment": op_appointment, "BookingCreate": op_booking_create,
         "BookingAddService": op_booking_add_service, "BookingComplete": op_booking_complete,
         "CancelAppointment": op_cancel, "AppointmentReschedule": op_reschedule}
CLIENT = {"CreateCart": op_create_cart,
          "CartAvailableBookableItemStaffVariants": op_staff_variants,
          "AddCartSelectedBookableItem": op_add_item, "CartBookableDates": op_bookable_dates,
          "CartBookableTimes": op_bookable_times, "ReserveCartBookableItems": op_reserve}


def admin_token_ok(token):
    prefix = "blvd-admin-v1" + ARGS.business_id
    i = token.find("blvd-admin-v1")
    if i <= 0:
        return False
    sig, payload = token[:i], token[i:]
    if not payload.startswith(prefix):
        return False
    ts = payload[len(prefix):]
    if not ts.isdigit() or abs(int(ts) - time.time()) > ARGS.token_skew:
        return False
    key = base64.b64decode(ARGS.api_secret)
    want = base64.b64encode(hmac.new(key, payload.encode(), hashlib.sha256).digest()).decode()
    return hmac.compare_digest(want, sig)


def authorized(header, client_api):
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, token = base64.b64decode(header[6:]).decode().partition(":")
    except Exception:
        return False
    if not hmac.compare_digest(user, ARGS.api_key):
        return False
    if client_api and token == "":
        return True
    return admin_token_ok(token)


def spend(op, variables):
    """Charges the request's cost; None, or the throttled answer."""
    b = STATE["budget"]
    now = time.monotonic()
    b["avail"] = min(b["max"], b["avail"] + (now - b["at"]) * b["restore"])
    b["at"] = now
    cost = 10 if op in MUTATIONS else 1 + int(variables.get("first") or ARGS.page_size)
    status = {"maximumAvailable": b["max"], "currentlyAvailable": int(b["avail"]),
              "restoreRate": b["restore"]}
    if cost > b["avail"]:
        STATE["throttled"] += 1
        return cost, {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                      "extensions": {"cost": {"requestedQueryCost": cost, "throttleStatus": status}}}
    b["avail"] -= cost
    status["currentlyAvailable"] = int(b["avail"])
    return cost, {"cost": {"requestedQueryCost": cost, "actualQueryCost": cost,
                           "throttleStatus": status}}


@simcore.routes("GET", "POST")
class Handler(simcore.JsonHandler):
    content_type = "application/json"

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        raw = self.body()
        if u.path.startswith("/_sim/"):
            return self.control(method, u.path, q)
        parts = u.path.strip("/").split("/")
        admin = parts == ["api", "2020-01", "admin"]
        client = len(parts) == 4 and parts[:2] == ["api", "2020-01"] and parts[3] == "client" and \
            parts[2] == ARGS.business_id
        if method != "POST" or not (admin or client):
            return self.reply(404, {"errors": [{"message": "Not Found"}]})
        with LOCK:
            f = STATE["faults"]
            if f["status"] and (time.monotonic() < f["until"] or f["count"] > 0):
                if f["count"] > 0:
                    f["count"] -= 1
                return self.reply(f["status"], {"errors": [{"message": "Service Unavailable"}]})
        if not authorized(self.headers.get("Authorization"), client):
            with LOCK:
                STATE["unauthorized"] += 1
            return self.reply(401, {"errors": [{"message": "Unauthorized: invalid API credentials",
                                                "extensions": {"code": "UNAUTHENTICATED"}}]})
        try:
            req = json.loads(raw or b"{}")
            op = req.get("operationName")
            variables = req.get("variables") or {}
            if not isinstance(req.get("query"), str) or not isinstance(variables, dict):
                raise ValueError
        except ValueError:
            return self.reply(400, {"errors": [{"message": "Must provide query string."}]})
        table = ADMIN if admin else CLIENT
        if op not in table:
            return self.reply(200, {"errors": [{"message": "Unknown operation %s" % op,
                                                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]})
        with LOCK:
            STATE["requests"].append({"api": "admin" if admin else "client", "operation": op})
            cost, extra = spend(op, variables)
            if "errors" in extra:
                return self.reply(200, extra)
            try:
                data = table[op](variables)
            except GqlError as e:
                return self.reply(200, {"data": None, "errors": [
                    {"message": str(e), "extensions": {"code": e.code}}], "extensions": extra})
        self.reply(200, {"data": data, "extensions": extra})

    def control(self, method, path, q):
        with LOCK:
            if path == "/_sim/reset":
                STATE.clear()
                load_clinic()
                return self.reply(200, {"ok": True})
            if path == "/_sim/state":
                return self.reply(200, {
                    "clients": [client_node(c) for c in STATE["clients"].values()],
                    "appointments": [appointment_node(a) | {"notes": a.get("notes"),
                                                            "cancelReason": a.get("cancelReason")}
                                     for a in STATE["appointments"].values()],
                    "carts": [cart_node(c) | {"reserved": c["reserved"]} for c in STATE["carts"].values()],
                    "requests": STATE["requests"], "throttled": STATE["throttled"],
                    "unauthorized": STATE["unauthorized"],
                    "budget": {k: STATE["budget"][k] for k in ("max", "avail", "restore")}})
            if path in ("/_sim/down", "/_sim/up"):
                down = path == "/_sim/down"
                STATE["faults"] = {"status": 503 if down else 0, "until": float("inf") if down else 0.0,
                                   "count": 0}
                return self.reply(200, {"ok": True})
            if path == "/_sim/fail":
                STATE["faults"] = {"status": int(q.get("status", 503)),
                                   "until": time.monotonic() + float(q.get("seconds", 0)),
                                   "count": int(q.get("count", 0))}
                return self.reply(200, {"ok": True})
            if path == "/_sim/credentials":
                ARGS.api_key = q.get("api_key", ARGS.api_key)
                ARGS.api_secret = q.get("api_secret", ARGS.api_secret)
                return self.reply(200, {"ok": True})
            if path == "/_sim/throttle":
                b = STATE["budget"]
                b["max"] = float(q.get("budget", b["max"]))
                b["restore"] = float(q.get("restore", b["restore"]))
                b["avail"] = b["max"]
                b["at"] = time.monotonic()
                return self.reply(200, {"ok": True})
        return self.reply(404, {"error": "no such control route"})


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--callback-base")
    p.add_argument("--business-id", default="5d7c9a2e-3b1f-4e8a-9c6d-0b1a2c3d4e5f")
    p.add_argument("--api-key", default="blvd-sim-api-key")
    p.add_argument("--api-secret", default=base64.b64encode(b"blvd-sim-api-secret-0123456789ab").decode())
    p.add_argument("--token-skew", type=int, default=900)
    p.add_argument("--page-size", type=int, default=3)
    p.add_argument("--cost-budget", type=float, default=100000)
    p.add_argument("--restore-rate", type=float, default=5000)
    ARGS = p.parse_args()
    with LOCK:
        load_clinic()
    simcore.serve(Handler, ARGS.port, ARGS.ready_file)


if __name__ == "__main__":
    main()
