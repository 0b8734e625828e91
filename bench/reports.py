#!/usr/bin/env python3
"""Latency of the HR reports against a running GovSkills filled by `govskills seed-scale`
(loopback only, standard-library Python, one request at a time).

    govskills seed-scale --staff 100000          # prints the authority id and the HR login
    govskills serve --listen 127.0.0.1:18090 &
    python3 bench/reports.py http://127.0.0.1:18090 AUTHORITY_ID HR_EMAIL 10
    READERS=4 python3 bench/reports.py ...       # also the skill-gap figures by 4 readers at once
    ONLY=rollout python3 bench/reports.py ...    # only the reports whose name holds "rollout"

For each report it runs one warm-up request, then N timed ones, and prints p50/p95/max in
milliseconds; the CSV export is timed to its last byte and its size is shown.
"""
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

if len(sys.argv) < 4:
    sys.exit(__doc__)
BASE, UNIT, HR_EMAIL = sys.argv[1], sys.argv[2], sys.argv[3]
COUNT = int(sys.argv[4]) if len(sys.argv) > 4 else 10
PASSWORD = sys.argv[5] if len(sys.argv) > 5 else "scale-password-2026"
READERS = int(os.environ.get("READERS", "1"))
ONLY = os.environ.get("ONLY", "").lower()
if urllib.parse.urlparse(BASE).hostname not in ("127.0.0.1", "localhost", "::1"):
    sys.exit("only loopback targets are allowed")


def post(query, variables, token=None):
    request = urllib.request.Request(
        BASE + "/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
    elapsed = (time.perf_counter() - started) * 1000
    if body.get("errors"):
        sys.exit(f"request failed: {body['errors']}")
    return elapsed, body["data"]


def download(path, token):
    request = urllib.request.Request(BASE + path, headers={"authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=300) as response:
        size = len(response.read())
    return (time.perf_counter() - started) * 1000, size


def report(name, samples, extra=""):
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{name:<34} n={len(samples):<3} p50={statistics.median(samples):8.1f}  p95={p95:8.1f}  max={samples[-1]:8.1f} {extra}")


def timed(name, run):
    if ONLY not in name.lower():
        return
    run()  # warm-up
    report(name, [run() for _ in range(COUNT)])


token = post('mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }',
             {"e": HR_EMAIL, "p": PASSWORD})[1]["login"]["token"]
unit = {"unit": UNIT}
GAPS = """query($unit: ID!) { skillGapReport(orgUnitId: $unit) { staffCount
  competences { competence { code } staffWithRequirement belowRequired averageShortfall
    withoutVerifiedResult levelDistribution { level staff } }
  subunits { orgUnit { name } suppressed staffCount competences { competence { code } belowRequired } } } }"""
STAFF = """query($unit: ID!) { skillGapReport(orgUnitId: $unit) {
  staff(first: 20) { edges { node { displayName totalGap orgUnit { name } } } } } }"""
AI = """query($unit: ID!) { aiLiteracyReport(orgUnitId: $unit) {
  totals { staffUsingAiSystems certified assigned overdue missing certifiedPercent }
  subunits { orgUnit { name } suppressed counts { certified missing } }
  uncertified(first: 20) { edges { node { displayName status dueAt } } } } }"""
AI_ACT = """query($unit: ID!) { aiActReport(orgUnitId: $unit) {
  totals { people compliant overdue due stale missing }
  systems { system { name riskClass version } counts { compliant missing } oversightPersons
    registrationMissing instructionsRequired instructionsAcknowledged }
  subunits { orgUnit { name } suppressed counts { compliant missing } }
  gaps(first: 20) { edges { node { user { displayName } aiSystemName status dueAt } } } } }"""
COMPLETION = """query($unit: ID!) { completionReport(orgUnitId: $unit) {
  courses { course { title } enrolled assigned completed overdue } } }"""

staff = post("query($unit: ID!) { skillGapReport(orgUnitId: $unit) { staffCount } }", unit, token)[1]
print(f"staff in scope: {staff['skillGapReport']['staffCount']}")
timed("skillGapReport (aggregates)", lambda: post(GAPS, unit, token)[0])
if READERS > 1:
    # The same query from READERS clients at once, each COUNT times after a warm-up.
    with ThreadPoolExecutor(READERS) as pool:
        rounds = list(pool.map(lambda _: [post(GAPS, unit, token)[0] for _ in range(COUNT + 1)][1:],
                               range(READERS)))
    report(f"skillGapReport (aggregates) x{READERS}", [t for r in rounds for t in r])
timed("skillGapReport staff(first: 20)", lambda: post(STAFF, unit, token)[0])
timed("aiLiteracyReport (+ first 20)", lambda: post(AI, unit, token)[0])
timed("aiActReport (+ gaps first 20)", lambda: post(AI_ACT, unit, token)[0])
timed("completionReport", lambda: post(COMPLETION, unit, token)[0])
sizes = []
def csv():
    elapsed, size = download(f"/reports/skill-gaps.csv?orgUnitId={UNIT}", token)
    sizes.append(size)
    return elapsed
timed("skill-gaps.csv (full download)", csv)
if sizes:
    print(f"skill-gaps.csv size: {sizes[-1] / 1e6:.1f} MB")
timed("ai-literacy.csv (full download)",
      lambda: download(f"/reports/ai-literacy.csv?orgUnitId={UNIT}", token)[0])
timed("ai-act.csv (full download)",
      lambda: download(f"/reports/ai-act.csv?orgUnitId={UNIT}", token)[0])

ROLLOUT = """query($r: ID!) { rolloutReadiness(rolloutId: $r) {
  affected ready inTraining notStarted overdue readyPercent projectedPercent status
  competences { competence { code } below averageShortfall }
  subunits { orgUnit { name } affected suppressed ready }
  history { day ready }
  notReady(first: 20) { edges { node { user { displayName } status missing { level } } } } } }"""
rollouts = post("query($unit: ID!) { rollouts(orgUnitId: $unit) { id } }", unit, token)[1]["rollouts"]
if rollouts:
    rollout = {"r": rollouts[0]["id"]}
    timed("rolloutReadiness (+ notReady 20)", lambda: post(ROLLOUT, rollout, token)[0])
    timed("access-gate.csv (full download)",
          lambda: download(f"/reports/rollouts/{rollouts[0]['id']}/access-gate.csv", token)[0])
