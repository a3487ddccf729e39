-- wrk script for tools/bench.sh: replays one fixed request (method POST, path, headers, body read
-- from the directory in $XKS_BENCH_REQUEST: files "path", "headers" (one "Name: value" a line) and
-- "body"), and prints one JSON line of results at the end.
--
-- A SigV4 signature carries no nonce: the proxy accepts the same signed request again and again for
-- as long as its X-Amz-Date is within the allowed clock skew (5 minutes), so one request signed by
-- curl just before the run can be replayed by every connection for the whole run.
local dir = assert(os.getenv("XKS_BENCH_REQUEST"), "XKS_BENCH_REQUEST is not set")

local function slurp(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

wrk.method = "POST"
wrk.path = (slurp("path"):gsub("%s+$", ""))
wrk.body = slurp("body")
for line in slurp("headers"):gmatch("[^\r\n]+") do
  local name, value = line:match("^([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

-- latency is in microseconds. wrk counts a request with a non-2xx/3xx answer in errors.status.
-- wrk starts a request's clock when it writes it, so with "Connection: close" the TCP connect and
-- the TLS handshake before it are not in the latency (they are in the requests per second).
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local ok = summary.requests - e.status
  io.write(string.format(
    '{"requests":%d,"ok":%d,"duration_s":%.3f,"rps":%.1f,"answers_per_s":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, ok, seconds, ok / seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
