#!/usr/bin/env python3
"""Helper of bench/catalogue-vs-postgraphile.sh (standard library only, loopback only).

Subcommands (the shell script calls them in this order):

  wait URL [--timeout S]                 until URL answers a GraphQL POST `{__typename}` with 200
  prepare URL DIR                        20 published courses through the API (as the demo trainer),
                                         learner1's token and the two request bodies into DIR
  compare GS_URL PEER_URL DIR DB_URL SQL both catalogue answers (and catalogue.sql through psql)
                                         hold the same courses; fails loudly if not
  measure ...                            one wrk run with CPU readings before and after (see --help)
  pgbench DB_URL SQL DIR ...             the single-statement limit
  report DIR [--json FILE]               the table, the medians and the ratios
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

DEMO_PASSWORD = "demo-password-2026"
TRAINER = "trainer@demo.govskills.test"
LEARNER = "learner1@demo.govskills.test"
MINISTRY = "Ministry of Digital Affairs (demo)"
PAGE = 20
MODULES = 3
LESSONS = 4
TARGETS = 2

# What issue 21 asks for.
TARGET_THROUGHPUT_RATIO = 2.0
TARGET_PGBENCH_RATIO = 0.7
TARGET_CPU_MS = 1.0


def die(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def loopback_only(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        ok = ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = host == "localhost"
    if not ok:
        die(f"{url}: only loopback addresses are allowed")


def post(url: str, body: bytes, token: str | None = None, timeout: float = 30) -> tuple[int, bytes]:
    loopback_only(url)
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def gql(url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    status, raw = post(url, json.dumps({"query": query, "variables": variables or {}}).encode(), token)
    try:
        answer = json.loads(raw)
    except ValueError:
        die(f"{url}: HTTP {status}, not JSON: {raw[:300]!r}")
    if status != 200 or answer.get("errors"):
        die(f"{url}: HTTP {status}: {json.dumps(answer.get('errors', answer))[:800]}\nquery: {query[:300]}")
    return answer["data"]


# ----------------------------------------------------------------------------------------------
# wait


def alive(pid: int) -> bool:
    """Whether the process runs (an exited child not yet waited for is a zombie, `Z`)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return raw[raw.rindex(")") + 2:].split()[0] not in ("Z", "X")


