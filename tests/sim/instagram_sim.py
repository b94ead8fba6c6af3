#!/usr/bin/env python3
"""Instagram Messaging (Meta Graph API) simulator for Bookwell's tests.

Serves the Send API the way Meta documents it:

  POST /{version}/{ig-id}/messages   Authorization: Bearer <token>
       {"recipient":{"id":IGSID},"message":{"text":...}|{"attachment":...},
        ["messaging_type":"MESSAGE_TAG","tag":"HUMAN_AGENT"]}
    200 {"recipient_id":...,"message_id":...}
    errors as Graph returns them: {"error":{"message","type","code",
    "error_subcode","fbtrace_id"}} (190 token, 100 parameter, 551 user
    unavailable, 10/2018278 outside the messaging window, ...)

and enforces the messaging windows on its own side: a message needs an
inbound message from the user (sent through this simulator) within 24 hours,
or within 7 days with the HUMAN_AGENT tag.

It also plays Meta's side of the webhooks: it signs inbound messages with the
app secret (X-Hub-Signature-256) and POSTs them to the daemon
(--callback-base + path), and performs the GET subscription handshake.

Control API (JSON):
  POST /_sim/reset                     forget everything but the settings
  POST /_sim/clock  {"now_ms"|"advance_ms"}  the simulator's clock (GET reads it)
  POST /_sim/fault  {"status",["error"],["count"]}  answer the next sends so
  POST /_sim/token  {"token"}          accept another access token
  POST /_sim/callback {"base"}         where webhooks go (as --callback-base)
  POST /_sim/inbound {"account","sender",["text"],["mid"],["timestamp_ms"],
       ["attachments":[url]],["quick_reply"],["echo"],["deleted"],["forge"],
       ["deliver":true],["path"]}     a user's message: signed, delivered
  POST /_sim/verify {["token"],["challenge"],["mode"],["path"]}  GET handshake
  GET  /_sim/sent                      the Send API requests received (at_ms on
                                       the simulator's clock, received_ms wall clock)
  GET  /_sim/deliveries                the webhooks posted and their answers

Usage: instagram_sim.py --port 0 --ready-file F [--callback-base URL]
       [--app-secret S] [--verify-token T] [--access-token T] [--clinic F]
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import threading
import time
import urllib.parse

import simcore

DAY_MS = 24 * 3600 * 1000
SEND_PATH = re.compile(r"^/(v\d+\.\d+)/(\d+)/messages$")


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.reset()

    def reset(self):
        self.tokens = {self.args.access_token}
        self.last_inbound = {}   # (account, user) -> ms
        self.sent = []
        self.deliveries = []
        self.faults = []
        self.clock_ms = None     # None: real time
        self.seq = 0

    def now_ms(self):
        return self.clock_ms if self.clock_ms is not None else int(time.time() * 1000)

    def next_id(self, prefix):
        self.seq += 1
        return "%s%d_%s" % (prefix, self.seq, os.urandom(6).hex())


def graph_error(code, message, etype="OAuthException", subcode=None):
    err = {"message": message, "type": etype, "code": code,
           "fbtrace_id": "A" + os.urandom(8).hex()}
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def inbound_payload(st, req):
    account = str(req["account"])
    sender = str(req["sender"])
    ts = int(req.get("timestamp_ms") or st.now_ms())
    mid = req.get("mid") or st.next_id("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj")
    message = {"mid": mid}
    echo = bool(req.get("echo"))
    if echo:
        message["is_echo"] = True
    if req.get("deleted"):
        message["is_deleted"] = True
    if req.get("text") is not None:
        message["text"] = req["text"]
    if req.get("attachments"):
        message["attachments"] = [{"type": "image", "payload": {"url": u}}
                                  for u in req["attachments"]]
    if req.get("quick_reply") is not None:
        message["quick_reply"] = {"payload": req["quick_reply"]}
    item = {
        "sender": {"id": account if echo else sender},
        "recipient": {"id": sender if echo else account},
        "timestamp": ts,
        "message": message,
    }
    body = {"object": "instagram",
            "entry": [{"time": ts, "id": account, "messaging": [item]}]}
    if not echo and not req.get("deleted"):
        key = (account, sender)
        st.last_inbound[key] = max(ts, st.last_inbound.get(key, 0))
    return mid, json.dumps(body, separators=(",", ":")).encode()


@simcore.routes("GET", "POST")
class Handler(simcore.JsonHandler):
    server_version = "instagram-sim/1"
    log_name = "instagram_sim"
    content_type = "application/json"

    # ---- control API -------------------------------------------------------
    def control(self, method, path):
        st = self.server.st
        args = st.args
        if method == "GET" and path == "/_sim/sent":
            with st.lock:
                return self.reply(200, {"sent": st.sent})
        if method == "GET" and path == "/_sim/deliveries":
            with st.lock:
                return self.reply(200, {"deliveries": st.deliveries})
        if method == "GET" and path == "/_sim/clock":
            return self.reply(200, {"now_ms": st.now_ms()})
        req = self.json_body()
        if req is None:
            return self.reply(400, {"error": "body is not JSON"})
        if path == "/_sim/callback":
            args.callback_base = req.get("base")
            return self.reply(200, {"ok": True})
        if path == "/_sim/reset":
            with st.lock:
                st.reset()
            return self.reply(200, {"ok": True})
        if path == "/_sim/clock":
            with st.lock:
                if "now_ms" in req:
                    st.clock_ms = int(req["now_ms"])
                if "advance_ms" in req:
                    st.clock_ms = st.now_ms() + int(req["advance_ms"])
                return self.reply(200, {"now_ms": st.now_ms()})
        if path == "/_sim/fault":
            with st.lock:
                st.faults.append({"status": int(req.get("status", 503)),
                                  "error": req.get("error"),
                                  "count": int(req.get("count", 1))})
            return self.reply(200, {"ok": True})
        if path == "/_sim/token":
            with st.lock:
                st.tokens.add(req["token"])
            return self.reply(200, {"ok": True})
        if path == "/_sim/inbound":
            if "account" not in req or "sender" not in req:
                return self.reply(400, {"error": "account and sender are required"})
            with st.lock:
                mid, body = inbound_payload(st, req)
            secret = args.app_secret + ("-forged" if req.get("forge") else "")
            sig = sign(secret, body)
            out = {"mid": mid, "body": body.decode(), "signature": sig}
            if req.get("deliver", True):
                if not args.callback_base:
                    return self.reply(409, {"error": "no --callback-base to deliver to"})
                url = args.callback_base.rstrip("/") + req.get("path", "/webhooks/instagram/main")
                status, answer = simcore.call_out(url, body, {"Content-Type": "application/json",
                                                              "X-Hub-Signature-256": sig})
                out["status"], out["response"] = status, answer
                with st.lock:
                    st.deliveries.append({"mid": mid, "status": status, "url": url})
            return self.reply(200, out)
        if path == "/_sim/verify":
            if not args.callback_base:
                return self.reply(409, {"error": "no --callback-base"})
            q = urllib.parse.urlencode({"hub.mode": req.get("mode", "subscribe"),
                                        "hub.verify_token": req.get("token", args.verify_token),
                                        "hub.challenge": req.get("challenge", "1158201444")})
            url = args.callback_base.rstrip("/") + req.get("path", "/webhooks/instagram/main") + "?" + q
            status, answer = simcore.call_out(url)
            return self.reply(200, {"status": status, "body": answer})
        return self.reply(404, {"error": "no such control route"})

    # ---- Graph API ---------------------------------------------------------
    def send_api(self, version, ig_id, query):
        st = self.server.st
        raw = self.body()
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else query.get("access_token", [None])[0]
        with st.lock:
            if st.faults:
                f = st.faults[0]
                f["count"] -= 1
                if f["count"] <= 0:
                    st.faults.pop(0)
                err = f["error"] if f["error"] is not None else graph_error(2, "An unexpected error has occurred. Please retry your request later.",
                                                "OAuthException")
                return self.reply(f["status"], err)
            if not token:
                return self.reply(400, graph_error(2500, "An active access token must be used to query information about the current user."))
            if token not in st.tokens:
                return self.reply(400, graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self.reply(400, graph_error(100, "(#100) Invalid JSON for postbody", "OAuthException"))
            rid = (body.get("recipient") or {}).get("id")
            message = body.get("message") or {}
            if not rid:
                return self.reply(400, graph_error(100, "(#100) The parameter recipient is required"))
            if "text" not in message and "attachment" not in message:
                return self.reply(400, graph_error(100, "(#100) Must send either message or state"))
            if len(message.get("text", "").encode()) > 1000:
                return self.reply(400, graph_error(100, "(#100) Length of param message[text] must be less than or equal to 1000", subcode=2018047))
            last = st.last_inbound.get((ig_id, rid))
            if last is None:
                return self.reply(400, graph_error(551, "(#551) This person isn't available right now.", subcode=1545041))
            age = st.now_ms() - last
            tagged = body.get("messaging_type") == "MESSAGE_TAG" and body.get("tag") == "HUMAN_AGENT"
            if age > DAY_MS and not (tagged and age <= 7 * DAY_MS):
                return self.reply(400, graph_error(10, "(#10) This message is sent outside of allowed window.", subcode=2018278))
            mid = st.next_id("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOk")
            st.sent.append({"path": self.path.split("?")[0], "version": version, "account": ig_id,
                            "authorization": auth, "body": body, "message_id": mid,
                            "at_ms": st.now_ms(),
                            # wall clock, whatever the simulated clock says
                            "received_ms": time.time() * 1000.0})
        return self.reply(200, {"recipient_id": rid, "message_id": mid})

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        if u.path.startswith("/_sim/"):
            return self.control(method, u.path)
        m = SEND_PATH.match(u.path)
        if method == "POST" and m:
            return self.send_api(m.group(1), m.group(2), urllib.parse.parse_qs(u.query))
        self.body()
        return self.reply(400, graph_error(100, "Unsupported %s request." % method, "GraphMethodException", 33))


def main():
    p = argparse.ArgumentParser()
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--callback-base")
    p.add_argument("--app-secret", default="appsecret")
    p.add_argument("--verify-token", default="verify-me")
    p.add_argument("--access-token", default="ig-test-token")
    args = p.parse_args()
    simcore.serve(Handler, args.port, args.ready_file,
                  lambda server: setattr(server, "st", State(args)))


if __name__ == "__main__":
    main()
