#!/usr/bin/env python3
"""Twilio simulator for Bookwell's tests (Python 3 standard library only).

Serves what the channel.twilio plugin calls, as Twilio documents it:
- Messages API: POST /2010-04-01/Accounts/{AccountSid}/Messages.json
  (form-encoded, HTTP Basic auth with the Account SID and auth token),
  validated (To, From or MessagingServiceSid, Body or MediaUrl), answering
  201 with a Message resource or Twilio's error body
  {code, message, more_info, status}: 20003 (auth), 21211 (invalid To),
  21610 (unsubscribed recipient), 20429 (rate limit), 21602/21603/21604.
  Accepted messages go queued -> sent -> delivered, each posted to the
  message's StatusCallback signed with X-Twilio-Signature.
- Messaging v1: POST /v1/Services, GET /v1/Services/{sid}, POST/GET
  /v1/a2p/BrandRegistrations, POST/GET /v1/Services/{sid}/Compliance/Usa2p
  (statuses advance on polls of one resource; the list, key "compliance",
  reports them as they are), GET/POST /v1/Services/{sid}/PhoneNumbers
  (key "phone_numbers"; numbers added by PhoneNumberSid).
- Incoming numbers: GET /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json
  ?PhoneNumber=+1... (key "incoming_phone_numbers"): every E.164 number is
  one of the account's, with a stable PN sid.
- Opt-out state per (sender, recipient): an inbound STOP opts out, START
  opts in again.

Control API (JSON in and out):
  POST /_sim/reset                 forget everything received
  GET  /_sim/requests              every API request received (method, path,
                                   content_type, form as [key, value] pairs)
  GET  /_sim/messages              messages created (each with received_ms: when
                                   the send request arrived, wall-clock ms)
  GET  /_sim/callbacks             status callbacks posted and their answers
  POST /_sim/fault                 {"status":503} or {"code":20429}, "count":N,
                                   optional "delay_ms" (answer late, after the
                                   message was created: a timeout after sending)
  POST /_sim/optout                {"from","to","opted_out":true}
  POST /_sim/a2p                   {"service_sid","brand_status":"APPROVED",
                                   "campaign_status":"VERIFIED" (or null: none),
                                   "numbers":[...attached], "mps":N}: an A2P
                                   registration made outside Bookwell
  POST /_sim/call                  {"from","to","dial_status":"no-answer"}: posts
                                   the signed voice webhook, then the <Dial>
                                   action callback named by the TwiML answer
  POST /_sim/sms                   {"from","to","body","media":[...],
                                   "bad_signature":false}: a signed SMS webhook
  POST /_sim/sign                  {"url","params":[[k,v],...]}: the signature
  POST /_sim/config                {"status_callbacks":bool,"callback_delay_ms":N,
                                   "callback_base":URL,"public_base":URL}: behind a
                                   proxy, requests are signed for public_base URLs
                                   and delivered to the same paths on callback_base

Usage: twilio_sim.py --port 0 --ready-file F [--callback-base URL]
       [--account SID:TOKEN]... [--clinic CLINIC.json]
"""

import argparse
import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import urllib.parse
from email.utils import formatdate

import simcore

DEFAULT_ACCOUNT = "AC" + "0123456789abcdef" * 2
DEFAULT_TOKEN = "simulated-auth-token-0123456789"
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# Twilio's magic test number that is never a valid recipient.
INVALID_TO = {"+15005550001"}


def sid(prefix):
    return prefix + secrets.token_hex(16)


def signature(token, url, pairs):
    """base64(HMAC-SHA1(token, url + key+value of the sorted params))."""
    data = url + "".join(k + v for k, v in sorted(pairs))
    mac = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def twilio_error(code, message, status):
    return status, {
        "code": code,
        "message": message,
        "more_info": "https://www.twilio.com/docs/errors/%d" % code,
        "status": status,
    }


