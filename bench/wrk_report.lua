-- wrk script for bench/http_bench.sh.
-- Sends the session cookie given in the environment variable BENCH_COOKIE
-- (when set) with every request, and prints one machine-readable line when the
-- run ends:
--   BENCH requests=N rps=R p50_us=X p99_us=Y non2xx=N socket_errors=N
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
