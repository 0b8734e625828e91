#!/usr/bin/env python3
"""A small sequential latency probe for a running GovSkills (loopback only).

Until the load benchmark of the performance issue exists, this measures single-client latency of
three journeys against a server started with demo data:

    cargo run -p govskills-api -- serve --demo --listen 127.0.0.1:18080 &
    python3 bench/smoke.py http://127.0.0.1:18080 50

It signs in as the demo learner N times (argon2-bound), then reads `me` and the catalogue page with
nested modules, lessons and competences N times each, and prints p50/p95/max in milliseconds.
"""
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:18080"
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 50
HOST = urllib.parse.urlparse(BASE).hostname
if HOST not in ("127.0.0.1", "localhost", "::1"):
    sys.exit("only loopback targets are allowed")


def post(query, token=None):
    request = urllib.request.Request(
        BASE + "/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    elapsed = (time.perf_counter() - started) * 1000
    if body.get("errors"):
        sys.exit(f"request failed: {body['errors']}")
    return elapsed, body["data"]


def report(name, samples):
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{name:<28} n={len(samples):<4} p50={statistics.median(samples):7.2f}  p95={p95:7.2f}  max={samples[-1]:7.2f}")


LOGIN = 'mutation { login(email: "learner1@demo.govskills.test", password: "demo-password-2026") { token } }'
CATALOGUE = """{ courses(first: 20) { edges { node { title totalMinutes owner { displayName }
  competenceTargets { targetLevel competence { code name } }
  modules { title lessons { title kind html estimatedMinutes } } } } } }"""

logins, token = [], None
for _ in range(COUNT):
    elapsed, data = post(LOGIN)
    logins.append(elapsed)
    token = data["login"]["token"]
report("login (argon2id)", logins)
report("me", [post("{ me { id email roles } }", token)[0] for _ in range(COUNT)])
report("catalogue page (nested)", [post(CATALOGUE, token)[0] for _ in range(COUNT)])
