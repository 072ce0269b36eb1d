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

[[ -x $bin ]] || die "no lvyuan binary at $bin (cmake --preset bench && cmake --build --preset bench --target lvyuan, or set LVYUAN_BIN)"
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvyuan-bench.XXXXXX")
lvyuan_pid=""
nginx_pid=""
cleanup() {
  if [[ -n $lvyuan_pid ]]; then kill -TERM "$lvyuan_pid" 2>/dev/null || true; fi
  if [[ -n $nginx_pid ]]; then kill -QUIT "$nginx_pid" 2>/dev/null || true; fi
  if [[ -n $lvyuan_pid ]]; then wait "$lvyuan_pid" 2>/dev/null || true; fi
  if [[ -n $nginx_pid ]]; then wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
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

nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
  echo $((20000 + RANDOM % 20000)))
user_line=""
if [[ $(id -u) == 0 ]]; then
  # nginx started by root switches its workers to this user, who must read the files.
  user_line="user nobody nogroup;"
  chmod 755 "$tmp" "$tmp/www" "$tmp/www/api" "$tmp/www/api/v1"
  chmod 644 "$tmp/www/healthz" "$tmp/www/api/v1/me"
fi
cat >"$tmp/nginx/nginx.conf" <<NGINX
$user_line
daemon off;
master_process on;
worker_processes 2;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
    location / { try_files \$uri =404; }
  }
}
NGINX
nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
  >"$tmp/nginx/stdout.log" 2>&1 &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port"
for ((i = 0; i < 50; i++)); do
  curl -s -o /dev/null "$nginx_url/healthz" && break
  kill -0 "$nginx_pid" 2>/dev/null || die "nginx did not start: $(cat "$tmp/nginx/error.log" 2>/dev/null)"
  sleep 0.1
done
cmp -s <(curl -sS "$nginx_url/api/v1/me") "$tmp/www/api/v1/me" ||
  die "nginx does not serve the saved body: $(cat "$tmp/nginx/error.log" 2>/dev/null)"

# ---- measure
# run_wrk URL → "rps p50_us p99_us"; dies when any response was not 2xx.
run_wrk() {
  local url=$1
  wrk -t"$threads" -c"$conns" -d"${warmup}s" -s "$here/wrk_report.lua" "$url" >/dev/null 2>&1 || true
  local out
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency -s "$here/wrk_report.lua" "$url" 2>&1) ||
    die "wrk failed against $url: $out"
  echo "$out" >>"$tmp/wrk.log"
  local line
  line=$(grep '^BENCH ' <<<"$out") || die "no BENCH line from wrk: $out"
  local non2xx socket_errors
  non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line")
  socket_errors=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$line")
  [[ $non2xx == 0 ]] || die "$non2xx responses from $url were not 2xx"
  [[ $socket_errors == 0 ]] || echo "http_bench: $socket_errors socket errors against $url" >&2
  sed -n 's/.* rps=\([0-9.]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/\1 \2 \3/p' <<<"$line"
}

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
