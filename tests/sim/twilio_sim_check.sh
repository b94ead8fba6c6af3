#!/bin/sh
# The Twilio simulator's own check: starts tests/sim/twilio_sim.py and a
# small receiver standing in for the daemon's public URL, then checks what
# the simulator posts there: an unanswered call (signed voice webhook, then
# the signed <Dial> action callback with DialCallStatus=no-answer at the URL
# the TwiML named), a signed SMS webhook (STOP opts the number out, so the
# next send to it is 21610), status callbacks queued -> sent -> delivered
# signed with the account's auth token, fault injection, and Basic auth.
# Signatures are verified with an HMAC written here, independently of the
# simulator's. Prints "N passed, M failed".
src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 - "$src/tests/sim/twilio_sim.py" <<'EOF'
import base64, hashlib, hmac, json, os, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIM = sys.argv[1]
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "simulated-auth-token-0123456789"
got = []
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)


def valid(url, pairs, sig):
    data = url + "".join(k + v for k, v in sorted(pairs))
    mac = hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(base64.b64encode(mac).decode(), sig or "")


class Receiver(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
        url = "http://127.0.0.1:%d%s" % (self.server.server_address[1], self.path)
        got.append({"path": self.path, "form": dict(pairs),
                    "signed": valid(url, pairs, self.headers.get("X-Twilio-Signature")),
                    "idem": self.headers.get("I-Twilio-Idempotency-Token")})
        if self.path == "/webhooks/twilio/voice":
            out = ('<?xml version="1.0" encoding="UTF-8"?><Response><Dial timeout="20" '
                   'action="http://127.0.0.1:%d/webhooks/twilio/dial?a=1&amp;b=2" method="POST">'
                   '<Number>+14155559999</Number></Dial></Response>' % self.server.server_address[1])
        else:
            out = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
        b = out.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)


rx = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=rx.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % rx.server_address[1]
d = tempfile.mkdtemp()
ready = os.path.join(d, "ready")
p = subprocess.Popen([sys.executable, SIM, "--port", "0", "--ready-file", ready,
                      "--callback-base", base], stderr=open(os.path.join(d, "log"), "w"))
for _ in range(200):
    if os.path.exists(ready):
        break
    time.sleep(0.05)
sim = "http://127.0.0.1:%d" % json.load(open(ready))["port"]


def call(method, path, obj=None, form=None, auth=True):
    data = json.dumps(obj).encode() if obj is not None else (
        urllib.parse.urlencode(form).encode() if form is not None else None)
    h = {"Content-Type": "application/json" if obj is not None else
         "application/x-www-form-urlencoded"}
    if auth:
        h["Authorization"] = "Basic " + base64.b64encode(
            (ACCOUNT + ":" + (TOKEN if auth is True else auth)).encode()).decode()
    req = urllib.request.Request(sim + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


try:
    st, r = call("POST", "/_sim/call", {"from": "+14155550123", "to": "+14155550100"})
    check(st == 200 and r["voice"]["status"] == 200, "the call reached the voice URL")
    voice = [g for g in got if g["path"] == "/webhooks/twilio/voice"]
    dial = [g for g in got if g["path"].startswith("/webhooks/twilio/dial")]
    check(len(voice) == 1 and voice[0]["signed"], "the voice webhook is signed")
    check(voice[0]["form"].get("To") == "+14155550100" and voice[0]["form"].get("CallSid", "").startswith("CA"),
          "the voice webhook carries To and CallSid")
    check(len(dial) == 1 and dial[0]["path"] == "/webhooks/twilio/dial?a=1&b=2",
          "the action callback went to the TwiML's action URL (entities decoded)")
    check(dial and dial[0]["signed"], "the action callback is signed over its URL with the query")
    check(dial and dial[0]["form"].get("DialCallStatus") == "no-answer" and
          dial[0]["form"].get("CallSid") == voice[0]["form"].get("CallSid"),
          "no-answer for the same CallSid")
    check(voice[0]["idem"] and dial[0]["idem"] and voice[0]["idem"] != dial[0]["idem"],
          "each request has its own I-Twilio-Idempotency-Token")

    got.clear()
    st, r = call("POST", "/_sim/sms", {"from": "+14155550123", "to": "+14155550100", "body": "STOP"})
    check(st == 200 and got and got[0]["signed"] and got[0]["form"].get("OptOutType") == "STOP",
          "a signed SMS webhook; STOP carries OptOutType")
    st, r = call("POST", "/_sim/sms", {"from": "+1", "to": "+2", "body": "x", "bad_signature": True})
    check(not got[-1]["signed"], "bad_signature forges the signature")

    st, r = call("POST", "/2010-04-01/Accounts/%s/Messages.json" % ACCOUNT,
                 form=[("To", "+14155550123"), ("From", "+14155550100"), ("Body", "hi")])
    check(st == 400 and r.get("code") == 21610 and r.get("more_info", "").endswith("/21610"),
          "a send to the opted-out number is 21610")
    st, r = call("POST", "/2010-04-01/Accounts/%s/Messages.json" % ACCOUNT,
                 form=[("To", "+14155550124")], auth="wrong")
    check(st == 401 and r.get("code") == 20003, "a wrong token is 20003")

    got.clear()
    st, r = call("POST", "/2010-04-01/Accounts/%s/Messages.json" % ACCOUNT,
                 form=[("To", "+14155550124"), ("From", "+14155550100"), ("Body", "hi"),
                       ("StatusCallback", base + "/webhooks/twilio/status")])
    check(st == 201 and r.get("status") == "queued" and r.get("sid", "").startswith("SM"),
          "a valid send is 201 queued")
    for _ in range(100):
        if len(got) >= 3:
            break
        time.sleep(0.05)
    statuses = [g["form"].get("MessageStatus") for g in got]
    check(statuses == ["queued", "sent", "delivered"],
          "status callbacks queued, sent, delivered: %s" % statuses)
    check(all(g["signed"] and g["form"].get("MessageSid") == r.get("sid") for g in got),
          "status callbacks are signed and name the message")

    call("POST", "/_sim/fault", {"code": 20429, "status": 429, "count": 1})
    st, r = call("POST", "/2010-04-01/Accounts/%s/Messages.json" % ACCOUNT,
                 form=[("To", "+14155550125"), ("From", "+14155550100"), ("Body", "x")])
    check(st == 429 and r.get("code") == 20429, "an injected 20429")
    st, r = call("POST", "/2010-04-01/Accounts/%s/Messages.json" % ACCOUNT,
                 form=[("To", "+14155550125"), ("From", "+14155550100"), ("Body", "x")])
    check(st == 201, "the fault lasted one request")
    st, r = call("GET", "/_sim/requests")
    check(len(r["requests"]) == 5, "every Messages API request is listed (%d)" % len(r["requests"]))
finally:
    p.kill()
    p.wait()
    rx.shutdown()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
