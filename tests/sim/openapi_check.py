#!/usr/bin/env python3
"""Checks requests our Twilio plugin made against Twilio's OpenAPI files.

Reads the requests the Twilio simulator captured (GET /_sim/requests of a
running simulator with --sim URL, or a JSON file with the same shape:
{"requests":[{"method","path","query","content_type","form":[[k,v],...]}]})
and validates each against the operation of the OpenAPI descriptions in
--specs (twilio_api_v2010.yaml, twilio_messaging_v1.yaml): the path exists,
the method is one of its operations, path and query parameters match
their schema,
the body is form-encoded, every required field is present, no field is
undeclared, each value has its declared type (string, integer, number,
boolean, array of repeated keys), pattern, length and enum (with $ref to
components/schemas resolved), and the x-twilio "conditional" groups (one
of From/MessagingServiceSid, one of Body/MediaUrl/ContentSid) are met.

The descriptions are YAML and the standard library has no YAML parser, so
this file carries a small one for the block-style subset these generated
files use (mappings, sequences, plain and quoted scalars that may continue
on more-indented lines, flow lists); it parses only the blocks it needs.

Prints one line per problem and "checked N requests, M problems"; exits 1
when there is a problem or no request to check.
"""

import argparse
import json
import os
import re
import sys
import urllib.parse
import urllib.request

KEY_RE = re.compile(r"""^('(?:[^']|'')*'|"[^"]*"|[^'"\s-][^:]*?|-[^\s][^:]*?):(?:\s+(.*))?$""")


def scalar(text):
    t = text.strip()
    if t.startswith("'") and t.endswith("'") and len(t) >= 2:
        return t[1:-1].replace("''", "'")
    if t.startswith('"') and t.endswith('"') and len(t) >= 2:
        return bytes(t[1:-1], "utf-8").decode("unicode_escape")
    if t.startswith("[") and t.endswith("]"):
        inner = t[1:-1].strip()
        return [scalar(x) for x in inner.split(",")] if inner else []
    if t == "{}":
        return {}
    if t in ("true", "false"):
        return t == "true"
    if t in ("null", "~"):
        return None
    if re.match(r"^-?[0-9]+$", t):
        return int(t)
    return t


class Yaml:
    """Block-style YAML subset over a list of (indent, text) lines."""

    def __init__(self, raw_lines):
        self.lines = []
        for ln in raw_lines:
            s = ln.rstrip("\n")
            if not s.strip() or s.lstrip().startswith("#"):
                continue
            self.lines.append([len(s) - len(s.lstrip(" ")), s.strip()])

    def parse(self):
        if not self.lines:
            return None
        v, _ = self.block(0, self.lines[0][0])
        return v

    def continuation(self, i, indent, first):
        """A scalar starting with first, continued on lines indented past indent."""
        parts = [first]
        while i < len(self.lines) and self.lines[i][0] > indent:
            parts.append(self.lines[i][1])
            i += 1
        if first in ("|", ">", "|-", ">-"):
            return "\n".join(parts[1:]), i
        return scalar(" ".join(parts)), i

    def block(self, i, indent):
        if self.lines[i][1].startswith("- ") or self.lines[i][1] == "-":
            return self.seq(i, indent)
        return self.mapping(i, indent)

    def mapping(self, i, indent):
        out = {}
        while i < len(self.lines) and self.lines[i][0] == indent:
            text = self.lines[i][1]
            if text.startswith("- "):
                break
            m = KEY_RE.match(text)
            if not m:
                raise ValueError("cannot read line %r" % text)
            key = scalar(m.group(1))
            rest = m.group(2)
            i += 1
            if rest is None or rest == "":
                if i < len(self.lines) and self.lines[i][0] > indent:
                    out[key], i = self.block(i, self.lines[i][0])
                elif i < len(self.lines) and self.lines[i][0] == indent and \
                        self.lines[i][1].startswith("- "):
                    out[key], i = self.seq(i, indent)
                else:
                    out[key] = None
            else:
                out[key], i = self.continuation(i, indent, rest)
        return out, i

    def seq(self, i, indent):
        out = []
        while i < len(self.lines) and self.lines[i][0] == indent and \
                (self.lines[i][1].startswith("- ") or self.lines[i][1] == "-"):
            item = self.lines[i][1][2:].strip()
            if not item:
                i += 1
                v, i = self.block(i, self.lines[i][0])
                out.append(v)
                continue
            if KEY_RE.match(item) and not item.startswith(("'", '"')) or \
                    (KEY_RE.match(item) and re.match(r"""^('[^']*'|"[^"]*"):""", item)):
                self.lines[i] = [indent + 2, item]
                v, i = self.mapping(i, indent + 2)
                out.append(v)
            else:
                v, i = self.continuation(i + 1, indent, item)
                out.append(v)
        return out, i


