#!/usr/bin/env bash
# GovSkills against PostGraphile on the same PostgreSQL database (issue 21): the catalogue page of 20
# published courses (owner, two competence targets with competence and area, 3 modules of 4 lessons),
# both sides loaded alternately by the same wrk with the same connections, beside the single-statement
# limit of pgbench, with server and database CPU per request.
#
#   bench/catalogue-vs-postgraphile.sh [--duration 10] [--connections 8] [--threads 2] [--rounds 2]
#                                      [--warmup 3] [--env production|development] [--json FILE] [--keep]
#                                      [--lesson-paragraphs 4]
#
# Needs: wrk, pgbench, psql, python3, node and npm (for the peer), PostgreSQL at BENCH_PG_URL
# (default postgres://postgres@127.0.0.1:5432, a superuser that may create databases) and Redis at
# BENCH_REDIS_URL (default redis://127.0.0.1:6379), both on this machine, and a release build:
# target/release/govskills (or GOVSKILLS_BIN). The peer is ../shared/bin/peer-postgraphile (or
# PEER_POSTGRAPHILE); it installs PostGraphile with npm into a cache on first use.
#
# What it does: creates a database of its own (dropped at exit) and a Redis key prefix of its own
# (deleted at exit); starts `govskills serve --demo` (development: production refuses --demo) and
# prepares the catalogue through the API as the demo trainer; then, with --env production (the
# default), restarts GovSkills on the same database and Redis with GOVSKILLS_ENV=production (an
# issuer key generated for the run, placeholder accessibility contacts), which is what is measured;
# starts PostGraphile on the same database; checks that both answers (and catalogue.sql through psql)
# hold the same catalogue; warms each side up, then runs wrk against GovSkills, PostGraphile,
# GovSkills, PostGraphile, ... for --rounds rounds; runs pgbench on catalogue.sql once; prints the
# table and the ratios against the targets of issue 21. Every address is loopback.
set -euo pipefail

duration=10 connections=8 threads=2 rounds=2 warmup=3 env=production json="" keep=0 paragraphs=4
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=${2:?}; shift 2 ;;
    --connections) connections=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --env) env=${2:?}; shift 2 ;;
    --json) json=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    --lesson-paragraphs) paragraphs=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for n in "$duration" "$connections" "$threads" "$rounds" "$warmup" "$paragraphs"; do
  [[ $n =~ ^[0-9]+$ ]] || { echo "not a whole number: $n" >&2; exit 2; }
done
[ "$rounds" -ge 1 ] && [ "$duration" -ge 1 ] && [ "$connections" -ge 1 ] || { echo "--rounds, --duration and --connections must be at least 1" >&2; exit 2; }
case $env in production|development) ;; *) echo "--env is production or development" >&2; exit 2 ;; esac
[ -z "$json" ] || json=$(realpath -m "$json")

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(realpath -m "${GOVSKILLS_SHARED:-$root/../shared}")
bin=${GOVSKILLS_BIN:-$root/target/release/govskills}
peer=${PEER_POSTGRAPHILE:-$shared/bin/peer-postgraphile}
helper=$root/bench/catalogue_vs_postgraphile.py
lua=$root/bench/wrk-post.lua
sql=$shared/perf/catalogue.sql
pg_url=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
redis_url=${BENCH_REDIS_URL:-redis://127.0.0.1:6379}

say() { printf '%s\n' "$*"; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---- what must be there
missing=()
for tool in wrk pgbench psql python3 node npm; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  fail "missing: ${missing[*]} (on Debian: apt-get install wrk postgresql-client python3 nodejs npm)"
fi
[ -x "$bin" ] || fail "no GovSkills binary at $bin: run \`cargo build --release -p govskills-api\` (or set GOVSKILLS_BIN)"
[ -x "$peer" ] || fail "no peer script at $peer (set PEER_POSTGRAPHILE)"
for f in "$sql" "$shared/perf/catalogue.govskills.graphql" "$shared/perf/catalogue.postgraphile.graphql" "$helper" "$lua"; do
  [ -f "$f" ] || fail "missing file: $f"
done
for url in "$pg_url" "$redis_url"; do
  host=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).hostname or "")' "$url")
  case $host in 127.*|localhost|::1) ;; *) fail "$url: only loopback addresses are allowed" ;; esac
done

