#!/usr/bin/env bash
# The matter list over a large deployment (issue 6): `GET /api/v1/matters`
# (20 rows, with filters) for a busy unit over BENCH_MATTERS matters, compared
# with nginx serving the same response bytes as static files. A benchmark,
# not a test: run it on a quiet machine.
#
# Build the binary first (the script builds nothing):
#   cmake --preset release && cmake --build --preset release --target lvyuan
# then, from the repository root:
#   bench/matters_bench.sh
#
# Environment:
#   LVYUAN_BIN      the lvyuan binary (default build/release/src/app/lvyuan)
#   BENCH_MATTERS   matters in the deployment (default 1000000)
#   BENCH_DATA      an existing deployment directory to reuse (made by
#                   `lvyuan demo --matters N`; default: a new one in a temp dir,
#                   removed on exit)
#   BENCH_USER      the signed-in demo user (default hzhb_officer, of the unit
#                   that sees about 40 % of the matters)
#   BENCH_DURATION  seconds per measured run (default 10)
#   BENCH_WARMUP    seconds of warm-up before each run (default 2)
#   BENCH_THREADS   wrk threads (default 2)
#   BENCH_CONNS     wrk connections (default 64)
#
# Prints the deployment's generation time (when made), the server's cold
# start (process start → first 200 from /healthz), then per list query:
# requests/s of lvyuan and nginx, the ratio, p50/p99, and the server's
# VmRSS/VmHWM after the runs. Targets: ratio ≥ 0.5, p99 < 10 ms, RSS < 150 MB,
# cold start < 1 s; exits 1 when one is missed (2 on a set-up failure).
# Everything listens on 127.0.0.1 only; every process started is stopped on
# exit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bin=${LVYUAN_BIN:-$root/build/release/src/app/lvyuan}
matters=${BENCH_MATTERS:-1000000}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-2}
threads=${BENCH_THREADS:-2}
conns=${BENCH_CONNS:-64}
user=${BENCH_USER:-hzhb_officer}
password='Lvyuan@2026demo'

die() {
  echo "matters_bench: $*" >&2
  exit 2
}
# free_port, start_static_nginx, run_wrk
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

[[ -x $bin ]] || die "no lvyuan binary at $bin (cmake --preset release && cmake --build --preset release --target lvyuan, or set LVYUAN_BIN)"
for tool in wrk curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install $tool)"
done
command -v nginx >/dev/null || die "nginx is not installed (as root: apt-get install nginx-light)"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvyuan-matters-bench.XXXXXX")
lvyuan_pid=""
nginx_pid=""
trap stop_and_clean_up EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# ---- the deployment
cd "$root"
if [[ -n ${BENCH_DATA:-} ]]; then
  data=$BENCH_DATA
  [[ -d $data ]] || die "BENCH_DATA=$data is not a directory"
  generated="reused $data"
else
  data=$tmp/data
  started=$(now_ms)
  # Bounded: a million matters take minutes, not hours.
  timeout 3600 "$bin" demo --data "$data" --matters "$matters" >"$tmp/demo.log" 2>&1 ||
    die "lvyuan demo --matters $matters failed: $(tail -n 5 "$tmp/demo.log")"
  generated="$matters matters generated in $(awk -v ms=$(($(now_ms) - started)) 'BEGIN { printf "%.1f", ms / 1000 }') s"
fi

# ---- cold start: process start → first 200 from /healthz
port=$(free_port)
lvyuan_url="http://127.0.0.1:$port"
started=$(now_ms)
# Reminders once a day: the measured runs are reads only.
LVYUAN_LOG_LEVEL=warn LVYUAN_MATTERS_REMINDER_INTERVAL_S=86400 \
  "$bin" serve --data "$data" --listen "127.0.0.1:$port" >"$tmp/serve.out" 2>"$tmp/serve.err" &
lvyuan_pid=$!
cold=""
for ((i = 0; i < 3000; i++)); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "$lvyuan_url/healthz" 2>/dev/null) == 200 ]]; then
    cold=$(($(now_ms) - started))
    break
  fi
  kill -0 "$lvyuan_pid" 2>/dev/null || die "lvyuan did not start: $(cat "$tmp/serve.err")"
  sleep 0.01
