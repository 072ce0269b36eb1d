#!/usr/bin/env bash
# HTTP throughput of lvyuan compared with nginx serving the same bytes as
# static files. A benchmark, not a test: run it on a quiet machine.
#
# Build the binary first (the script builds nothing):
#   cmake --preset bench && cmake --build --preset bench --target lvyuan
# then, from the repository root:
#   bench/http_bench.sh
#
# Environment:
#   LVYUAN_BIN      the lvyuan binary (default build/bench/src/app/lvyuan)
#   BENCH_DURATION  seconds per measured run (default 10)
#   BENCH_WARMUP    seconds of warm-up before each run (default 2)
#   BENCH_THREADS   wrk threads (default 2)
#   BENCH_CONNS     wrk connections (default 32)
#   BENCH_MIN_RATIO lowest acceptable lvyuan/nginx ratio (default 0.5)
#
# Scenarios: (a) GET /healthz, (b) GET /api/v1/me with a signed-in session
# (hzhb_officer of the demo deployment). nginx (2 worker processes, no access
# log) serves the two bodies lvyuan returned, with default_type
# application/json. Prints requests/s, the ratio and latency p50/p99, and exits
# 1 when either ratio is below BENCH_MIN_RATIO (2 on a set-up failure).
# Everything listens on 127.0.0.1 only; every process started is stopped on exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${LVYUAN_BIN:-$root/build/bench/src/app/lvyuan}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNS:-32}
min_ratio=${BENCH_MIN_RATIO:-0.5}
password='Lvyuan@2026demo'

die() {
  echo "http_bench: $*" >&2
  exit 2
}
# free_port, start_static_nginx, run_wrk
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

[[ -x $bin ]] || die "no lvyuan binary at $bin (cmake --preset bench && cmake --build --preset bench --target lvyuan, or set LVYUAN_BIN)"
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvyuan-bench.XXXXXX")
lvyuan_pid=""
nginx_pid=""
trap stop_and_clean_up EXIT
trap 'exit 130' INT TERM

# Waits until file $1 has a line matching $2, for at most $3 tenths of a second.
wait_for_line() {
  local file=$1 pattern=$2 tenths=$3
  for ((i = 0; i < tenths; i++)); do
    if grep -q -- "$pattern" "$file" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# ---- lvyuan: demo deployment, server, session
cd "$root"
"$bin" demo --data "$tmp/data" >"$tmp/demo.log" 2>&1 || die "lvyuan demo failed: $(cat "$tmp/demo.log")"
LVYUAN_LOG_ACCESS_LOG="$tmp/access.log" LVYUAN_LOG_LEVEL=warn \
  "$bin" serve --data "$tmp/data" --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
lvyuan_pid=$!
wait_for_line "$tmp/serve.out" '^lvyuan listening on ' 300 ||
  die "lvyuan did not start: $(cat "$tmp/serve.err")"
lvyuan_url=$(sed -n 's/^lvyuan listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$tmp/serve.out")
[[ -n $lvyuan_url ]] || die "could not read the listening address: $(cat "$tmp/serve.out")"

curl -sS -o "$tmp/login.json" -D "$tmp/login.headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  --data "{\"username\":\"hzhb_officer\",\"password\":\"$password\"}" \
  "$lvyuan_url/api/v1/auth/login" >"$tmp/login.status"
[[ $(cat "$tmp/login.status") == 200 ]] || die "login failed: $(cat "$tmp/login.json")"
cookie=$(tr -d '\r' <"$tmp/login.headers" |
  sed -n 's/^[Ss]et-[Cc]ookie: *\(__Host-lvyuan=[^;]*\).*/\1/p' | head -n 1)
[[ -n $cookie ]] || die "login answered no __Host-lvyuan cookie"
export BENCH_COOKIE=$cookie

# ---- the same bytes as static files for nginx
mkdir -p "$tmp/www/api/v1" "$tmp/nginx"
status=$(curl -sS -o "$tmp/www/healthz" -w '%{http_code}' "$lvyuan_url/healthz")
[[ $status == 200 ]] || die "GET /healthz answered $status"
status=$(curl -sS -o "$tmp/www/api/v1/me" -w '%{http_code}' -H "Cookie: $cookie" "$lvyuan_url/api/v1/me")
[[ $status == 200 ]] || die "GET /api/v1/me answered $status"

start_static_nginx /api/v1/me

# ---- measure
declare -A result
for scenario in healthz me; do
  case $scenario in
    healthz) path=/healthz ;;
    me) path=/api/v1/me ;;
  esac
  result[lvyuan_$scenario]=$(run_wrk "$lvyuan_url$path")
  result[nginx_$scenario]=$(run_wrk "$nginx_url$path")
done

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

echo
echo "wrk -t$threads -c$conns -d${duration}s (after ${warmup}s warm-up), $(nproc) CPUs, $bin"
printf '%-16s %12s %12s %7s %20s %20s\n' scenario "lvyuan rps" "nginx rps" ratio \
  "lvyuan p50/p99 ms" "nginx p50/p99 ms"
failed=0
for scenario in healthz me; do
  read -r l_rps l_p50 l_p99 <<<"${result[lvyuan_$scenario]}"
  read -r n_rps n_p50 n_p99 <<<"${result[nginx_$scenario]}"
  ratio=$(awk -v a="$l_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  case $scenario in
    healthz) label="GET /healthz" ;;
    me) label="GET /api/v1/me" ;;
  esac
  printf '%-16s %12.0f %12.0f %7s %20s %20s\n' "$label" "$l_rps" "$n_rps" "$ratio" \
    "$(ms "$l_p50") / $(ms "$l_p99")" "$(ms "$n_p50") / $(ms "$n_p99")"
  if awk -v r="$ratio" -v m="$min_ratio" 'BEGIN { exit !(r < m) }'; then
    echo "http_bench: $label: lvyuan reaches ${ratio}x nginx, below the ${min_ratio}x target" >&2
    failed=1
  fi
done
exit "$failed"
