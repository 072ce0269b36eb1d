-- wrk script for bench/store_bench.sh: a durable action per request.
-- Sends PATCH BENCH_PATH with a JSON body that changes the unit's contact
-- phone to a new number each time (so every request changes the unit and
-- writes one record event), the session cookie BENCH_COOKIE and the CSRF
-- token BENCH_CSRF. Prints the same BENCH line as wrk_report.lua.
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF")
local path = os.getenv("BENCH_PATH")
local counter = 0
local thread_tag = 0
local threads = {}

function setup(thread)
  thread_tag = thread_tag + 1
  thread:set("tag", thread_tag)
  table.insert(threads, thread)
end

function init(args)
  tag = tag or 0
end

function request()
  counter = counter + 1
  local phone = string.format("0572-%d%07d", tag % 10, counter % 10000000)
  return wrk.format("PATCH", path, {
    ["Cookie"] = cookie,
    ["X-CSRF-Token"] = csrf,
    ["Content-Type"] = "application/json",
  }, '{"contact_phone":"' .. phone .. '"}')
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
