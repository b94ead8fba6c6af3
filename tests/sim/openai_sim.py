#!/usr/bin/env python3
"""OpenAI-compatible Chat Completions simulator for Bookwell's tests
(Python 3 standard library only).

Serves POST /v1/chat/completions in the wire format of OpenAI's Chat
Completions API (also what Azure OpenAI, vLLM, llama.cpp server and Ollama
serve): the request {"model", "messages", "tools": [{"type": "function",
"function": {"name", "description", "parameters"}}], "max_tokens",
"temperature"}; the answer {"id", "object": "chat.completion", "created",
"model", "choices": [{"index": 0, "message": {"role": "assistant",
"content", "tool_calls": [{"id", "type": "function", "function": {"name",
"arguments": "<JSON text>"}}]}, "finish_reason"}], "usage":
{"prompt_tokens", "completion_tokens", "total_tokens"}}. Errors use
{"error": {"message", "type", "code"}}. Requests need
"Authorization: Bearer <key>" (--api-key) else 401.

What each request answers is scripted by the test, in order (a queue):
  POST /_sim/script   {"replies": [step, ...]} appends steps, each one of
      {"content": "text"}                      a text reply
      {"tool_calls": [{"name", "arguments": {..} | "raw JSON text"}],
       "content"?: "text"}                     tool calls (raw text is sent as is:
                                               malformed JSON is scripted so)
      {"status": 429 | 500 | 503, "retry_after"?: seconds}   an error answer
      {"delay_ms": N, ...}                     waits before answering (a timeout)
      {"raw_body": "text"}                     a 200 whose body is this text
  With the queue empty, a request answers a plain text reply "Thanks!".
  GET  /_sim/requests  {"requests": [each request body as received]}
  POST /_sim/reset     forget the script and the requests
Every reply reports usage: prompt_tokens is the request's byte length / 4,
completion_tokens the reply's / 4 (at least 1).
"""

import argparse
import json
import threading
import time

import simcore

LOCK = threading.Lock()
SCRIPT = []
REQUESTS = []
ARGS = None
SEQ = [0]


def next_id(prefix):
    with LOCK:
        SEQ[0] += 1
        return "%s_%06d" % (prefix, SEQ[0])


def error_body(message, etype, code):
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


def completion(step, model, prompt_len):
    message = {"role": "assistant", "content": step.get("content")}
    finish = "stop"
    calls = []
    for call in step.get("tool_calls", []):
        args = call.get("arguments", {})
        calls.append({"id": next_id("call"), "type": "function",
                      "function": {"name": call["name"],
                                   "arguments": args if isinstance(args, str) else json.dumps(args)}})
    if calls:
        message["tool_calls"] = calls
        finish = "tool_calls"
    out_len = len(json.dumps(message))
    return {"id": next_id("chatcmpl"), "object": "chat.completion", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_sim",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
            "usage": {"prompt_tokens": max(1, prompt_len // 4),
                      "completion_tokens": max(1, out_len // 4),
                      "total_tokens": max(1, prompt_len // 4) + max(1, out_len // 4)}}


class Handler(simcore.JsonHandler):
    content_type = "application/json"

    def do_GET(self):
        if self.path == "/_sim/requests":
            with LOCK:
                return self.reply(200, {"requests": list(REQUESTS)})
        return self.reply(404, error_body("not found", "invalid_request_error", None))

    def do_POST(self):
        raw = self.body()
        if self.path == "/_sim/reset":
            with LOCK:
                SCRIPT.clear()
                REQUESTS.clear()
            return self.reply(200, {"ok": True})
        if self.path == "/_sim/script":
            try:
                replies = json.loads(raw or b"{}")["replies"]
            except (ValueError, KeyError):
                return self.reply(400, {"error": "{\"replies\": [...]} expected"})
            with LOCK:
                SCRIPT.extend(replies)
            return self.reply(200, {"queued": len(SCRIPT)})
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            return self.reply(404, error_body("Unknown request URL", "invalid_request_error",
                                              "unknown_url"))
        if self.headers.get("Authorization") != "Bearer " + ARGS.api_key:
            return self.reply(401, error_body("Incorrect API key provided",
                                              "invalid_request_error", "invalid_api_key"))
        try:
            req = json.loads(raw)
            if not isinstance(req.get("messages"), list) or not req.get("model"):
                raise ValueError
        except ValueError:
            return self.reply(400, error_body("'messages' and 'model' are required",
                                              "invalid_request_error", None))
        with LOCK:
            REQUESTS.append(req)
            step = SCRIPT.pop(0) if SCRIPT else {"content": "Thanks!"}
        if step.get("delay_ms"):
            time.sleep(step["delay_ms"] / 1000.0)
        if step.get("status"):
            status = int(step["status"])
            headers = {"Retry-After": str(step["retry_after"])} if "retry_after" in step else {}
            kind = "rate_limit_exceeded" if status == 429 else "server_error"
            return self.reply(status, error_body("simulated %d" % status, kind, kind), headers)
        if "raw_body" in step:
            return self.send_bytes(200, step["raw_body"].encode(), self.content_type)
        return self.reply(200, completion(step, req["model"], len(raw)))


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    simcore.server_arguments(p)
    p.add_argument("--api-key", default="sk-sim-test-key")
    ARGS = p.parse_args()
    simcore.serve(Handler, ARGS.port, ARGS.ready_file)


if __name__ == "__main__":
    main()