def cmd_wait(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + args.timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if args.pid and not alive(args.pid):
            die(f"the server (pid {args.pid}) exited before {args.url} answered")
        try:
            status, raw = post(args.url, b'{"query":"{__typename}"}', timeout=3)
            if status == 200 and b"__typename" in raw:
                return
            last = f"HTTP {status}: {raw[:200]!r}"
        except (OSError, urllib.error.URLError) as err:
            last = str(err)
        time.sleep(0.5)
    die(f"{args.url} did not answer within {args.timeout:.0f} s (last: {last})")


# ----------------------------------------------------------------------------------------------
# prepare: the catalogue, through the API

COURSE_TOPICS = [
    "Protecting personal data at work", "Spotting phishing and fraud", "Writing in plain language online",
    "Accessible documents and forms", "Working with open data", "Video meetings that work",
    "Digital signatures and e-seals", "Cloud storage for case files", "Spreadsheets for case work",
    "Searching and judging sources", "Generative AI at the desk", "Information security basics",
    "Records management in the e-file", "Social media for agencies", "Citizens' digital services",
    "Passwords and multi-factor sign-in", "Collaborating in shared documents", "Data protection impact",
    "Reading dashboards critically", "Automating routine tasks", "Handling complaints online",
    "E-procurement in practice",
]
MODULE_TITLES = ["Why it matters", "In daily work", "Check and practise"]
LESSON_TITLES = [
    ["What is at stake", "Rules that apply", "Real cases", "Your role"],
    ["Step by step", "Common mistakes", "Tools we use", "Short video"],
    ["A worked example", "Checklist", "Quiz yourself", "Further reading"],
]
KINDS = [["TEXT", "TEXT", "TEXT", "TEXT"], ["TEXT", "TEXT", "TEXT", "VIDEO"], ["TEXT", "TEXT", "TEXT", "LINK"]]
PARAGRAPHS = [
    "Public servants handle information about citizens every day: applications, case notes, letters "
    "and the data behind them. Each of these carries obligations under data protection law, the "
    "rules of your authority and the expectations of the people you serve.",
    "Before you open, share or forward anything, ask three questions: **who** needs it, **why** they "
    "need it, and **how long** it must be kept. If you cannot answer one of them, stop and ask your "
    "supervisor or the data protection officer.",
    "- Keep case files in the records system, not on the desktop or in private mail.\n"
    "- Lock your screen whenever you leave the desk (Windows key + L).\n"
    "- Report anything unusual to the service desk at once; a false alarm costs nothing.",
    "The examples in this lesson come from real incidents in public administrations, with names and "
    "details changed. Read them with your own unit in mind: where would the same slip happen to you, "
    "and what would have stopped it?",
]


def lesson_input(course: int, module: int, lesson: int, paragraphs: int) -> dict:
    kind = KINDS[module][lesson]
    item = {
        "title": LESSON_TITLES[module][lesson],
        "kind": kind,
        "estimatedMinutes": 5 + (course + 3 * module + lesson) % 4 * 5,
    }
    if kind == "TEXT":
        body = [f"## {LESSON_TITLES[module][lesson]}"]
        body += [PARAGRAPHS[(course + module + lesson + i) % len(PARAGRAPHS)] for i in range(paragraphs)]
        item["markdown"] = "\n\n".join(body)
    else:
        item["url"] = f"https://learning.example.org/course-{course + 1}/m{module + 1}-l{lesson + 1}"
    return item


def cmd_prepare(args: argparse.Namespace) -> None:
    url, out = args.url, Path(args.dir)
    trainer = gql(url, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                  {"e": TRAINER, "p": DEMO_PASSWORD})["login"]["token"]
    learner = gql(url, "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                  {"e": LEARNER, "p": DEMO_PASSWORD})["login"]["token"]
    units = gql(url, "{ orgUnits { id name } }", token=trainer)["orgUnits"]
    ministry = next((u["id"] for u in units if u["name"] == MINISTRY), None)
    if ministry is None:
        die(f"the demo ministry ({MINISTRY}) is missing: was the server started with --demo?")
    frameworks = gql(url, "{ frameworks { code areas { competences { id code archived } } } }",
                     token=trainer)["frameworks"]
    digcomp = next((f for f in frameworks if f["code"].upper().startswith("DIGCOMP")), None)
    if digcomp is None:
        die("the DigComp framework is missing")
    competences = [c["id"] for a in digcomp["areas"] for c in a["competences"] if not c["archived"]]
    if len(competences) < TARGETS + 1:
        die("too few DigComp competences")

    created = []
    started = time.monotonic()
    for i in range(PAGE):
        title = f"{COURSE_TOPICS[i % len(COURSE_TOPICS)]}"
        targets = [
            {"competenceId": competences[i % len(competences)], "targetLevel": 2 + i % 3},
            {"competenceId": competences[(i + 7) % len(competences)], "targetLevel": 3 + i % 2},
        ]
        course = gql(url, "mutation($input: CreateCourseInput!) { createCourse(input: $input) { id } }",
                     {"input": {"title": title, "language": "en" if i % 5 else "de", "orgUnitId": ministry,
                                "summary": f"{title}: what every member of staff needs to know.",
                                "competenceTargets": targets}}, trainer)["createCourse"]["id"]
        for m in range(MODULES):
            module = gql(url, "mutation($c: ID!, $t: String!) { addModule(courseId: $c, input: { title: $t }) { id } }",
                         {"c": course, "t": MODULE_TITLES[m]}, trainer)["addModule"]["id"]
            for l in range(LESSONS):
                gql(url, "mutation($m: ID!, $input: AddLessonInput!) { addLesson(moduleId: $m, input: $input) { id } }",
                    {"m": module, "input": lesson_input(i, m, l, args.paragraphs)}, trainer)
        gql(url, "mutation($c: ID!) { publishCourse(courseId: $c) { status } }", {"c": course}, trainer)
        created.append(course)
    elapsed = time.monotonic() - started

    here = Path(__file__).resolve().parent
    perf = Path(args.perf) if args.perf else here.parent.parent / "shared" / "perf"
    for side, name in (("govskills", "catalogue.govskills.graphql"), ("postgraphile", "catalogue.postgraphile.graphql")):
        query = (perf / name).read_text()
        (out / f"{side}.body.json").write_text(json.dumps({"query": query}))
    (out / "learner.token").write_text(learner)
    (out / "prepared.json").write_text(json.dumps({"courses": created, "ministry": ministry}))

    # The learner's first page must be exactly these 20, newest first.
    page = gql(url, "{ courses(first: 20) { edges { node { id } } } }", token=learner)["courses"]["edges"]
    ids = [e["node"]["id"] for e in page]
    if ids != list(reversed(created)):
        die(f"learner1's first catalogue page is not the 20 new courses, newest first: {ids}")
    markdown = sum(len(lesson_input(i, m, l, args.paragraphs).get("markdown", "").encode())
                   for i in range(PAGE) for m in range(MODULES) for l in range(LESSONS))
    print(f"prepared {PAGE} published courses ({TARGETS} targets, {MODULES} modules of {LESSONS} lessons each; "
          f"{markdown // (PAGE * MODULES * LESSONS)} B of Markdown per lesson on average, not part of the page) "
          f"as {TRAINER} in {elapsed:.1f} s; learner1's first page is exactly these, newest first")


# ----------------------------------------------------------------------------------------------
# compare


def normalise_govskills(data: dict) -> list[dict]:
    return [{
        "id": n["id"], "title": n["title"], "language": n["language"], "owner": n["owner"]["displayName"],
        "targets": sorted((t["competence"]["code"], t["competence"]["name"], t["competence"]["area"]["name"],
                           t["targetLevel"]) for t in n["competenceTargets"]),
        "modules": [(m["title"], [(l["title"], l["kind"].upper(), l["estimatedMinutes"]) for l in m["lessons"]])
                    for m in n["modules"]],
    } for n in (e["node"] for e in data["courses"]["edges"])]


def normalise_postgraphile(data: dict) -> list[dict]:
    return [{
        "id": n["id"], "title": n["title"], "language": n["language"], "owner": n["userByOwnerId"]["displayName"],
        "targets": sorted((t["competenceByCompetenceId"]["code"], t["competenceByCompetenceId"]["name"],
                           t["competenceByCompetenceId"]["competenceAreaByAreaId"]["name"], t["targetLevel"])
                          for t in n["courseCompetencesByCourseId"]["nodes"]),
        "modules": [(m["title"], [(l["title"], l["kind"].upper(), l["estimatedMinutes"])
                                  for l in m["lessonsByModuleId"]["nodes"]])
                    for m in n["courseModulesByCourseId"]["nodes"]],
    } for n in data["allCourses"]["nodes"]]


def normalise_sql(doc: dict) -> list[dict]:
    return [{
        "id": c["id"], "title": c["title"], "language": c["language"], "owner": c["owner"]["displayName"],
        "targets": sorted((t["competence"]["code"], t["competence"]["name"], t["competence"]["area"]["name"],
                           t["targetLevel"]) for t in c["targets"]),
        "modules": [(m["title"], [(l["title"], l["kind"].upper(), l["estimatedMinutes"]) for l in m["lessons"]])
                    for m in c["modules"]],
    } for c in doc["courses"]]


def fetch_checked(url: str, body_file: Path, token: str | None) -> tuple[dict, int]:
    status, raw = post(url, body_file.read_bytes(), token)
    if status != 200:
        raise ValueError(f"HTTP {status}: {raw[:300]!r}")
    answer = json.loads(raw)
    if not isinstance(answer, dict) or "errors" in answer or not isinstance(answer.get("data"), dict):
        raise ValueError(f"GraphQL errors or no data: {raw[:500]!r}")
    return answer["data"], len(raw)


def first_difference(a: list[dict], b: list[dict]) -> str:
    if len(a) != len(b):
        return f"{len(a)} courses against {len(b)}"
    for x, y in zip(a, b):
        for key in x:
            if x[key] != y[key]:
                return f"course {x['id']}: {key}: {x[key]!r} against {y[key]!r}"
    return "none"


def cmd_compare(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    token = (out / "learner.token").read_text().strip()
    try:
        gs_data, gs_bytes = fetch_checked(args.gs_url, out / "govskills.body.json", token)
        pg_data, pg_bytes = fetch_checked(args.peer_url, out / "postgraphile.body.json", None)
    except ValueError as err:
        die(f"a catalogue answer is not clean: {err}")
    gs, pg = normalise_govskills(gs_data), normalise_postgraphile(pg_data)
    for course in gs:
        if len(course["targets"]) != TARGETS or len(course["modules"]) != MODULES or \
                any(len(lessons) != LESSONS for _, lessons in course["modules"]):
            die(f"GovSkills course {course['id']} does not have {TARGETS} targets and {MODULES} modules of {LESSONS} lessons")
    if len(gs) != PAGE:
        die(f"GovSkills returned {len(gs)} courses, not {PAGE}")
    if gs != pg:
        die("GovSkills and PostGraphile answer different catalogues; first difference: " + first_difference(gs, pg))

    # The single statement of catalogue.sql, through psql.
    run = subprocess.run(["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-d", args.db_url, "-f", args.sql],
                         capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        die(f"psql -f {args.sql} failed: {run.stderr.strip()}")
    sql_text = run.stdout.strip()
    sql = normalise_sql(json.loads(sql_text))
    if len(sql) != PAGE:
        die(f"catalogue.sql returned {len(sql)} courses, not {PAGE}")
    if sql != gs:
        die("catalogue.sql answers a different catalogue; first difference: " + first_difference(gs, sql))

    lessons = sum(len(ls) for c in gs for _, ls in c["modules"])
    sizes = {"govskills": gs_bytes, "postgraphile": pg_bytes, "sql": len(sql_text.encode())}
    (out / "sizes.json").write_text(json.dumps(sizes))
    print(f"same catalogue on all three: {len(gs)} courses (ids, titles, owners, {sum(len(c['targets']) for c in gs)} "
          f"targets, {lessons} lessons in order); response bodies: GovSkills {gs_bytes} B, "
          f"PostGraphile {pg_bytes} B, catalogue.sql {sizes['sql']} B")


# ----------------------------------------------------------------------------------------------
# CPU readings from /proc


def proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(comm, ppid, utime + stime in clock ticks), None if gone or unreadable."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return comm, int(fields[1]), int(fields[11]) + int(fields[12])


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tree_ticks(root: int) -> int | None:
    """CPU ticks of a process and its descendants (threads are counted in their process)."""
    stats = {pid: s for pid in all_pids() if (s := proc_stat(pid)) is not None}
    if root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (_, ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][2]
        todo += children.get(pid, [])
    return total


def postgres_ticks(database: str) -> dict[int, int] | None:
    """Per backend of `database` (matched on its process title), CPU ticks; None if unreadable."""
    found: dict[int, int] = {}
    readable = False
    for pid in all_pids():
        stat = proc_stat(pid)
        if stat is None or stat[0] != "postgres":
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        readable = True
        if f" {database} " in f" {title} ":
            found[pid] = stat[2]
    return found if readable else None


def redis_ticks() -> int | None:
    total, seen = 0, False
    for pid in all_pids():
        stat = proc_stat(pid)
        if stat is not None and stat[0] == "redis-server":
            total, seen = total + stat[2], True
    return total if seen else None


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


def snapshot(pid: int, database: str) -> dict:
    return {"server": tree_ticks(pid), "postgres": postgres_ticks(database), "redis": redis_ticks(),
            "machine": machine_jiffies(), "at": time.monotonic()}


def ticks_ms(ticks: int) -> float:
    return ticks * 1000.0 / os.sysconf("SC_CLK_TCK")


def vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# ----------------------------------------------------------------------------------------------
# measure: one wrk run

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> dict:
    """What wrk printed: the WRK_JSON line of bench/wrk-post.lua, checked against its text report."""
    line = next((l for l in text.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        raise ValueError("no WRK_JSON line in wrk's output (is bench/wrk-post.lua the script?)")
    summary = json.loads(line[len("WRK_JSON "):])
    requests = summary["requests"]
    seconds = summary["duration_us"] / 1e6
    pct = summary["latency_us"]["percentiles"]
    result = {
        "requests": requests,
        "seconds": round(seconds, 3),
        "rps": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": pct["50"] / 1000, "p75_ms": pct["75"] / 1000, "p90_ms": pct["90"] / 1000,
        "p99_ms": pct["99"] / 1000, "max_ms": summary["latency_us"]["max"] / 1000,
        "bytes_per_request": round(summary["bytes"] / requests) if requests else 0,
        "socket_errors": {k: v for k, v in summary["errors"].items() if k != "status"},
        "non_2xx_3xx": summary["errors"]["status"],
    }
    # wrk's own text, as a cross-check: the 99% line of --latency and Requests/sec.
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    if m:
        result["p99_ms_text"] = float(m.group(1)) * UNITS[m.group(2)]
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if m:
        result["rps_text"] = float(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    result["non_2xx_3xx_text"] = int(m.group(1)) if m else 0
    return result


def cmd_measure(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    body = out / f"{args.side}.body.json"
    token = (out / "learner.token").read_text().strip() if args.side == "govskills" else None
    env = dict(os.environ, WRK_BODY_FILE=str(body), WRK_AUTH=f"Bearer {token}" if token else "")
    command = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
               "--latency", "--timeout", "10s", "-s", args.lua, args.url]
    before = snapshot(args.pid, args.database)
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=args.duration + 60)
    after = snapshot(args.pid, args.database)
    label = f"{args.side} {'warm-up' if args.warmup else f'round {args.round}'}"
    if run.returncode != 0:
        die(f"wrk failed for {label} (exit {run.returncode}): {run.stderr.strip()}\n{run.stdout}")
    (out / f"wrk-{args.side}-{'warmup' if args.warmup else args.round}.txt").write_text(run.stdout + run.stderr)
    result = parse_wrk(run.stdout)

    problems = []
    if result["non_2xx_3xx"] or result["non_2xx_3xx_text"]:
        problems.append(f"{max(result['non_2xx_3xx'], result['non_2xx_3xx_text'])} non-2xx/3xx responses")
    if any(result["socket_errors"].values()):
        problems.append(f"socket errors {result['socket_errors']}")
    if result["requests"] == 0:
        problems.append("no request completed")
    # wrk counts a 200 with a GraphQL `errors` list as a success: ask once more and look.
    try:
        data, size = fetch_checked(args.url, body, token)
        page = data["courses"]["edges"] if args.side == "govskills" else data["allCourses"]["nodes"]
        if len(page) != PAGE:
            problems.append(f"the answer after the run holds {len(page)} courses, not {PAGE}")
        result["response_bytes"] = size
    except (ValueError, OSError, KeyError, TypeError) as err:
        problems.append(f"the answer after the run is not clean: {err}")
    if problems:
        die(f"{label}: " + "; ".join(problems))

    n = result["requests"]
    result["server_cpu_ms_per_req"] = (round(ticks_ms(after["server"] - before["server"]) / n, 3)
                                       if before["server"] is not None and after["server"] is not None else None)
    if before["postgres"] is not None and after["postgres"] is not None:
        delta = sum(t - before["postgres"].get(pid, 0) for pid, t in after["postgres"].items())
        result["postgres_cpu_ms_per_req"] = round(ticks_ms(delta) / n, 3)
        result["postgres_backends"] = len(after["postgres"])
    else:
        result["postgres_cpu_ms_per_req"] = None
    result["redis_cpu_ms_per_req"] = (round(ticks_ms(after["redis"] - before["redis"]) / n, 3)
                                      if before["redis"] is not None and after["redis"] is not None else None)
    busy = after["machine"][0] - before["machine"][0]
    total = after["machine"][1] - before["machine"][1]
    result["machine_busy_percent"] = round(100.0 * busy / total, 1) if total else None
    result["loadavg_after"] = Path("/proc/loadavg").read_text().split()[0]
    result.update(side=args.side, round=0 if args.warmup else args.round, warmup=args.warmup,
                  connections=args.connections, threads=args.threads, duration_s=args.duration)
    with open(out / "runs.jsonl", "a") as f:
        f.write(json.dumps(result) + "\n")

    def fmt(v, spec=".3f"):
        return "n/a" if v is None else format(v, spec)
    print(f"  {label:<24} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
          f"server {fmt(result['server_cpu_ms_per_req'])} ms/req  postgres {fmt(result['postgres_cpu_ms_per_req'])} ms/req  "
          f"machine busy {fmt(result['machine_busy_percent'], '.0f')} %")


# ----------------------------------------------------------------------------------------------
# pgbench


def cmd_pgbench(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    command = ["pgbench", "-n", "-c", str(args.clients), "-j", str(args.threads), "-T", str(args.duration),
               "-f", args.sql, args.db_url]
    database = urllib.parse.urlsplit(args.db_url).path.lstrip("/")
    before = postgres_ticks(database)
    machine_before = machine_jiffies()
    run = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 60)
    machine_after = machine_jiffies()
    (out / "pgbench.txt").write_text(run.stdout + run.stderr)
    if run.returncode != 0:
        die(f"pgbench failed (exit {run.returncode}): {run.stderr.strip()}")
    m = re.search(r"^tps = ([\d.]+)", run.stdout, re.M)
    if not m:
        die(f"no tps in pgbench's output:\n{run.stdout}")
    transactions = int(re.search(r"number of transactions actually processed: (\d+)", run.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", run.stdout)
    if failed and int(failed.group(1)):
        die(f"pgbench: {failed.group(1)} failed transactions")
    latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
    result = {"tps": float(m.group(1)), "transactions": transactions, "clients": args.clients,
              "threads": args.threads, "duration_s": args.duration,
              "latency_avg_ms": float(latency.group(1)) if latency else None,
              "machine_busy_percent": round(100.0 * (machine_after[0] - machine_before[0]) /
                                            max(1, machine_after[1] - machine_before[1]), 1)}
    # pgbench's connections end with the run: their CPU is gone with them, so nothing per transaction.
    (out / "pgbench.json").write_text(json.dumps(result))
    print(f"  pgbench {result['tps']:.1f} tps ({transactions} transactions, "
          f"{args.clients} clients, {args.threads} threads, {args.duration} s)")


# ----------------------------------------------------------------------------------------------
# report


def cmd_idle(args: argparse.Namespace) -> None:
    """How busy the machine is before the benchmark loads it (other work skews every figure)."""
    before = machine_jiffies()
    time.sleep(args.seconds)
    after = machine_jiffies()
    busy = 100.0 * (after[0] - before[0]) / max(1, after[1] - before[1])
    out = Path(args.dir) / "meta.json"
    meta = json.loads(out.read_text()) if out.exists() else {}
    meta["machine_busy_percent_before"] = round(busy, 1)
    out.write_text(json.dumps(meta))
    note = "" if busy < 15 else " -- WARNING: other work is running; the figures will be skewed"
    print(f"machine busy before loading it: {busy:.0f} % of {os.cpu_count()} cores over {args.seconds:.0f} s{note}")


def cmd_hwm(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    path = out / "rss.json"
    rss = json.loads(path.read_text()) if path.exists() else {}
    rss[args.side] = vm_hwm_kib(args.pid)
    path.write_text(json.dumps(rss))


def cmd_report(args: argparse.Namespace) -> None:
    out = Path(args.dir)
    runs = [json.loads(l) for l in (out / "runs.jsonl").read_text().splitlines() if l.strip()]
    measured = [r for r in runs if not r["warmup"]]
    pgbench = json.loads((out / "pgbench.json").read_text()) if (out / "pgbench.json").exists() else None
    sizes = json.loads((out / "sizes.json").read_text())
    rss = json.loads((out / "rss.json").read_text()) if (out / "rss.json").exists() else {}
    meta = json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}
    names = {"govskills": "GovSkills", "postgraphile": "PostGraphile"}

    def fmt(v, spec=".2f"):
        return "n/a" if v is None else format(v, spec)

    print()
    print("| side | round | requests | req/s | p50 ms | p99 ms | max ms | server CPU ms/req | postgres CPU ms/req "
          "| redis CPU ms/req | machine busy % | response bytes |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in measured:
        print(f"| {names[r['side']]} | {r['round']} | {r['requests']} | {r['rps']:.1f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['max_ms']:.2f} | {fmt(r['server_cpu_ms_per_req'], '.3f')} | "
              f"{fmt(r['postgres_cpu_ms_per_req'], '.3f')} | {fmt(r['redis_cpu_ms_per_req'], '.3f')} | "
              f"{fmt(r['machine_busy_percent'], '.0f')} | {r['response_bytes']} |")
    if pgbench:
        print(f"| pgbench `catalogue.sql` | 1 | {pgbench['transactions']} | {pgbench['tps']:.1f} | | | | | | | "
              f"{fmt(pgbench['machine_busy_percent'], '.0f')} | {sizes['sql']} |")

    summary: dict[str, dict] = {}
    for side in ("govskills", "postgraphile"):
        rs = [r for r in measured if r["side"] == side]
        if not rs:
            continue

        def med(key):
            values = [r[key] for r in rs if r.get(key) is not None]
            return statistics.median(values) if values else None
        summary[side] = {
            "rounds": len(rs),
            "rps_best": max(r["rps"] for r in rs), "rps_median": med("rps"),
            "p50_ms_median": med("p50_ms"), "p99_ms_median": med("p99_ms"),
            "p99_ms_best": min(r["p99_ms"] for r in rs),
            "server_cpu_ms_per_req_median": med("server_cpu_ms_per_req"),
            "postgres_cpu_ms_per_req_median": med("postgres_cpu_ms_per_req"),
            "redis_cpu_ms_per_req_median": med("redis_cpu_ms_per_req"),
            "response_bytes": sizes[side],
            "peak_rss_kib": rss.get(side),
        }
    print()
    print("| side | rounds | req/s best | req/s median | p50 ms median | p99 ms median | server CPU ms/req median "
          "| postgres CPU ms/req median | response bytes | peak RSS MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for side, s in summary.items():
        rss_mib = None if s["peak_rss_kib"] is None else s["peak_rss_kib"] / 1024
        print(f"| {names[side]} | {s['rounds']} | {s['rps_best']:.1f} | {s['rps_median']:.1f} | {s['p50_ms_median']:.2f} | "
              f"{s['p99_ms_median']:.2f} | {fmt(s['server_cpu_ms_per_req_median'], '.3f')} | "
              f"{fmt(s['postgres_cpu_ms_per_req_median'], '.3f')} | {s['response_bytes']} | {fmt(rss_mib, '.0f')} |")

    ratios: dict[str, object] = {}
    gs, pg = summary.get("govskills"), summary.get("postgraphile")
    verdicts = []
    if gs and pg:
        ratio = gs["rps_median"] / pg["rps_median"]
        ratios["throughput_govskills_over_postgraphile_median"] = round(ratio, 2)
        ratios["throughput_govskills_over_postgraphile_best"] = round(gs["rps_best"] / pg["rps_best"], 2)
        verdicts.append(("GovSkills / PostGraphile throughput (medians)", f"{ratio:.2f}x",
                         f">= {TARGET_THROUGHPUT_RATIO}x", ratio >= TARGET_THROUGHPUT_RATIO))
        p99_ok = gs["p99_ms_median"] <= pg["p99_ms_median"]
        ratios["p99_govskills_ms"] = gs["p99_ms_median"]
        ratios["p99_postgraphile_ms"] = pg["p99_ms_median"]
        verdicts.append(("p99, GovSkills against PostGraphile (medians)",
                         f"{gs['p99_ms_median']:.2f} ms vs {pg['p99_ms_median']:.2f} ms", "equal or better", p99_ok))
    if gs and pgbench:
        ratio = gs["rps_median"] / pgbench["tps"]
        ratios["throughput_govskills_over_pgbench"] = round(ratio, 2)
        verdicts.append(("GovSkills / pgbench single-statement limit (median)",
                         f"{ratio:.2f}x ({gs['rps_median']:.0f} / {pgbench['tps']:.0f})", f">= {TARGET_PGBENCH_RATIO}x",
                         ratio >= TARGET_PGBENCH_RATIO))
    if pg and pgbench:
        ratios["throughput_postgraphile_over_pgbench"] = round(pg["rps_median"] / pgbench["tps"], 2)
    if gs and gs["server_cpu_ms_per_req_median"] is not None:
        cpu = gs["server_cpu_ms_per_req_median"]
        verdicts.append(("GovSkills server CPU per catalogue request (median)", f"{cpu:.3f} ms",
                         f"<= {TARGET_CPU_MS} ms", cpu <= TARGET_CPU_MS))
    print()
    print("| measure | value | target | met |")
    print("| --- | --- | --- | --- |")
    for name, value, target, ok in verdicts:
        print(f"| {name} | {value} | {target} | {'yes' if ok else 'NO'} |")
    if args.json:
        document = {"meta": meta, "runs": runs, "pgbench": pgbench, "sizes": sizes, "summary": summary,
                    "ratios": ratios, "peak_rss_kib": rss,
                    "targets": [{"measure": n, "value": v, "target": t, "met": ok} for n, v, t, ok in verdicts]}
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
        print(f"\nall numbers: {args.json}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("wait")
    p.add_argument("url")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--pid", type=int, help="give up as soon as this process has exited")
    p.set_defaults(func=cmd_wait)
    p = sub.add_parser("prepare")
    p.add_argument("url")
    p.add_argument("dir")
    p.add_argument("--perf", help="folder of the catalogue queries (default ../shared/perf of the repository)")
    p.add_argument("--paragraphs", type=int, default=4, help="paragraphs of Markdown per text lesson")
    p.set_defaults(func=cmd_prepare)
    p = sub.add_parser("compare")
    for name in ("gs_url", "peer_url", "dir", "db_url", "sql"):
        p.add_argument(name)
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("measure")
    p.add_argument("--side", choices=["govskills", "postgraphile"], required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--pid", type=int, required=True, help="the server process (its descendants count too)")
    p.add_argument("--database", required=True, help="database name: its backends' CPU is read")
    p.add_argument("--lua", required=True)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--round", type=int, default=0)
    p.add_argument("--warmup", action="store_true")
    p.set_defaults(func=cmd_measure)
    p = sub.add_parser("pgbench")
    for name in ("db_url", "sql", "dir"):
        p.add_argument(name)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=int, default=10)
    p.set_defaults(func=cmd_pgbench)
    p = sub.add_parser("idle")
    p.add_argument("dir")
    p.add_argument("--seconds", type=float, default=3)
    p.set_defaults(func=cmd_idle)
    p = sub.add_parser("hwm")
    p.add_argument("dir")
    p.add_argument("side")
    p.add_argument("pid", type=int)
    p.set_defaults(func=cmd_hwm)
    p = sub.add_parser("report")
    p.add_argument("dir")
    p.add_argument("--json")
    p.set_defaults(func=cmd_report)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
