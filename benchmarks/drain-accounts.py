#!/usr/bin/env python3
"""Drains every account as Zendesk would: each account's state is sent back until a pull brings nothing.

Usage: drain-accounts.py PORT ACCOUNTS-FILE BODIES-FILE
ACCOUNTS-FILE holds one account's metadata per line (as `metadata new` prints it). BODIES-FILE receives one
url-encoded form per account (its metadata and last state), the requests a no-change benchmark replays. Four
connections work in parallel. Used by pull-304.sh and postgres-scale.sh.
"""
import http.client
import json
import sys
import threading
import urllib.parse

port, accounts, out = int(sys.argv[1]), open(sys.argv[2]).read().split(), sys.argv[3]
bodies = [None] * len(accounts)


def drain(indices):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for i in indices:
        state = ""
        for _ in range(20):
            form = [("metadata", accounts[i])] + ([("state", state)] if state else [])
            conn.request("POST", "/pull", urllib.parse.urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            text = r.read()
            if r.status != 200:
                raise SystemExit(f"draining account {i + 1}: HTTP {r.status} {text[:300]!r}")
            answer = json.loads(text)
            state = answer["state"]
            if not answer["external_resources"]:
                break
        bodies[i] = urllib.parse.urlencode([("metadata", accounts[i]), ("state", state)])


threads = [threading.Thread(target=drain, args=(range(k, len(accounts), 4),)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if any(b is None for b in bodies):
    raise SystemExit("some accounts were not drained")
open(out, "w").write("\n".join(bodies) + "\n")
print(f"# port {port}: {len(bodies)} accounts drained", file=sys.stderr)