class State:
    def __init__(self, accounts, callback_base):
        self.lock = threading.Lock()
        self.accounts = accounts
        self.callback_base = callback_base
        self.public_base = ""
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = []
            self.messages = {}
            self.order = []
            self.callbacks = []
            self.optout = set()
            self.faults = []
            self.brands = {}
            self.services = {}
            self.campaigns = {}
            self.numbers = {}  # E.164 -> PN sid, stable while the simulator runs
            self.status_callbacks = True
            self.callback_delay = 0.01


    def number_sid(self, number):
        """The account's PN sid of number (lock held)."""
        if number not in self.numbers:
            self.numbers[number] = "PN" + hashlib.md5(number.encode()).hexdigest()
        return self.numbers[number]


STATE = None


def delivery_url(url):
    """Where a request for url goes: behind the public base (the proxy's
    address Twilio calls), the callback base (the daemon's own address)."""
    pub, cb = STATE.public_base, STATE.callback_base
    if pub and cb and url.startswith(pub.rstrip("/") + "/"):
        return cb.rstrip("/") + url[len(pub.rstrip("/")):]
    return url


def post_form(url, pairs, token, bad=False, headers=None):
    """POSTs a form signed for url (the public URL) to its delivery URL;
    returns (status, body text)."""
    body = urllib.parse.urlencode(pairs).encode()
    sig = signature(token, url, pairs)
    url = delivery_url(url)
    if bad:
        sig = base64.b64encode(b"forged-signature-bytes").decode()
    h = {"Content-Type": "application/x-www-form-urlencoded",
         "X-Twilio-Signature": sig,
         "I-Twilio-Idempotency-Token": secrets.token_hex(16),
         "User-Agent": "TwilioProxy/1.1"}
    if headers:
        h.update(headers)
    return simcore.call_out(url, body, h, timeout=10)


def status_flow(msg, token):
    """Posts queued -> sent -> delivered (or failed) to the StatusCallback."""
    url = msg.get("_callback")
    if not url:
        return
    for st in msg["_flow"]:
        time.sleep(STATE.callback_delay)
        with STATE.lock:
            msg["status"] = st
        pairs = [("AccountSid", msg["account_sid"]), ("ApiVersion", "2010-04-01"),
                 ("From", msg["from"] or ""), ("To", msg["to"]),
                 ("MessageSid", msg["sid"]), ("SmsSid", msg["sid"]),
                 ("MessageStatus", st), ("SmsStatus", st)]
        if msg.get("messaging_service_sid"):
            pairs.append(("MessagingServiceSid", msg["messaging_service_sid"]))
        if msg.get("error_code"):
            pairs.append(("ErrorCode", str(msg["error_code"])))
        code, _ = post_form(url, pairs, token)
        with STATE.lock:
            STATE.callbacks.append({"url": url, "sid": msg["sid"], "status": st, "answer": code})