db=govskills_peer_bench_$$
# Without TLS for all three clients: PostGraphile's driver (node-postgres) does not use it unless
# asked, while sqlx and libpq (pgbench) would negotiate it with a server that offers it, and then
# spend a sixth of their CPU encrypting loopback traffic. Same wire, same work.
db_url="$pg_url/$db?sslmode=disable"
prefix=govskills-peer-bench-$$:
work=$(mktemp -d "${TMPDIR:-/tmp}/catalogue-vs-postgraphile.XXXXXX")
gs_pid="" peer_pid="" db_created=0

stop() { # stop PID [SECONDS]: TERM, wait, then KILL
  local pid=$1 wait_s=${2:-15} i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  set +e
  stop "$peer_pid" 10
  stop "$gs_pid" 15
  if [ "$db_created" = 1 ]; then
    psql -X -q -d "$pg_url/postgres" -c "drop database if exists $db with (force)" >/dev/null 2>&1 \
      || say "warning: could not drop database $db"
  fi
  if command -v redis-cli >/dev/null; then
    redis-cli -u "$redis_url" --scan --pattern "${prefix}*" 2>/dev/null | xargs -r -n 200 redis-cli -u "$redis_url" del >/dev/null 2>&1
  fi
  if [ "$rc" != 0 ]; then
    for log in "$work"/govskills*.log "$work"/peer.log; do
      [ -f "$log" ] && { say "--- last lines of $log:"; tail -n 15 "$log"; }
    done
  fi
  if [ "$keep" = 1 ] || [ "$rc" != 0 ]; then say "working files kept in $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
gs_port=$(free_port)
peer_port=$(free_port)
gs_url=http://127.0.0.1:$gs_port/graphql
peer_url=http://127.0.0.1:$peer_port/graphql

say "== GovSkills against PostGraphile: the catalogue page, $(date -u +%FT%TZ)"
say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t $threads -c $connections -d ${duration}s, $rounds round(s), ${warmup} s warm-up each"
src_paths=(api domain migration Cargo.toml Cargo.lock)
src_dirty() { [ -n "$(git -C "$root" status --porcelain -- "${src_paths[@]}" 2>/dev/null)" ]; }
say "binary: $bin (modified $(date -u -r "$bin" +%FT%TZ)); source tree now: $(git -C "$root" log -1 --format=%h 2>/dev/null || echo '?')$(src_dirty && echo ', with uncommitted changes in api/, domain/, migration/ or Cargo files' || echo ', clean') (the binary may be older)"

# ---- the database and the first (development, --demo) start
psql -X -q -v ON_ERROR_STOP=1 -d "$pg_url/postgres" -c "create database $db" >/dev/null
db_created=1
say "database: $db_url; Redis: $redis_url, key prefix $prefix"

start_govskills() { # start_govskills ENV LOG [--demo]
  local environment=$1 log=$2; shift 2
  (
    unset RUST_LOG
    export GOVSKILLS_ENV=$environment GOVSKILLS_DATABASE_URL=$db_url GOVSKILLS_REDIS_URL=$redis_url \
      GOVSKILLS_REDIS_KEY_PREFIX=$prefix GOVSKILLS_LISTEN=127.0.0.1:$gs_port GOVSKILLS_LOG_FORMAT=json
    if [ "$environment" = production ]; then
      export GOVSKILLS_ISSUER_KEY_FILE=$work/issuer-keys.pem \
        GOVSKILLS_ACCESSIBILITY_CONTACT=accessibility@example.org \
        GOVSKILLS_ACCESSIBILITY_ENFORCEMENT_URL=https://enforcement.example.org/
    fi
    exec "$bin" serve "$@"
  ) >"$log" 2>&1 &
  gs_pid=$!
}

start_govskills development "$work/govskills-seed.log" --demo
python3 "$helper" wait "$gs_url" --timeout 120 --pid "$gs_pid" || fail "GovSkills (development, --demo) did not start"
python3 "$helper" prepare "$gs_url" "$work" --perf "$shared/perf" --paragraphs "$paragraphs"

measured_env=development
if [ "$env" = production ]; then
  stop "$gs_pid" 20; gs_pid=""
  if "$bin" generate-issuer-key >"$work/issuer-keys.pem" 2>"$work/issuer-keys.err"; then
    start_govskills production "$work/govskills.log"
    if python3 "$helper" wait "$gs_url" --timeout 60 --pid "$gs_pid"; then
      measured_env=production
    else
      say "warning: GovSkills did not start with GOVSKILLS_ENV=production:"; tail -n 5 "$work/govskills.log"
      stop "$gs_pid" 5; gs_pid=""
    fi
  else
    say "warning: \`govskills generate-issuer-key\` failed: $(head -c 300 "$work/issuer-keys.err")"
  fi
  if [ "$measured_env" != production ]; then
    say "warning: measuring GovSkills in development instead"
    start_govskills development "$work/govskills.log"
    python3 "$helper" wait "$gs_url" --timeout 60 --pid "$gs_pid" || fail "GovSkills did not restart"
  fi
fi
if [ "$measured_env" = production ]; then
  say "GovSkills measured with GOVSKILLS_ENV=production (pid $gs_pid, $gs_url): the demo data came from a first start in development (production refuses --demo); issuer keys generated for this run, placeholder accessibility contacts, JSON logs, default pool and DataLoader settings"
else
  say "GovSkills measured with GOVSKILLS_ENV=development (pid $gs_pid, $gs_url), JSON logs, default pool and DataLoader settings"
fi

# ---- the peer
say "starting PostGraphile (first use installs it with npm, which can take minutes)"
( export NODE_ENV=production; exec "$peer" "$db_url" "$peer_port" ) >"$work/peer.log" 2>&1 &
peer_pid=$!
python3 "$helper" wait "$peer_url" --timeout 600 --pid "$peer_pid" || fail "PostGraphile did not answer at $peer_url"
# peer-postgraphile execs node, so $peer_pid is the node process; its descendants are counted too.
say "PostGraphile: pid $peer_pid ($(cat /proc/$peer_pid/comm)), $peer_url, NODE_ENV=production"

# ---- the same catalogue on both sides, and from catalogue.sql
python3 "$helper" compare "$gs_url" "$peer_url" "$work" "$db_url" "$sql"

cat >"$work/meta.json" <<EOF
{"date": "$(date -u +%FT%TZ)", "cores": $(nproc), "loadavg_start": "$(cut -d' ' -f1-3 /proc/loadavg)",
 "govskills_env": "$measured_env", "binary": "$bin", "binary_mtime": "$(date -u -r "$bin" +%FT%TZ)",
 "tree_commit": "$(git -C "$root" log -1 --format=%h 2>/dev/null || echo unknown)",
 "tree_dirty": $(src_dirty && echo true || echo false),
 "wrk": "-t $threads -c $connections -d ${duration}s --latency", "rounds": $rounds, "warmup_s": $warmup,
 "postgres": "$(psql -X -tA -d "$pg_url/postgres" -c 'show server_version' 2>/dev/null)",
 "database": "$db", "clk_tck": $(getconf CLK_TCK), "lesson_paragraphs": $paragraphs}
EOF
python3 "$helper" idle "$work"

measure() { # measure SIDE URL PID ROUND [--warmup] [--duration N]
  local side=$1 url=$2 pid=$3 round=$4; shift 4
  python3 "$helper" measure --side "$side" --url "$url" --dir "$work" --pid "$pid" --database "$db" \
    --lua "$lua" --connections "$connections" --threads "$threads" --round "$round" --duration "$duration" "$@"
  sleep 1
}

say "warm-up (${warmup} s each, not recorded):"
if [ "$warmup" -gt 0 ]; then
  measure govskills "$gs_url" "$gs_pid" 0 --warmup --duration "$warmup"
  measure postgraphile "$peer_url" "$peer_pid" 0 --warmup --duration "$warmup"
fi
say "measured runs, alternating:"
for ((r = 1; r <= rounds; r++)); do
  measure govskills "$gs_url" "$gs_pid" "$r"
  measure postgraphile "$peer_url" "$peer_pid" "$r"
done

say "the single-statement limit (pgbench -n -c $connections -j $threads -T $duration -f catalogue.sql):"
python3 "$helper" pgbench "$db_url" "$sql" "$work" --clients "$connections" --threads "$threads" --duration "$duration"

python3 "$helper" hwm "$work" govskills "$gs_pid"
python3 "$helper" hwm "$work" postgraphile "$peer_pid"
python3 "$helper" report "$work" ${json:+--json "$json"}