class Spec:
    """One OpenAPI file, parsed lazily block by block."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.raw = f.readlines()
        self.paths = {}
        for n, ln in enumerate(self.raw):
            m = re.match(r"^  (/\S*):\s*$", ln)
            if m:
                self.paths[m.group(1)] = n
        self.schema_cache = {}

    def block_at(self, start, indent):
        end = start + 1
        while end < len(self.raw):
            ln = self.raw[end]
            if ln.strip() and not ln.lstrip().startswith("#") and \
                    len(ln) - len(ln.lstrip(" ")) <= indent:
                break
            end += 1
        return Yaml(self.raw[start + 1:end]).parse()

    def path_item(self, template):
        return self.block_at(self.paths[template], 2)

    def component(self, ref):
        m = re.match(r"^#/components/schemas/(.+)$", ref)
        if not m:
            return None
        name = m.group(1)
        if name in self.schema_cache:
            return self.schema_cache[name]
        in_schemas = False
        for n, ln in enumerate(self.raw):
            if ln.rstrip() == "  schemas:":
                in_schemas = True
                continue
            if in_schemas and re.match(r"^  \S", ln):
                break
            if in_schemas and ln.rstrip() == "    %s:" % name:
                self.schema_cache[name] = self.block_at(n, 4)
                return self.schema_cache[name]
        return None


def template_regex(t):
    return re.compile("^" + re.sub(r"\\\{[A-Za-z0-9_]+\\\}", "([^/]+)", re.escape(t)) + "$")


def check_value(name, value, schema, spec, problems, where):
    if schema is None:
        return
    if "$ref" in schema:
        resolved = spec.component(schema["$ref"])
        if resolved is None:
            problems.append("%s: %s: unresolved %s" % (where, name, schema["$ref"]))
            return
        schema = resolved
    t = schema.get("type", "string")
    if t == "integer" and not re.match(r"^-?[0-9]+$", value):
        problems.append("%s: %s=%r is not an integer" % (where, name, value))
    elif t == "number" and not re.match(r"^-?[0-9]+(\.[0-9]+)?$", value):
        problems.append("%s: %s=%r is not a number" % (where, name, value))
    elif t == "boolean" and value not in ("true", "false"):
        problems.append("%s: %s=%r is not true or false" % (where, name, value))
    if "enum" in schema and value not in [str(e) for e in schema["enum"]]:
        problems.append("%s: %s=%r is not one of %s" % (where, name, value, schema["enum"]))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append("%s: %s=%r does not match %s" % (where, name, value, schema["pattern"]))
    if "minLength" in schema and len(value) < int(schema["minLength"]):
        problems.append("%s: %s shorter than %s" % (where, name, schema["minLength"]))
    if "maxLength" in schema and len(value) > int(schema["maxLength"]):
        problems.append("%s: %s longer than %s" % (where, name, schema["maxLength"]))
    fmt = schema.get("format")
    if fmt == "phone-number" and not re.match(r"^(\+[1-9][0-9]{6,14}|[a-z]+:.+|[0-9]{5,6})$",
                                               value):
        problems.append("%s: %s=%r is not a phone number" % (where, name, value))
    if fmt == "uri" and not re.match(r"^https?://[^/\s_]+(/\S*)?$", value):
        problems.append("%s: %s=%r is not a URI (host without '_')" % (where, name, value))


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check_request(req, specs, problems):
    method = req["method"].lower()
    path = req["path"]
    where = "%s %s" % (req["method"], path)
    for spec in specs:
        for template in spec.paths:
            m = template_regex(template).match(path)
            if not m:
                continue
            item = spec.path_item(template)
            op = item.get(method) if isinstance(item, dict) else None
            if not op:
                problems.append("%s: %s has no %s operation" % (where, template, method))
                return
            names = re.findall(r"\{([A-Za-z0-9_]+)\}", template)
            values = dict(zip(names, m.groups()))
            for p in op.get("parameters") or []:
                if not isinstance(p, dict) or p.get("in") != "path":
                    continue
                if p.get("name") not in values:
                    problems.append("%s: path parameter %s missing" % (where, p.get("name")))
                    continue
                check_value(p["name"], values[p["name"]], p.get("schema"), spec, problems, where)
            qparams = {p.get("name"): p for p in op.get("parameters") or []
                       if isinstance(p, dict) and p.get("in") == "query"}
            for k, v in urllib.parse.parse_qsl(req.get("query") or "", keep_blank_values=True):
                if k not in qparams:
                    problems.append("%s: query parameter %s is not in the operation" % (where, k))
                else:
                    check_value(k, v, qparams[k].get("schema"), spec, problems, where)
            form = req.get("form") or []
            body = op.get("requestBody")
            if not body:
                if form:
                    problems.append("%s: a body where the operation takes none" % where)
                return
            content = body.get("content") or {}
            schema = (content.get("application/x-www-form-urlencoded") or {}).get("schema")
            if schema is None:
                problems.append("%s: the operation does not take a form body" % where)
                return
            if not req.get("content_type", "").startswith("application/x-www-form-urlencoded"):
                problems.append("%s: Content-Type %r is not form-encoded"
                                % (where, req.get("content_type")))
            props = schema.get("properties") or {}
            seen = {}
            for k, v in form:
                seen.setdefault(k, []).append(v)
            for k in schema.get("required") or []:
                if k not in seen:
                    problems.append("%s: required field %s is missing" % (where, k))
            for k, vals in seen.items():
                if k not in props:
                    problems.append("%s: field %s is not in the operation's schema" % (where, k))
                    continue
                prop = props[k] or {}
                if prop.get("type") == "array":
                    for v in vals:
                        check_value(k, v, prop.get("items"), spec, problems, where)
                else:
                    if len(vals) > 1:
                        problems.append("%s: %s repeated but not an array" % (where, k))
                    check_value(k, vals[0], prop, spec, problems, where)
            cond = (op.get("x-twilio") or {}).get("conditional") or []
            present = {snake(k) for k in seen}
            for group in cond:
                if isinstance(group, list) and not any(g in present for g in group):
                    problems.append("%s: needs one of %s" % (where, ", ".join(group)))
            return
    problems.append("%s: no such path in the OpenAPI descriptions" % where)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--specs", required=True, help="directory of the OpenAPI files")
    ap.add_argument("--sim", help="base URL of a running Twilio simulator")
    ap.add_argument("file", nargs="?", help="requests JSON instead of --sim")
    a = ap.parse_args()
    if a.sim:
        with urllib.request.urlopen(a.sim.rstrip("/") + "/_sim/requests", timeout=10) as r:
            data = json.load(r)
    elif a.file:
        with open(a.file, encoding="utf-8") as f:
            data = json.load(f)
    else:
        ap.error("give --sim URL or a file")
    specs = [Spec(os.path.join(a.specs, n))
             for n in ("twilio_api_v2010.yaml", "twilio_messaging_v1.yaml")]
    problems = []
    reqs = data.get("requests") or []
    for req in reqs:
        check_request(req, specs, problems)
    for p in problems:
        print(p)
    print("checked %d requests, %d problems" % (len(reqs), len(problems)))
    return 1 if problems or not reqs else 0


if __name__ == "__main__":
    sys.exit(main())
