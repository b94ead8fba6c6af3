#!/usr/bin/env python3
"""Square API simulator for Bookwell's tests (Python 3 standard library only).

Serves the parts of Square's public API that payment.square uses, as Square
documents them:
  POST   /v2/online-checkout/payment-links        CreatePaymentLink (quick_pay)
  GET    /v2/online-checkout/payment-links/{id}   RetrievePaymentLink
  DELETE /v2/online-checkout/payment-links/{id}   DeletePaymentLink
  POST   /v2/refunds                              RefundPayment
  GET    /v2/payments/{id}                        GetPayment
and a hosted checkout page at /checkout/{link_id} (GET shows it, POST pays).
Requests need "Authorization: Bearer <token>" (--access-token) and a
Square-Version header; errors use Square's body
{"errors":[{"category","code","detail"}]}. idempotency_key replays return
the first answer; the same key with a different body is 400
IDEMPOTENCY_KEY_REUSED.

Paying a link (the page, or the control API) creates a COMPLETED payment
for the link's order and posts signed notifications (payment.created, then
payment.updated) to --notification-url: x-square-hmacsha256-signature is
base64(HMAC-SHA256(signature key, notification URL + body)).

Control API (no auth):
  POST /_sim/reset                       forget everything
  GET  /_sim/state                       links (a list, each with amount_cents, currency and
                                         order_state), orders, payments, refunds, requests,
                                         webhook deliveries
  POST /_sim/pay?link=ID[&duplicate=1][&order=reversed][&status=COMPLETED|FAILED]
                                         pay a link; duplicate re-sends each notification;
                                         reversed sends payment.updated before payment.created
  POST /_sim/fail?status=503&count=N[&code=...]  the next N API requests answer status
  POST /_sim/config?notification_url=...  where notifications go
  POST /_sim/webhooks/resend?event_id=... re-sends a delivered notification
"""

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import simcore

LOCK = threading.Lock()
STATE = {}
ARGS = None


def now_rfc3339():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if not ARGS.fixed_time \
        else ARGS.fixed_time


def new_id(prefix, n=16):
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def reset():
    with LOCK:
        STATE.clear()
        STATE.update({
            "links": {},          # id -> payment_link
            "orders": {},         # order id -> {"id","state","location_id","amount","currency","link_id","note"}
            "payments": {},       # id -> payment
            "refunds": {},        # id -> refund
            "idempotency": {},    # (endpoint, key) -> (request body, status, response)
            "requests": [],       # every API request: method, path, headers of interest, body
            "deliveries": [],     # every notification posted: event, status
            "faults": [],         # [status, code] for the next requests
            "notification_url": ARGS.notification_url,
        })


def error_body(category, code, detail, field=None):
    e = {"category": category, "code": code, "detail": detail}
    if field:
        e["field"] = field
    return {"errors": [e]}