done
[[ -n $cold ]] || die "lvyuan did not answer /healthz within 30 s: $(cat "$tmp/serve.err")"

curl -sS -o "$tmp/login.json" -D "$tmp/login.headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  --data "{\"username\":\"$user\",\"password\":\"$password\"}" \
  "$lvyuan_url/api/v1/auth/login" >"$tmp/login.status"
[[ $(cat "$tmp/login.status") == 200 ]] || die "login as $user failed: $(cat "$tmp/login.json")"
cookie=$(tr -d '\r' <"$tmp/login.headers" |
  sed -n 's/^[Ss]et-[Cc]ookie: *\(__Host-lvyuan=[^;]*\).*/\1/p' | head -n 1)
[[ -n $cookie ]] || die "login answered no __Host-lvyuan cookie"
export BENCH_COOKIE=$cookie

# ---- the list queries, and their bytes as static files for nginx
declare -A query=(
  [all]='limit=20'
  [clue_closed]='limit=20&kind=clue&state=closed'
  [water_3305]='limit=20&kind=clue&domain=water&region=3305'
)
names=(all clue_closed water_3305)
mkdir -p "$tmp/www"
for name in "${names[@]}"; do
  status=$(curl -sS -o "$tmp/www/$name.json" -w '%{http_code}' -H "Cookie: $cookie" \
    "$lvyuan_url/api/v1/matters?${query[$name]}")
  [[ $status == 200 ]] || die "GET /api/v1/matters?${query[$name]} answered $status: $(cat "$tmp/www/$name.json")"
done

start_static_nginx /all.json

# ---- measure
declare -A result
for name in "${names[@]}"; do
  result[lvyuan_$name]=$(run_wrk "$lvyuan_url/api/v1/matters?${query[$name]}")
  result[nginx_$name]=$(run_wrk "$nginx_url/$name.json")
done
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$lvyuan_pid/status")
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$lvyuan_pid/status")

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

echo
echo "$generated; signed in as $user; $(nproc) CPUs; $bin"
echo "cold start (start → /healthz 200): ${cold} ms"
echo "wrk -t$threads -c$conns -d${duration}s (after ${warmup}s warm-up)"
printf '%-52s %10s %10s %6s %18s %18s %8s\n' "GET /api/v1/matters?" "lvyuan rps" "nginx rps" ratio \
  "lvyuan p50/p99 ms" "nginx p50/p99 ms" bytes
failed=0
for name in "${names[@]}"; do
  read -r l_rps l_p50 l_p99 <<<"${result[lvyuan_$name]}"
  read -r n_rps n_p50 n_p99 <<<"${result[nginx_$name]}"
  ratio=$(awk -v a="$l_rps" -v b="$n_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  printf '%-52s %10.0f %10.0f %6s %18s %18s %8s\n' "${query[$name]}" "$l_rps" "$n_rps" "$ratio" \
    "$(ms "$l_p50") / $(ms "$l_p99")" "$(ms "$n_p50") / $(ms "$n_p99")" \
    "$(stat -c %s "$tmp/www/$name.json")"
  if awk -v r="$ratio" 'BEGIN { exit !(r < 0.5) }'; then
    echo "matters_bench: ${query[$name]}: ratio $ratio below 0.5" >&2
    failed=1
  fi
  if ((l_p99 >= 10000)); then
    echo "matters_bench: ${query[$name]}: p99 $(ms "$l_p99") ms, not below 10 ms" >&2
    failed=1
  fi
done
echo "server VmRSS $((rss_kb / 1024)) MB, VmHWM $((hwm_kb / 1024)) MB"
if ((hwm_kb >= 150 * 1024)); then
  echo "matters_bench: VmHWM $((hwm_kb / 1024)) MB, not below 150 MB" >&2
  failed=1
fi
if ((cold >= 1000)); then
  echo "matters_bench: cold start $cold ms, not below 1 s" >&2
  failed=1
fi
exit "$failed"