@simcore.routes("GET", "POST")
class Handler(simcore.JsonHandler):
    log_name = "twilio_sim"

    # ---- plumbing --------------------------------------------------------
    def reply(self, status, obj, content_type="application/json", headers=None):
        """obj: a JSON value, or bytes sent as they are (as content_type)."""
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_bytes(status, body, content_type, headers)

    def auth_ok(self, account):
        token = STATE.accounts.get(account)
        h = self.headers.get("Authorization") or ""
        if not token or not h.startswith("Basic "):
            return False
        try:
            user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == account and hmac.compare_digest(pw, token)

    def record(self, raw):
        path, _, query = self.path.partition("?")
        entry = {"method": self.command, "path": path, "query": query,
                 "content_type": self.headers.get("Content-Type") or "",
                 "form": urllib.parse.parse_qsl(raw.decode("utf-8", "replace"),
                                                keep_blank_values=True),
                 "at": time.time()}
        with STATE.lock:
            STATE.requests.append(entry)
        return entry

    def take_fault(self):
        with STATE.lock:
            for f in STATE.faults:
                if f["count"] > 0:
                    f["count"] -= 1
                    return dict(f)
        return None

    # ---- dispatch --------------------------------------------------------

    def route(self, method):
        path = self.path.partition("?")[0]
        if path.startswith("/_sim/"):
            return self.control(method, path[len("/_sim/"):])
        raw = self.body() if method == "POST" else b""
        m = re.match(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$", path)
        if m:
            self.record(raw)
            if method != "POST":
                return self.reply(405, {"code": 20004, "message": "Method not allowed",
                                        "more_info": "", "status": 405})
            return self.create_message(m.group(1), raw)
        m = re.match(r"^/2010-04-01/Accounts/([^/]+)/IncomingPhoneNumbers\.json$", path)
        if m and method == "GET":
            self.record(raw)
            return self.incoming_numbers(m.group(1))
        if path.startswith("/v1/"):
            self.record(raw)
            return self.messaging_v1(method, path, raw)
        self.reply(*twilio_error(20404, "The requested resource %s was not found" % path, 404))

    # ---- Messages API ----------------------------------------------------
    def create_message(self, account, raw):
        if not self.auth_ok(account):
            return self.reply(*twilio_error(20003, "Authenticate", 401))
        if not (self.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded"):
            return self.reply(*twilio_error(20001, "Content-Type must be form-encoded", 400))
        form = urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        get = lambda k: next((v for kk, v in form if kk == k), None)
        media = [v for k, v in form if k == "MediaUrl"]
        to, frm, svc, body = get("To"), get("From"), get("MessagingServiceSid"), get("Body")
        fault = self.take_fault()
        if fault and not fault.get("delay_ms"):
            if fault.get("code") == 20429:
                return self.reply(*twilio_error(20429, "Too Many Requests", 429),
                                  headers={"Retry-After": str(fault.get("retry_after", 1))})
            st = fault.get("status", 503)
            return self.reply(*twilio_error(fault.get("code") or 20500,
                                            "Service unavailable", st))
        if not to:
            return self.reply(*twilio_error(21604, "A 'To' phone number is required.", 400))
        if not E164.match(to) or to in INVALID_TO:
            return self.reply(*twilio_error(
                21211, "The 'To' number %s is not a valid phone number." % to, 400))
        if not frm and not svc:
            return self.reply(*twilio_error(21603, "A 'From' phone number is required.", 400))
        if frm and not E164.match(frm):
            return self.reply(*twilio_error(21212, "Invalid From number", 400))
        if svc and not re.match(r"^MG[0-9a-fA-F]{32}$", svc):
            return self.reply(*twilio_error(21701, "The Messaging Service Sid is invalid", 400))
        if not body and not media:
            return self.reply(*twilio_error(21602, "Message body is required.", 400))
        if body and len(body) > 1600:
            return self.reply(*twilio_error(21617, "The concatenated message body exceeds "
                                            "the 1600 character limit.", 400))
        sender = frm or svc
        with STATE.lock:
            opted = (sender, to) in STATE.optout or ("*", to) in STATE.optout
        if opted:
            return self.reply(*twilio_error(
                21610, "Attempt to send to unsubscribed recipient", 400))
        now = formatdate(usegmt=True)
        msg = {"sid": sid("MM" if media else "SM"), "account_sid": account,
               "from": frm, "to": to, "body": body or "", "status": "queued",
               "messaging_service_sid": svc, "num_media": str(len(media)),
               "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
               "date_created": now, "date_updated": now, "date_sent": None,
               "error_code": None, "error_message": None, "price": None,
               "price_unit": "USD",
               "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (account, "x"),
               "subresource_uris": {}}
        msg["uri"] = "/2010-04-01/Accounts/%s/Messages/%s.json" % (account, msg["sid"])
        public = {k: v for k, v in msg.items() if not k.startswith("_")}
        msg["_callback"] = get("StatusCallback")
        msg["received_ms"] = time.time() * 1000.0  # wall clock, for /_sim/messages only
        msg["_flow"] = ["queued", "sent", "delivered"]
        msg["_media"] = media
        with STATE.lock:
            STATE.messages[msg["sid"]] = msg
            STATE.order.append(msg["sid"])
        if STATE.status_callbacks:
            threading.Thread(target=status_flow, args=(msg, STATE.accounts[account]),
                             daemon=True).start()
        if fault and fault.get("delay_ms"):
            time.sleep(fault["delay_ms"] / 1000.0)
        self.reply(201, public)

    # ---- Messaging v1: services and A2P ---------------------------------------
    def messaging_v1(self, method, path, raw):
        account = None
        h = self.headers.get("Authorization") or ""
        try:
            account = base64.b64decode(h[6:]).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            pass
        if not account or not self.auth_ok(account):
            return self.reply(*twilio_error(20003, "Authenticate", 401))
        form = urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        get = lambda k: next((v for kk, v in form if kk == k), None)
        missing = lambda keys: [k for k in keys if not get(k)]
        if path == "/v1/a2p/BrandRegistrations" and method == "POST":
            miss = missing(["CustomerProfileBundleSid", "A2PProfileBundleSid"])
            if miss:
                return self.reply(*twilio_error(20001, "Missing required parameter %s"
                                                % miss[0], 400))
            b = {"sid": sid("BN"), "account_sid": account, "status": "PENDING",
                 "customer_profile_bundle_sid": get("CustomerProfileBundleSid"),
                 "a2p_profile_bundle_sid": get("A2PProfileBundleSid"),
                 "brand_type": get("BrandType") or "STANDARD", "polls": 0}
            with STATE.lock:
                STATE.brands[b["sid"]] = b
            return self.reply(201, {k: v for k, v in b.items() if k != "polls"})
        m = re.match(r"^/v1/a2p/BrandRegistrations/(BN[0-9a-f]{32})$", path)
        if m and method == "GET":
            with STATE.lock:
                b = STATE.brands.get(m.group(1))
                if b:
                    b["polls"] += 1
                    if b["polls"] >= 1:
                        b["status"] = "APPROVED"
            if not b:
                return self.reply(*twilio_error(20404, "Not found", 404))
            return self.reply(200, {k: v for k, v in b.items() if k != "polls"})
        if path == "/v1/Services" and method == "POST":
            if missing(["FriendlyName"]):
                return self.reply(*twilio_error(20001, "Missing required parameter "
                                                "FriendlyName", 400))
            s = {"sid": sid("MG"), "account_sid": account, "friendly_name": get("FriendlyName"),
                 "status_callback": get("StatusCallback"),
                 "inbound_request_url": get("InboundRequestUrl"), "us_app_to_person_registered": False}
            with STATE.lock:
                STATE.services[s["sid"]] = s
            return self.reply(201, s)
        m = re.match(r"^/v1/Services/(MG[0-9a-fA-F]{32})/Compliance/Usa2p(?:/(QE[0-9a-f]{32}))?$",
                     path)
        if m and method == "POST" and not m.group(2):
            miss = missing(["BrandRegistrationSid", "Description", "MessageFlow",
                            "UsAppToPersonUsecase", "HasEmbeddedLinks", "HasEmbeddedPhone"])
            samples = [v for k, v in form if k == "MessageSamples"]
            if miss or len(samples) < 2:
                return self.reply(*twilio_error(20001, "Missing required parameter %s"
                                                % (miss[0] if miss else "MessageSamples"), 400))
            with STATE.lock:
                brand = STATE.brands.get(get("BrandRegistrationSid"))
            if not brand or brand["status"] != "APPROVED":
                return self.reply(*twilio_error(21714, "Brand is not approved", 400))
            c = {"sid": sid("QE"), "account_sid": account, "messaging_service_sid": m.group(1),
                 "brand_registration_sid": get("BrandRegistrationSid"),
                 "description": get("Description"), "message_flow": get("MessageFlow"),
                 "message_samples": samples, "us_app_to_person_usecase": get("UsAppToPersonUsecase"),
                 "has_embedded_links": get("HasEmbeddedLinks") == "true",
                 "has_embedded_phone": get("HasEmbeddedPhone") == "true",
                 "campaign_status": "IN_PROGRESS", "campaign_id": None, "polls": 0,
                 "rate_limits": None}
            with STATE.lock:
                STATE.campaigns[c["sid"]] = c
            return self.reply(201, {k: v for k, v in c.items() if k != "polls"})
        if m and method == "GET" and m.group(2):
            with STATE.lock:
                c = STATE.campaigns.get(m.group(2))
                if c:
                    c["polls"] += 1
                    c["campaign_status"] = "VERIFIED"
                    c["campaign_id"] = "C" + secrets.token_hex(3).upper()
                    c["rate_limits"] = {"att": {"mps": 4, "msg_class": "T"},
                                        "tmobile": {"brand_tier": "LOW"}}
            if not c:
                return self.reply(*twilio_error(20404, "Not found", 404))
            return self.reply(200, {k: v for k, v in c.items() if k != "polls"})
        m = re.match(r"^/v1/Services/(MG[0-9a-fA-F]{32})$", path)
        if m and method == "GET":
            with STATE.lock:
                s = STATE.services.get(m.group(1))
                if s:
                    s["us_app_to_person_registered"] = any(
                        c["messaging_service_sid"] == s["sid"] and
                        c["campaign_status"] == "VERIFIED" for c in STATE.campaigns.values())
                    s = dict(s)
            if not s:
                return self.reply(*twilio_error(20404, "The requested resource %s was not found"
                                                % path, 404))
            return self.reply(200, s)
        m = re.match(r"^/v1/Services/(MG[0-9a-fA-F]{32})/Compliance/Usa2p$", path)
        if m and method == "GET":
            with STATE.lock:
                if m.group(1) not in STATE.services:
                    return self.reply(*twilio_error(20404, "Service not found", 404))
                items = [{k: v for k, v in c.items() if k != "polls"}
                         for c in STATE.campaigns.values()
                         if c["messaging_service_sid"] == m.group(1)]
            return self.reply(200, self.page("compliance", path, items))
        m = re.match(r"^/v1/Services/(MG[0-9a-fA-F]{32})/PhoneNumbers$", path)
        if m and method == "GET":
            with STATE.lock:
                s = STATE.services.get(m.group(1))
                items = list(s.get("phone_numbers", [])) if s else None
            if items is None:
                return self.reply(*twilio_error(20404, "Service not found", 404))
            return self.reply(200, self.page("phone_numbers", path, items))
        if m and method == "POST":
            pn = get("PhoneNumberSid") or ""
            with STATE.lock:
                s = STATE.services.get(m.group(1))
                number = next((n for n, p in STATE.numbers.items() if p == pn), None)
                if s and number and any(x["phone_number"] == number
                                        for x in s.get("phone_numbers", [])):
                    return self.reply(*twilio_error(21710, "Phone Number is already in the "
                                                    "Messaging Service", 409))
                if s and number:
                    item = self.service_number(s, number)
                    s.setdefault("phone_numbers", []).append(item)
            if not s:
                return self.reply(*twilio_error(20404, "Service not found", 404))
            if not number:
                return self.reply(*twilio_error(21421, "PhoneNumberSid is invalid", 400))
            return self.reply(201, item)
        self.reply(*twilio_error(20404, "The requested resource %s was not found" % path, 404))

    def page(self, key, path, items):
        url = "https://messaging.twilio.com%s?PageSize=50&Page=0" % path
        return {key: items, "meta": {"page": 0, "page_size": 50, "first_page_url": url,
                                     "previous_page_url": None, "next_page_url": None,
                                     "key": key, "url": url}}

    @staticmethod
    def service_number(s, number):
        """A service's phone number resource (lock held)."""
        return {"sid": STATE.number_sid(number), "account_sid": s["account_sid"],
                "service_sid": s["sid"], "phone_number": number, "country_code": "US",
                "capabilities": ["SMS", "MMS", "Voice"],
                "url": "https://messaging.twilio.com/v1/Services/%s/PhoneNumbers/%s"
                % (s["sid"], STATE.number_sid(number))}

    def incoming_numbers(self, account):
        if not self.auth_ok(account):
            return self.reply(*twilio_error(20003, "Authenticate", 401))
        q = urllib.parse.parse_qs(self.path.partition("?")[2])
        want = (q.get("PhoneNumber") or [None])[0]
        items = []
        if want and E164.match(want):
            with STATE.lock:
                items.append({"sid": STATE.number_sid(want), "account_sid": account,
                              "phone_number": want, "friendly_name": want,
                              "capabilities": {"sms": True, "mms": True, "voice": True}})
        path = self.path.partition("?")[0]
        return self.reply(200, {"incoming_phone_numbers": items, "end": len(items) - 1,
                                "first_page_uri": path + "?PageSize=50&Page=0",
                                "next_page_uri": None, "page": 0, "page_size": 50,
                                "previous_page_uri": None, "start": 0, "uri": self.path})

    # ---- control API --------------------------------------------------------
    def control(self, method, what):
        arg = self.json_body() if method == "POST" else {}
        if arg is None:
            return self.reply(400, {"error": "body is not JSON"})
        account = arg.get("account") or next(iter(STATE.accounts))
        token = STATE.accounts.get(account, DEFAULT_TOKEN)
        if what == "reset" and method == "POST":
            STATE.reset()
            return self.reply(200, {"ok": True})
        if what == "requests":
            with STATE.lock:
                return self.reply(200, {"requests": list(STATE.requests)})
        if what == "messages":
            with STATE.lock:
                msgs = [{k: v for k, v in STATE.messages[s].items()
                         if k not in ("_flow",)} for s in STATE.order]
            return self.reply(200, {"messages": msgs})
        if what == "callbacks":
            with STATE.lock:
                return self.reply(200, {"callbacks": list(STATE.callbacks)})
        if what == "fault" and method == "POST":
            f = {"status": int(arg.get("status", 503)), "code": arg.get("code"),
                 "count": int(arg.get("count", 1)), "delay_ms": int(arg.get("delay_ms", 0)),
                 "retry_after": int(arg.get("retry_after", 1))}
            with STATE.lock:
                STATE.faults.append(f)
            return self.reply(200, {"ok": True})
        if what == "optout" and method == "POST":
            key = (arg.get("from") or "*", arg["to"])
            with STATE.lock:
                if arg.get("opted_out", True):
                    STATE.optout.add(key)
                else:
                    STATE.optout.discard(key)
            return self.reply(200, {"ok": True})
        if what == "a2p" and method == "POST":
            return self.seed_a2p(arg, account)
        if what == "config" and method == "POST":
            if "status_callbacks" in arg:
                STATE.status_callbacks = bool(arg["status_callbacks"])
            if "callback_delay_ms" in arg:
                STATE.callback_delay = int(arg["callback_delay_ms"]) / 1000.0
            if "callback_base" in arg:
                STATE.callback_base = arg["callback_base"]
            if "public_base" in arg:
                STATE.public_base = arg["public_base"]
            return self.reply(200, {"ok": True})
        if what == "sign" and method == "POST":
            pairs = [tuple(p) for p in arg.get("params", [])]
            return self.reply(200, {"signature": signature(token, arg["url"], pairs)})
        if what == "call" and method == "POST":
            return self.place_call(arg, account, token)
        if what == "sms" and method == "POST":
            return self.send_sms(arg, account, token)
        self.reply(404, {"error": "no such control %s" % what})

    def seed_a2p(self, arg, account):
        svc = arg.get("service_sid") or sid("MG")
        with STATE.lock:
            b = {"sid": sid("BN"), "account_sid": account,
                 "status": arg.get("brand_status", "APPROVED"),
                 "customer_profile_bundle_sid": sid("BU"), "a2p_profile_bundle_sid": sid("BU"),
                 "brand_type": "STANDARD", "polls": 0, "failure_reason": None}
            STATE.brands[b["sid"]] = b
            s = {"sid": svc, "account_sid": account, "friendly_name": "Clinic",
                 "status_callback": None, "inbound_request_url": None,
                 "us_app_to_person_registered": False, "usecase": "mixed"}
            s["phone_numbers"] = [self.service_number(s, n) for n in arg.get("numbers", [])]
            STATE.services[svc] = s
            camp = None
            if arg.get("campaign_status", "VERIFIED"):
                mps = int(arg.get("mps", 4))
                camp = {"sid": sid("QE"), "account_sid": account, "messaging_service_sid": svc,
                        "brand_registration_sid": b["sid"], "description": "Clinic texts",
                        "message_flow": "Patients opt in at booking",
                        "message_samples": ["Hi", "Hello"], "us_app_to_person_usecase": "MIXED",
                        "has_embedded_links": False, "has_embedded_phone": False,
                        "campaign_status": arg.get("campaign_status", "VERIFIED"),
                        "campaign_id": "C" + secrets.token_hex(3).upper(), "polls": 0,
                        "rate_limits": {"att": {"mps": mps, "msg_class": "T"},
                                        "tmobile": {"brand_tier": "LOW"}}}
                STATE.campaigns[camp["sid"]] = camp
        return self.reply(200, {"service_sid": svc, "brand_sid": b["sid"],
                                "campaign_sid": camp["sid"] if camp else None})

    def base(self, arg):
        """The base of the URLs Twilio calls: the public base behind a proxy
        (signed as such, delivered to the callback base), else the callback
        base itself."""
        b = STATE.public_base or arg.get("callback_base") or STATE.callback_base
        if not b:
            raise ValueError("no callback base (--callback-base or callback_base)")
        return b.rstrip("/")

    def place_call(self, arg, account, token):
        try:
            base = self.base(arg)
        except ValueError as e:
            return self.reply(400, {"error": str(e)})
        call_sid = sid("CA")
        frm, to = arg["from"], arg["to"]
        common = [("AccountSid", account), ("ApiVersion", "2010-04-01"), ("CallSid", call_sid),
                  ("Called", to), ("Caller", frm), ("Direction", "inbound"), ("From", frm),
                  ("To", to)]
        voice_url = arg.get("voice_url") or base + "/webhooks/twilio/voice"
        code, twiml = post_form(voice_url, common + [("CallStatus", "ringing")], token,
                                bad=arg.get("bad_signature", False))
        out = {"call_sid": call_sid, "voice": {"status": code, "twiml": twiml}}
        m = re.search(r'<Dial[^>]*\baction="([^"]+)"', twiml or "")
        if code == 200 and m:
            action = m.group(1).replace("&amp;", "&")
            if action.startswith("/"):
                action = base + action
            dial_status = arg.get("dial_status", "no-answer")
            pairs = common + [("CallStatus", "in-progress"), ("DialCallStatus", dial_status)]
            if dial_status == "completed":
                pairs += [("DialCallSid", sid("CA")), ("DialCallDuration", "42")]
            code2, twiml2 = post_form(action, pairs, token)
            out["dial_action"] = {"url": action, "status": code2, "twiml": twiml2}
        self.reply(200, out)

    def send_sms(self, arg, account, token):
        try:
            base = self.base(arg)
        except ValueError as e:
            return self.reply(400, {"error": str(e)})
        msid = arg.get("message_sid") or sid("MM" if arg.get("media") else "SM")
        frm, to, body = arg["from"], arg["to"], arg.get("body", "")
        media = arg.get("media", [])
        pairs = [("AccountSid", account), ("ApiVersion", "2010-04-01"), ("Body", body),
                 ("From", frm), ("MessageSid", msid), ("NumMedia", str(len(media))),
                 ("NumSegments", "1"), ("SmsMessageSid", msid), ("SmsSid", msid),
                 ("SmsStatus", "received"), ("To", to)]
        for i, u in enumerate(media):
            pairs += [("MediaUrl%d" % i, u), ("MediaContentType%d" % i, "image/jpeg")]
        word = body.strip().upper()
        if word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"):
            pairs.append(("OptOutType", "STOP"))
            with STATE.lock:
                STATE.optout.add(("*", frm))
        elif word in ("START", "YES", "UNSTOP"):
            pairs.append(("OptOutType", "START"))
            with STATE.lock:
                STATE.optout.discard(("*", frm))
        elif word in ("HELP", "INFO"):
            pairs.append(("OptOutType", "HELP"))
        url = arg.get("url") or base + "/webhooks/twilio/sms"
        code, text = post_form(url, pairs, token, bad=arg.get("bad_signature", False))
        self.reply(200, {"message_sid": msid, "status": code, "twiml": text})


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--callback-base", default="")
    ap.add_argument("--public-base", default="",
                    help="the public base URL Twilio signs (a proxy forwards to --callback-base)")
    ap.add_argument("--clinic", default="")
    ap.add_argument("--account", action="append", default=[],
                    help="SID:TOKEN (repeatable; default one test account)")
    a = ap.parse_args()
    accounts = {}
    for spec in a.account or ["%s:%s" % (DEFAULT_ACCOUNT, DEFAULT_TOKEN)]:
        k, _, v = spec.partition(":")
        accounts[k] = v
    STATE = State(accounts, a.callback_base)
    STATE.public_base = a.public_base
    simcore.serve(Handler, a.port, a.ready_file)


if __name__ == "__main__":
    main()
