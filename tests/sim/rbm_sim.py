#!/usr/bin/env python3
"""Google RCS Business Messaging (RBM) simulator for Bookwell's tests.

Serves the RBM API the way Google documents it:

  POST /v1/phones/{msisdn}/agentMessages?messageId=ID&agentId=AGENT
       Authorization: Bearer <token>
       {"contentMessage":{"text"|"contentInfo"|..., ["suggestions":[...]]}}
    200 the AgentMessage {"name":"phones/{msisdn}/agentMessages/{ID}",
        "sendTime","contentMessage"}
    errors as Google APIs return them: {"error":{"code","message","status"}}
    (401 UNAUTHENTICATED, 400 INVALID_ARGUMENT, 404 NOT_FOUND for a phone
    without RCS, 409 ALREADY_EXISTS for a repeated messageId, 429, 5xx)

  GET /token   (with "Metadata-Flavor: Google") an OAuth2 access token in the
    GCE metadata server's format {"access_token","expires_in","token_type"}

and plays Google's side of the webhook: a user event is base64-encoded into a
Pub/Sub-style envelope {"message":{"data","messageId","publishTime"},
"subscription"} and signed in X-Goog-Signature, base64(HMAC-SHA512(client
token, the decoded data)), then POSTed to --callback-base + path.

Control API (JSON):
  POST /_sim/reset                       forget everything but the settings
  POST /_sim/fault {"status",["error"],["count"]}  answer the next sends so
  POST /_sim/revoke                      every issued token stops working
  POST /_sim/callback {"base"}         where webhooks go (as --callback-base)
  POST /_sim/unreachable {"phone"}       that phone has no RCS (404)
  POST /_sim/inbound {"phone",["agent"],["text"]|["suggestion":{"text",
       "postbackData"}]|["event":"READ"|"DELIVERED"|"IS_TYPING"|...,
       "message_id"],["file_uri"],["message_id"],["forge"],["deliver":true],
       ["path"]}                         a user event: signed, delivered
  POST /_sim/setup {["token"],["path"]}  the webhook-setup handshake
  GET  /_sim/sent                        the agent messages accepted
  GET  /_sim/stats                       token fetches and send attempts

Usage: rbm_sim.py --port 0 --ready-file F [--callback-base URL]
       [--client-token T] [--access-token T] [--agent ID] [--clinic F]
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import threading
import time
import urllib.parse

import simcore

SEND_PATH = re.compile(r"^/v1/phones/(\+?[0-9]+)/agentMessages$")
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
          404: "NOT_FOUND", 409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED",
          500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def api_error(code, message, status=None):
    return {"error": {"code": code, "message": message, "status": status or STATUS.get(code, "UNKNOWN")}}


def now_rfc3339():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.args = args
        self.reset()

    def reset(self):
        self.tokens = {self.args.access_token}
        self.sent = []
        self.ids = set()
        self.faults = []
        self.unreachable = set()
        self.token_fetches = 0
        self.send_attempts = 0
        self.seq = 0

    def next_id(self, prefix):
        self.seq += 1
        return "%s%d%s" % (prefix, self.seq, os.urandom(6).hex())


def user_event(st, req):
    ev = {"senderPhoneNumber": req["phone"], "agentId": req.get("agent", st.args.agent),
          "sendTime": req.get("send_time") or now_rfc3339()}
    if req.get("event"):
        ev["eventType"] = req["event"]
        ev["eventId"] = req.get("event_id") or st.next_id("Ms")
        if req.get("message_id"):
            ev["messageId"] = req["message_id"]
        return ev
    ev["messageId"] = req.get("message_id") or st.next_id("MxR")
    if req.get("suggestion"):
        s = req["suggestion"]
        ev["suggestionResponse"] = {"postbackData": s.get("postbackData", ""),
                                    "text": s.get("text", ""), "type": s.get("type", "REPLY")}
    elif req.get("file_uri"):
        ev["userFile"] = {"payload": {"mimeType": "image/jpeg", "fileSizeBytes": 1024,
                                      "fileUri": req["file_uri"], "fileName": "photo.jpg"}}
    elif req.get("location"):
        ev["location"] = req["location"]
    else:
        ev["text"] = req.get("text", "")
    return ev


@simcore.routes("GET", "POST")
class Handler(simcore.JsonHandler):
    server_version = "rbm-sim/1"
    log_name = "rbm_sim"
    content_type = "application/json; charset=UTF-8"

    def control(self, method, path):
        st = self.server.st
        args = st.args
        if method == "GET" and path == "/_sim/sent":
            with st.lock:
                return self.reply(200, {"sent": st.sent})
        if method == "GET" and path == "/_sim/stats":
            with st.lock:
                return self.reply(200, {"token_fetches": st.token_fetches,
                                        "send_attempts": st.send_attempts})
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            return self.reply(400, {"error": "body is not JSON"})
        if path == "/_sim/callback":
            args.callback_base = req.get("base")
            return self.reply(200, {"ok": True})
        if path == "/_sim/reset":
            with st.lock:
                st.reset()
            return self.reply(200, {"ok": True})
        if path == "/_sim/fault":
            with st.lock:
                st.faults.append({"status": int(req.get("status", 503)), "error": req.get("error"),
                                  "count": int(req.get("count", 1))})
            return self.reply(200, {"ok": True})
        if path == "/_sim/revoke":
            with st.lock:
                st.tokens = set()
            return self.reply(200, {"ok": True})
        if path == "/_sim/unreachable":
            with st.lock:
                st.unreachable.add(req["phone"])
            return self.reply(200, {"ok": True})
        if path == "/_sim/inbound":
            if "phone" not in req:
                return self.reply(400, {"error": "phone is required"})
            with st.lock:
                ev = user_event(st, req)
                pubsub_id = st.next_id("")
            data = json.dumps(ev, separators=(",", ":")).encode()
            key = args.client_token + ("-forged" if req.get("forge") else "")
            sig = base64.b64encode(hmac.new(key.encode(), data, hashlib.sha512).digest()).decode()
            body = json.dumps({"message": {"data": base64.b64encode(data).decode(),
                                           "messageId": pubsub_id, "publishTime": now_rfc3339()},
                               "subscription": "projects/rbm-glow/subscriptions/rbm-agent-subscription"},
                              separators=(",", ":")).encode()
            out = {"event": ev, "body": body.decode(), "signature": sig}
            if req.get("deliver", True):
                if not args.callback_base:
                    return self.reply(409, {"error": "no --callback-base to deliver to"})
                url = args.callback_base.rstrip("/") + req.get("path", "/webhooks/rbm/main")
                out["status"], out["response"] = simcore.call_out(url, body, {
                    "Content-Type": "application/json", "X-Goog-Signature": sig})
            return self.reply(200, out)
        if path == "/_sim/setup":
            if not args.callback_base:
                return self.reply(409, {"error": "no --callback-base"})
            secret = str(int.from_bytes(os.urandom(5), "big"))
            url = args.callback_base.rstrip("/") + req.get("path", "/webhooks/rbm/main")
            confirmation = {"clientToken": req.get("token", args.client_token), "secret": secret}
            status, answer = simcore.call_out(url, json.dumps(confirmation).encode(),
                                              {"Content-Type": "application/json"})
            return self.reply(200, {"status": status, "body": answer,
                                    "confirmed": status == 200 and answer == secret})
        return self.reply(404, {"error": "no such control route"})

    def token(self):
        st = self.server.st
        if self.headers.get("Metadata-Flavor") != "Google":
            return self.reply(403, {"error": "Missing Metadata-Flavor:Google header."})
        with st.lock:
            st.token_fetches += 1
            tok = "ya29.sim-" + st.next_id("")
            st.tokens.add(tok)
        return self.reply(200, {"access_token": tok, "expires_in": 3599, "token_type": "Bearer"})

    def agent_message(self, phone, query):
        st = self.server.st
        raw = self.body()
        auth = self.headers.get("Authorization", "")
        with st.lock:
            st.send_attempts += 1
            if st.faults:
                f = st.faults[0]
                f["count"] -= 1
                if f["count"] <= 0:
                    st.faults.pop(0)
                err = f["error"] if f["error"] is not None else api_error(
                    f["status"], "The service is currently unavailable.")
                return self.reply(f["status"], err)
            if not auth.startswith("Bearer ") or auth[7:] not in st.tokens:
                return self.reply(401, api_error(401, "Request had invalid authentication credentials. "
                                                 "Expected OAuth 2 access token, login cookie or other "
                                                 "valid authentication credential."))
            mid = query.get("messageId", [None])[0]
            if not mid:
                return self.reply(400, api_error(400, "messageId is required"))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self.reply(400, api_error(400, "Invalid JSON payload received."))
            content = body.get("contentMessage") or {}
            kinds = [k for k in ("text", "fileName", "uploadedRbmFile", "richCard", "contentInfo") if k in content]
            if len(kinds) != 1:
                return self.reply(400, api_error(400, "contentMessage must have exactly one content"))
            if len(content.get("text", "")) > 3072:
                return self.reply(400, api_error(400, "text is longer than 3072 characters"))
            sugg = content.get("suggestions", [])
            if len(sugg) > 11 or any(len((s.get("reply") or s.get("action") or {}).get("text", "")) > 25 for s in sugg):
                return self.reply(400, api_error(400, "at most 11 suggestions of at most 25 characters"))
            if phone in st.unreachable:
                return self.reply(404, api_error(404, "Requested entity was not found."))
            agent = query.get("agentId", [st.args.agent.split("@")[0]])[0]
            if (agent, mid) in st.ids:
                return self.reply(409, api_error(409, "Message with id %s already exists" % mid))
            st.ids.add((agent, mid))
            st.sent.append({"phone": phone, "message_id": mid, "agent": agent,
                            "authorization": auth, "body": body})
        return self.reply(200, {"name": "phones/%s/agentMessages/%s" % (phone, mid),
                                "sendTime": now_rfc3339(), "contentMessage": content})

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        if u.path.startswith("/_sim/"):
            return self.control(method, u.path)
        if method == "GET" and u.path == "/token":
            return self.token()
        m = SEND_PATH.match(u.path)
        if method == "POST" and m:
            return self.agent_message(m.group(1), urllib.parse.parse_qs(u.query))
        self.body()
        return self.reply(404, api_error(404, "Method not found."))


def main():
    p = argparse.ArgumentParser()
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--callback-base")
    p.add_argument("--client-token", default="SJENCPGJESMGUFPY")
    p.add_argument("--access-token", default="ya29.static-test-token")
    p.add_argument("--agent", default="glow-spa@rbm.goog")
    args = p.parse_args()
    simcore.serve(Handler, args.port, args.ready_file,
                  lambda server: setattr(server, "st", State(args)))


if __name__ == "__main__":
    main()
