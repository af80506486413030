-- wrk script for benchmarks/page_cache.py.
-- BENCH_HEADERS holds extra request headers, one "Name: value" a line (the member cookie,
-- Accept-Version). done() prints one line the benchmark parses: wrk's own totals, the
-- latency percentiles, and the errors: responses with a status of 400 or more (wrk counts
-- them itself, so no per-response Lua callback slows the client) and socket errors.
local extra = os.getenv("BENCH_HEADERS") or ""
for name, value in extra:gmatch("([^:\n]+):%s*([^\n]*)") do
  wrk.headers[name] = value
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d "
      .. "status=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout
  ))
end
