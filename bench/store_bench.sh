#!/usr/bin/env bash
# Durable actions per second and authenticated reads per second through the
# HTTP API, on SQLite and on PostgreSQL, with one and with two `lvyuan serve`
# processes on the same database. A benchmark, not a test: run it on a quiet
# machine.
#
# Build the binary first (the script builds nothing):
#   cmake --preset bench && cmake --build --preset bench --target lvyuan
# then, from the repository root:
#   bench/store_bench.sh
#
# Environment:
#   LVYUAN_BIN      the lvyuan binary (default build/bench/src/app/lvyuan)
#   BENCH_BACKENDS  which backends (default "sqlite postgresql"); PostgreSQL
#                   runs on a throw-away cluster (scripts/pg-test-cluster)
#   BENCH_DURATION  seconds per measured run (default 10)
#   BENCH_WARMUP    seconds of warm-up before each run (default 2)
#   BENCH_CONNS     wrk connections in all, split over the processes (default 32)
#
# Scenarios, each on a fresh demo deployment:
#   read    GET /api/v1/units?limit=20 signed in as sysadmin (session
#           check + a page of units from the database)
#   action  PATCH /api/v1/units/{own unit} changing the contact phone: a
#           durable write with one record event, answered after the commit
# With two processes, one wrk per process runs at the same time with half the
# connections; the figure is their sum. After the action runs `lvyuan audit
# verify` must pass and the record must hold at least one event per
# acknowledged action. Everything listens on 127.0.0.1 only; every process
# started is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${LVYUAN_BIN:-$root/build/bench/src/app/lvyuan}
backends=${BENCH_BACKENDS:-sqlite postgresql}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
conns=${BENCH_CONNS:-32}
password='Lvyuan@2026demo'

die() {
  echo "store_bench: $*" >&2
  exit 2
}

