# shellcheck shell=bash
# shellcheck disable=SC2154  # die, here, tmp, threads, conns, warmup, duration: the sourcing script's
# Shared by the HTTP benchmarks (http_bench.sh, matters_bench.sh): a free
# loopback port, nginx serving saved response bodies as static files, and a
# wrk run reduced to "rps p50_us p99_us". Sourced; the sourcing script
# defines die, here (this folder), tmp (its temporary folder), threads,
# conns, warmup and duration.

# On exit: stops the lvyuan server and nginx the script started (lvyuan_pid,
# nginx_pid, empty when none) and removes $tmp.
stop_and_clean_up() {
  if [[ -n ${lvyuan_pid:-} ]]; then kill -TERM "$lvyuan_pid" 2>/dev/null || true; fi
  if [[ -n ${nginx_pid:-} ]]; then kill -QUIT "$nginx_pid" 2>/dev/null || true; fi
  if [[ -n ${lvyuan_pid:-} ]]; then wait "$lvyuan_pid" 2>/dev/null || true; fi
  if [[ -n ${nginx_pid:-} ]]; then wait "$nginx_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

# start_static_nginx FIRST: serves $tmp/www on a free loopback port (2
# workers, sendfile, keep-alive, no access log) with its files under
# $tmp/nginx; waits until FIRST (a path under www, e.g. /all.json) answers
# with the saved bytes. Sets nginx_pid and nginx_url (the caller stops it).
start_static_nginx() {
  local first=$1
  local port
  port=$(free_port)
  mkdir -p "$tmp/nginx"
  local user_line=""
  if [[ $(id -u) == 0 ]]; then
    # nginx started by root switches its workers to this user, who must read the files.
    user_line="user nobody nogroup;"
    chmod 755 "$tmp"
    chmod -R a+rX "$tmp/www"
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
    listen 127.0.0.1:$port;
    root $tmp/www;
    location / { try_files \$uri =404; }
  }
}
NGINX
  nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
    >"$tmp/nginx/stdout.log" 2>&1 &
  nginx_pid=$!
  nginx_url="http://127.0.0.1:$port"
  local i
  for ((i = 0; i < 50; i++)); do
    curl -s -o /dev/null "$nginx_url$first" && break
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx did not start: $(cat "$tmp/nginx/error.log" 2>/dev/null)"
    sleep 0.1
  done
  cmp -s <(curl -sS "$nginx_url$first") "$tmp/www$first" ||
    die "nginx does not serve the saved body: $(cat "$tmp/nginx/error.log" 2>/dev/null)"
}

# run_wrk URL → "rps p50_us p99_us" after a warm-up; dies when any response
# was not 2xx; each run's output is appended to $tmp/wrk.log.
run_wrk() {
  local url=$1
  timeout $((warmup + 30)) wrk -t"$threads" -c"$conns" -d"${warmup}s" -s "$here/wrk_report.lua" "$url" >/dev/null 2>&1 || true
  local out
  out=$(timeout $((duration + 30)) wrk -t"$threads" -c"$conns" -d"${duration}s" --latency \
    -s "$here/wrk_report.lua" "$url" 2>&1) || die "wrk failed against $url: $out"
  echo "$out" >>"$tmp/wrk.log"
  local line
  line=$(grep '^BENCH ' <<<"$out") || die "no BENCH line from wrk: $out"
  local non2xx socket_errors
  non2xx=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$line")
  socket_errors=$(sed -n 's/.* socket_errors=\([0-9]*\).*/\1/p' <<<"$line")
  [[ $non2xx == 0 ]] || die "$non2xx responses from $url were not 2xx"
  [[ ${socket_errors:-0} == 0 ]] || echo "$(basename "$0"): $socket_errors socket errors against $url" >&2
  sed -n 's/.* rps=\([0-9.]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/\1 \2 \3/p' <<<"$line"
}
