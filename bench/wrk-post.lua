-- wrk script: POST one GraphQL request body, over and over, and print a machine-readable summary.
--
--   WRK_BODY_FILE=body.json [WRK_AUTH="Bearer TOKEN"] wrk -t 2 -c 8 -d 10s --latency -s bench/wrk-post.lua URL
--
-- WRK_BODY_FILE (required): the request body, sent as is with `Content-Type: application/json`.
-- WRK_AUTH (optional): the value of the `Authorization` header; left out when unset or empty.
-- The path is the URL's (e.g. http://127.0.0.1:18080/graphql). The summary is one line on standard
-- output, after wrk's own report: `WRK_JSON {...}` with requests, duration, bytes, errors and
-- latency percentiles in microseconds (used by bench/catalogue_vs_postgraphile.py).
-- wrk counts any HTTP 2xx/3xx as a success, including a GraphQL answer with `errors`: check the
-- answer separately.

local path = os.getenv("WRK_BODY_FILE")
if path == nil or path == "" then
  error("WRK_BODY_FILE is not set: the file with the request body")
end
local file = assert(io.open(path, "rb"), "cannot open WRK_BODY_FILE " .. path)
local body = file:read("*a")
file:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("WRK_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end

function done(summary, latency, requests)
  local e = summary.errors
  local p = {}
  for _, q in ipairs({50, 75, 90, 99, 99.9}) do
    p[#p + 1] = string.format('"%s":%d', tostring(q), latency:percentile(q))
  end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"stdev":%.1f,"percentiles":{%s}}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, table.concat(p, ",")))
end