[[ -x $bin ]] || die "no lvyuan binary at $bin (cmake --preset bench && cmake --build --preset bench --target lvyuan, or set LVYUAN_BIN)"
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvyuan-store-bench.XXXXXX")
chmod 755 "$tmp"
pids=()
pg_dir=""
stop_servers() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_servers
  if [[ -n $pg_dir ]]; then bash "$root/scripts/pg-test-cluster" stop "$pg_dir" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for_line() {
  local file=$1 pattern=$2 tenths=$3
  for ((i = 0; i < tenths; i++)); do
    if grep -q -- "$pattern" "$file" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

pg_base=""
if [[ " $backends " == *" postgresql "* ]]; then
  pg_dir="$tmp/pg"
  pg_base=$(bash "$root/scripts/pg-test-cluster" start "$pg_dir") || die "could not start PostgreSQL"
fi

run=0
# deploy BACKEND → sets data_dir and exports LVYUAN_STORE_URL for a fresh
# demo deployment.
deploy() {
  local backend=$1
  run=$((run + 1))
  data_dir="$tmp/run$run"
  if [[ $backend == postgresql ]]; then
    psql --quiet --no-psqlrc -v ON_ERROR_STOP=1 "$pg_base" \
      -c "CREATE DATABASE bench_$run LOCALE 'C.UTF-8' ENCODING 'UTF8' TEMPLATE template0" >/dev/null ||
      die "CREATE DATABASE failed"
    export LVYUAN_STORE_URL="${pg_base%/*}/bench_$run"
  else
    unset LVYUAN_STORE_URL
  fi
  "$bin" demo --data "$data_dir" >"$tmp/demo$run.log" 2>&1 || die "lvyuan demo failed: $(tail -n 5 "$tmp/demo$run.log")"
}

# start_servers N → sets urls=(...) of N serve processes on data_dir.
start_servers() {
  local n=$1 i out
  urls=()
  for ((i = 0; i < n; i++)); do
    out="$tmp/serve$run.$i"
    LVYUAN_LOG_LEVEL=warn "$bin" serve --data "$data_dir" --listen 127.0.0.1:0 >"$out.out" 2>"$out.err" &
    pids+=($!)
    wait_for_line "$out.out" '^lvyuan listening on ' 300 || die "lvyuan did not start: $(cat "$out.err")"
    urls+=("$(sed -n 's/^lvyuan listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$out.out")")
  done
}

# sign_in URL → exports BENCH_COOKIE and BENCH_CSRF, sets unit_id.
sign_in() {
  local url=$1
  curl -sS -o "$tmp/login.json" -D "$tmp/login.headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    --data "{\"username\":\"sysadmin\",\"password\":\"$password\"}" \
    "$url/api/v1/auth/login" >"$tmp/login.status"
  [[ $(cat "$tmp/login.status") == 200 ]] || die "login failed: $(cat "$tmp/login.json")"
  BENCH_COOKIE=$(tr -d '\r' <"$tmp/login.headers" |
    sed -n 's/^[Ss]et-[Cc]ookie: *\(__Host-lvyuan=[^;]*\).*/\1/p' | head -n 1)
  BENCH_CSRF=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrf_token"])' "$tmp/login.json")
  unit_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["user"]["unit"]["id"])' "$tmp/login.json")
  export BENCH_COOKIE BENCH_CSRF
}

# measure SCENARIO → sets measured="rps p50_us p99_us requests", summed over
# every url (latencies: the highest of the processes).
measure() {
  local scenario=$1 script path n=${#urls[@]} i
  local per=$((conns / n))
  ((per >= 1)) || per=1
  case $scenario in
    read) script="$here/wrk_report.lua" path="/api/v1/units?limit=20" ;;
    action) script="$here/wrk_action.lua" path="/api/v1/units/$unit_id" ;;
  esac
  export BENCH_PATH=$path
  local waiting=()
  for ((i = 0; i < n; i++)); do
    wrk -t1 -c"$per" -d"${warmup}s" -s "$script" "${urls[$i]}$path" >/dev/null 2>&1 &
    waiting+=($!)
  done
  wait "${waiting[@]}" || true
  waiting=()
  for ((i = 0; i < n; i++)); do
    wrk -t1 -c"$per" -d"${duration}s" --latency -s "$script" "${urls[$i]}$path" >"$tmp/wrk.$i" 2>&1 &
    waiting+=($!)
  done
  wait "${waiting[@]}" || die "wrk failed: $(cat "$tmp"/wrk.*)"
  local total=0 requests=0 p50=0 p99=0 line non2xx
  for ((i = 0; i < n; i++)); do
    cat "$tmp/wrk.$i" >>"$tmp/wrk.log"
    line=$(grep '^BENCH ' "$tmp/wrk.$i") || die "no BENCH line from wrk: $(cat "$tmp/wrk.$i")"
    non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line")
    [[ $non2xx == 0 ]] || die "$scenario: $non2xx responses were not 2xx"
    read -r r q a b <<<"$(sed -n 's/.* requests=\([0-9]*\) rps=\([0-9.]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/\2 \1 \3 \4/p' <<<"$line")"
    total=$(awk -v t="$total" -v r="$r" 'BEGIN { print t + r }')
    requests=$((requests + q))
    ((a > p50)) && p50=$a
    ((b > p99)) && p99=$b
  done
  measured="$total $p50 $p99 $requests"
}

# check_record ACKNOWLEDGED: audit verify passes and the record holds at least
# one event per acknowledged action (warm-up actions come on top).
check_record() {
  "$bin" audit verify --data "$data_dir" >"$tmp/verify$run.log" 2>&1 ||
    die "audit verify failed after the run: $(tail -n 5 "$tmp/verify$run.log")"
  local events
  events=$(sed -n 's/^ *事件 events: *\([0-9]*\) \/.*/\1/p' "$tmp/verify$run.log")
  [[ -n $events ]] || die "audit verify printed no event count: $(cat "$tmp/verify$run.log")"
  ((events >= $1)) || die "the record holds $events events for $1 acknowledged actions"
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

results=()
for backend in $backends; do
  for processes in 1 2; do
    for scenario in read action; do
      deploy "$backend"
      start_servers "$processes"
      sign_in "${urls[0]}"
      measure "$scenario"
      read -r rps p50 p99 requests <<<"$measured"
      stop_servers
      if [[ $scenario == action ]]; then check_record "$requests"; fi
      results+=("$(printf '%-11s %9s %-7s %10.0f %8s %8s' "$backend" "$processes" "$scenario" "$rps" "$(ms "$p50")" "$(ms "$p99")")")
    done
  done
done

echo
echo "wrk, $conns connections in all, ${duration}s after ${warmup}s warm-up, $(nproc) CPUs, $bin"
printf '%-11s %9s %-7s %10s %8s %8s\n' backend processes request "req/s" "p50 ms" "p99 ms"
printf '%s\n' "${results[@]}"
