#!/usr/bin/env python3
"""Missed-call load for bench/missed_call_bench.sh (standard library only).

Posts Twilio voice webhooks for a clinic without a forwarding number (so the
voice callback itself is the missed call) at RATE calls per second for
SECONDS, each from a new caller, signed with X-Twilio-Signature for the
public URL the daemon's binding names and delivered to the daemon's own
address, as Twilio would through a proxy. Calls are started on schedule
(call i at start + i/RATE) by a pool of threads, so a slow answer does not
slow the offered load. Then reads the Twilio simulator's messages and
matches each caller's text-back: latency is from the moment the voice
webhook request was sent to the moment the simulator received the Messages
API request (received_ms; both wall-clock on this machine).

Prints one JSON line with the counts and p50/p90/p99/max in ms; exits 1 when
a call was refused or got no text-back.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import secrets
import sys
import threading
import time
import urllib.parse
import urllib.request


def signature(token, url, pairs):
    data = url + "".join(k + v for k, v in sorted(pairs))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--daemon-port", type=int, required=True)
    ap.add_argument("--sim", required=True, help="the Twilio simulator's base URL")
    ap.add_argument("--public-base", required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--to", required=True, help="the clinic's number")
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the last texts")
    a = ap.parse_args()

    total = int(a.rate * a.seconds)
    path = "/webhooks/twilio/voice"
    url = a.public_base.rstrip("/") + path
    # Callers +1 (212..) 2xx-xxxx: distinct, valid North American numbers.
    callers = ["+1212%07d" % (2000000 + i) for i in range(total)]
    sent_ms = [None] * total
    answers = [None] * total
    lock = threading.Lock()
    nxt = [0]
    start = time.time() + 0.5

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", a.daemon_port, timeout=30)
        while True:
            with lock:
                i = nxt[0]
                if i >= total:
                    break
                nxt[0] += 1
            due = start + i / a.rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            pairs = [("AccountSid", a.account), ("ApiVersion", "2010-04-01"),
                     ("CallSid", "CA" + secrets.token_hex(16)), ("CallStatus", "ringing"),
                     ("Called", a.to), ("Caller", callers[i]), ("Direction", "inbound"),
                     ("From", callers[i]), ("To", a.to)]
            body = urllib.parse.urlencode(pairs)
            headers = {"Content-Type": "application/x-www-form-urlencoded",
                       "X-Twilio-Signature": signature(a.token, url, pairs),
                       "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
            sent_ms[i] = time.time() * 1000.0
            for attempt in range(2):
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    answers[i] = r.status
                    break
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", a.daemon_port, timeout=30)
                    answers[i] = 0
        conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    offered_s = (max(s for s in sent_ms if s) - min(s for s in sent_ms if s)) / 1000.0

    want = {c: i for i, c in enumerate(callers)}
    got = {}
    deadline = time.time() + a.wait
    while True:
        with urllib.request.urlopen(a.sim.rstrip("/") + "/_sim/messages", timeout=30) as r:
            msgs = json.load(r)["messages"]
        for m in msgs:
            i = want.get(m.get("to"))
            if i is not None and i not in got:
                got[i] = m["received_ms"]
        if len(got) >= total or time.time() > deadline:
            break
        time.sleep(0.5)

    lat = sorted(got[i] - sent_ms[i] for i in got)
    refused = sum(1 for s in answers if s != 200)
    dup = len(msgs) - len(got)
    out = {
        "calls": total, "offered_per_s": round(total / offered_s, 1) if offered_s else None,
        "answered_200": total - refused, "texts": len(got), "extra_texts": dup,
        "p50_ms": round(pct(lat, 50), 1) if lat else None,
        "p90_ms": round(pct(lat, 90), 1) if lat else None,
        "p99_ms": round(pct(lat, 99), 1) if lat else None,
        "max_ms": round(lat[-1], 1) if lat else None,
    }
    print(json.dumps(out))
    return 0 if refused == 0 and len(got) == total and dup == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