def sign(url, body):
    mac = hmac.new(ARGS.signature_key.encode(), (url + body).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def deliver(event):
    """Posts one notification, signed, to the notification URL."""
    url = STATE.get("notification_url")
    body = json.dumps(event, separators=(",", ":"))
    status = None
    if url:
        req = urllib.request.Request(url, data=body.encode(), method="POST", headers={
            "Content-Type": "application/json",
            "User-Agent": "Square Connect v2",
            "x-square-hmacsha256-signature": sign(url, body),
            "square-initial-delivery-timestamp": now_rfc3339(),
            "square-retry-number": "0",
        })
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception as e:  # noqa: BLE001 - the receiver may be down
            status = "error: %s" % e.__class__.__name__
    with LOCK:
        STATE["deliveries"].append({"event_id": event["event_id"], "type": event["type"],
                                    "status": status, "body": body})
    return status


def event_for(kind, obj_name, obj):
    return {
        "merchant_id": ARGS.merchant_id,
        "type": kind,
        "event_id": "%s-%s" % (kind.replace(".", "-"), secrets.token_hex(8)),
        "created_at": now_rfc3339(),
        "data": {"type": obj_name, "id": obj["id"], "object": {obj_name: obj}},
    }


def pay_link(link_id, status="COMPLETED", duplicate=False, reversed_order=False):
    with LOCK:
        link = STATE["links"].get(link_id)
        if not link:
            return 404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND", "link not found")
        order = STATE["orders"][link["order_id"]]
        if order["state"] == "OPEN" and status == "COMPLETED":
            return 409, error_body("INVALID_REQUEST_ERROR", "CONFLICT", "order already paid")
        ts = now_rfc3339()
        payment = {
            "id": new_id("PAY", 22),
            "created_at": ts,
            "updated_at": ts,
            "amount_money": {"amount": order["amount"], "currency": order["currency"]},
            "total_money": {"amount": order["amount"], "currency": order["currency"]},
            "status": status,
            "source_type": "CARD",
            "location_id": order["location_id"],
            "order_id": order["id"],
            "note": order.get("note", ""),
            "receipt_url": "%s/receipt/%s" % (ARGS.public_base, order["id"]),
        }
        STATE["payments"][payment["id"]] = payment
        if status == "COMPLETED":
            order["state"] = "OPEN"
    created = dict(payment, status="APPROVED" if status == "COMPLETED" else status)
    events = [event_for("payment.created", "payment", created),
              event_for("payment.updated", "payment", payment)]
    if reversed_order:
        events.reverse()
    statuses = []
    for ev in events:
        statuses.append(deliver(ev))
        if duplicate:
            statuses.append(deliver(ev))
    return 200, {"payment": payment, "deliveries": statuses}


@simcore.routes("GET", "POST", "DELETE", "PUT")
class Handler(simcore.JsonHandler):
    server_version = "SquareSim/1.0"
    log_name = "square_sim"

    def reply(self, status, obj, ctype="application/json", headers=None):
        """obj: a JSON value, or text sent as it is (as ctype)."""
        data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
        self.send_bytes(status, data, ctype, headers)

    def route(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query))
        raw = self.body()
        path = u.path
        if path.startswith("/_sim/"):
            return self.control(method, path, q)
        if path.startswith("/checkout/"):
            return self.checkout(method, path[len("/checkout/"):])
        if path.startswith("/v2/"):
            return self.api(method, path, raw)
        self.reply(404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND", "no such path"))

    # -- hosted checkout page -------------------------------------------------

    def checkout(self, method, link_id):
        with LOCK:
            link = STATE["links"].get(link_id)
            order = STATE["orders"].get(link["order_id"]) if link else None
        if not link:
            return self.reply(404, "<h1>This link is no longer available</h1>", "text/html")
        if method == "POST":
            status, res = pay_link(link_id)
            if status != 200:
                return self.reply(status, "<h1>Payment failed</h1>", "text/html")
            redirect = link.get("checkout_options", {}).get("redirect_url")
            if redirect:
                self.send_response(303)
                self.send_header("Location", redirect)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            return self.reply(200, "<h1>Thank you</h1>", "text/html")
        amount = "%d.%02d" % divmod(order["amount"], 100)
        page = ("<!doctype html><title>Checkout</title><h1>%s</h1><p>%s %s</p>"
                "<form method=post><label>Card number <input name=card></label>"
                "<button>Pay</button></form>" % (order["name"], amount, order["currency"]))
        return self.reply(200, page, "text/html")

    # -- control ------------------------------------------------------------

    def control(self, method, path, q):
        if path == "/_sim/reset":
            reset()
            return self.reply(200, {"ok": True})
        if path == "/_sim/state":
            with LOCK:
                snap = {k: v for k, v in STATE.items() if k not in ("idempotency", "links")}
                # Links as a list, each with its order's amount and state.
                snap["links"] = [dict(link, amount_cents=STATE["orders"][link["order_id"]]["amount"],
                                      currency=STATE["orders"][link["order_id"]]["currency"],
                                      order_state=STATE["orders"][link["order_id"]]["state"])
                                 for link in STATE["links"].values()]
                snap = json.loads(json.dumps(snap))
            return self.reply(200, snap)
        if path == "/_sim/config":
            with LOCK:
                if "notification_url" in q:
                    STATE["notification_url"] = q["notification_url"]
            return self.reply(200, {"ok": True})
        if path == "/_sim/fail":
            status = int(q.get("status", "503"))
            count = int(q.get("count", "1"))
            with LOCK:
                STATE["faults"].extend([[status, q.get("code")]] * count)
            return self.reply(200, {"ok": True})
        if path == "/_sim/pay":
            status, res = pay_link(q.get("link", ""), q.get("status", "COMPLETED"),
                                   q.get("duplicate") == "1", q.get("order") == "reversed")
            return self.reply(status, res)
        if path == "/_sim/webhooks/resend":
            with LOCK:
                found = [d for d in STATE["deliveries"] if d["event_id"] == q.get("event_id")]
            if not found:
                return self.reply(404, {"error": "no such event"})
            return self.reply(200, {"status": deliver(json.loads(found[0]["body"]))})
        return self.reply(404, {"error": "unknown control path"})

    # -- the API ------------------------------------------------------------

    def api(self, method, path, raw):
        with LOCK:
            STATE["requests"].append({
                "method": method, "path": path,
                "square_version": self.headers.get("Square-Version"),
                "body": raw.decode("utf-8", "replace"),
            })
            fault = STATE["faults"].pop(0) if STATE["faults"] else None
        if fault:
            st, code = fault
            cat = "RATE_LIMIT_ERROR" if st == 429 else "API_ERROR"
            hdrs = {"Retry-After": "1"} if st == 429 else None
            return self.reply(st, error_body(cat, code or ("RATE_LIMITED" if st == 429 else
                                                            "SERVICE_UNAVAILABLE"),
                                             "injected fault"), headers=hdrs)
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + ARGS.access_token:
            return self.reply(401, error_body("AUTHENTICATION_ERROR", "UNAUTHORIZED",
                                              "This request could not be authorized."))
        if not self.headers.get("Square-Version"):
            return self.reply(400, error_body("INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER",
                                              "Square-Version header required"))
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return self.reply(400, error_body("INVALID_REQUEST_ERROR", "INVALID_JSON",
                                                  "the body is not JSON"))
        links = "/v2/online-checkout/payment-links"
        if path == links and method == "POST":
            return self.idempotent("link", body, self.create_link)
        if path.startswith(links + "/"):
            link_id = path[len(links) + 1:]
            if method == "GET":
                with LOCK:
                    link = STATE["links"].get(link_id)
                if not link:
                    return self.reply(404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND",
                                                      "payment link not found"))
                return self.reply(200, {"payment_link": link})
            if method == "DELETE":
                with LOCK:
                    link = STATE["links"].pop(link_id, None)
                    if link:
                        STATE["orders"][link["order_id"]]["state"] = "CANCELED"
                if not link:
                    return self.reply(404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND",
                                                      "payment link not found"))
                return self.reply(200, {"id": link_id, "cancelled_order_id": link["order_id"]})
        if path == "/v2/refunds" and method == "POST":
            return self.idempotent("refund", body, self.refund)
        if path.startswith("/v2/payments/") and method == "GET":
            with LOCK:
                p = STATE["payments"].get(path[len("/v2/payments/"):])
            if not p:
                return self.reply(404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND",
                                                  "payment not found"))
            return self.reply(200, {"payment": p})
        return self.reply(404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND", "no such endpoint"))

    def idempotent(self, endpoint, body, fn):
        if not isinstance(body, dict):
            return self.reply(400, error_body("INVALID_REQUEST_ERROR", "INVALID_REQUEST",
                                              "a JSON object is required"))
        key = body.get("idempotency_key")
        if not key:
            return self.reply(400, error_body("INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER",
                                              "idempotency_key is required", "idempotency_key"))
        with LOCK:
            seen = STATE["idempotency"].get((endpoint, key))
        if seen:
            if seen[0] != body:
                return self.reply(400, error_body("INVALID_REQUEST_ERROR", "IDEMPOTENCY_KEY_REUSED",
                                                  "the key was used with another request"))
            return self.reply(seen[1], seen[2])
        status, res = fn(body)
        if status < 500:
            with LOCK:
                STATE["idempotency"][(endpoint, key)] = (body, status, res)
        return self.reply(status, res)

    def create_link(self, body):
        qp = body.get("quick_pay")
        if not isinstance(qp, dict):
            return 400, error_body("INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER",
                                   "quick_pay or order is required", "quick_pay")
        money = qp.get("price_money") or {}
        if not qp.get("name") or not qp.get("location_id"):
            return 400, error_body("INVALID_REQUEST_ERROR", "MISSING_REQUIRED_PARAMETER",
                                   "quick_pay.name and location_id are required")
        if qp.get("location_id") != ARGS.location_id:
            return 400, error_body("INVALID_REQUEST_ERROR", "INVALID_VALUE",
                                   "unknown location", "quick_pay.location_id")
        amount = money.get("amount")
        if not isinstance(amount, int) or amount < 1 or not isinstance(money.get("currency"), str):
            return 400, error_body("INVALID_REQUEST_ERROR", "INVALID_VALUE",
                                   "price_money must be a positive amount", "quick_pay.price_money")
        link_id = new_id("", 16)
        order_id = new_id("ORD", 24)
        ts = now_rfc3339()
        link = {
            "id": link_id,
            "version": 1,
            "description": body.get("description", ""),
            "order_id": order_id,
            "checkout_options": body.get("checkout_options", {}),
            "url": "%s/checkout/%s" % (ARGS.public_base, link_id),
            "long_url": "%s/checkout/%s?long=1" % (ARGS.public_base, link_id),
            "created_at": ts,
        }
        if body.get("payment_note"):
            link["payment_note"] = body["payment_note"]
        if body.get("pre_populated_data"):
            link["pre_populated_data"] = body["pre_populated_data"]
        order = {"id": order_id, "state": "DRAFT", "location_id": qp["location_id"],
                 "amount": amount, "currency": money["currency"], "name": qp["name"],
                 "link_id": link_id, "note": body.get("payment_note", "")}
        with LOCK:
            STATE["links"][link_id] = link
            STATE["orders"][order_id] = order
        related = {"orders": [{"id": order_id, "location_id": qp["location_id"], "state": "DRAFT",
                               "line_items": [{"name": qp["name"], "quantity": "1",
                                               "base_price_money": money}]}]}
        return 200, {"payment_link": link, "related_resources": related}

    def refund(self, body):
        pid = body.get("payment_id")
        money = body.get("amount_money") or {}
        with LOCK:
            payment = STATE["payments"].get(pid)
            if not payment or payment["status"] != "COMPLETED":
                return 404, error_body("INVALID_REQUEST_ERROR", "NOT_FOUND",
                                       "no completed payment with that id")
            refunded = sum(r["amount_money"]["amount"] for r in STATE["refunds"].values()
                           if r["payment_id"] == pid)
            amount = money.get("amount")
            if not isinstance(amount, int) or amount < 1 or \
                    amount + refunded > payment["amount_money"]["amount"]:
                return 400, error_body("INVALID_REQUEST_ERROR", "REFUND_AMOUNT_INVALID",
                                       "the refund exceeds the payment")
            ts = now_rfc3339()
            refund = {"id": new_id("REF", 22), "status": "PENDING", "amount_money": money,
                      "payment_id": pid, "order_id": payment["order_id"],
                      "location_id": payment["location_id"], "reason": body.get("reason", ""),
                      "created_at": ts, "updated_at": ts}
            STATE["refunds"][refund["id"]] = refund
        # The refund completes at once; notifications follow the answer.
        answer = dict(refund)
        done = dict(refund, status="COMPLETED")
        with LOCK:
            STATE["refunds"][refund["id"]] = done

        def notify():
            deliver(event_for("refund.created", "refund", answer))
            deliver(event_for("refund.updated", "refund", done))
        threading.Thread(target=notify, daemon=True).start()
        return 200, {"refund": answer}


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p, clinic=True)
    p.add_argument("--callback-base", help="the daemon's public base URL (notifications go to "
                                           "<base>/webhooks/square/payment)")
    p.add_argument("--notification-url")
    p.add_argument("--access-token", default="sq-test-token")
    p.add_argument("--signature-key", default="sq-test-signature-key")
    p.add_argument("--merchant-id", default="MLSIMMERCHANT1")
    p.add_argument("--location-id", default="LSIMLOCATION1")
    p.add_argument("--fixed-time")
    ARGS = p.parse_args()
    if not ARGS.notification_url and ARGS.callback_base:
        ARGS.notification_url = ARGS.callback_base.rstrip("/") + "/webhooks/square/payment"
    simcore.serve(Handler, ARGS.port, ARGS.ready_file, started)


def started(server):
    ARGS.public_base = "http://127.0.0.1:%d" % server.server_address[1]
    reset()


if __name__ == "__main__":
    main()
