-- One wrk script for every scenario of benchmarks/load.py, chosen by BENCH_MODE:
--   get      GET the URL given to wrk (page, count, hello)
--   sign     POST the sign form, a new address every request
--   confirm  press the button of confirmation links read from BENCH_LINKS (a POST), one per request
-- At the end it prints one line of JSON that load.py reads.

local mode = os.getenv("BENCH_MODE") or "get"
local threads = {}
local counter = 0
local links = {}
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  if mode == "confirm" then
    local n = 0
    for line in io.lines(os.getenv("BENCH_LINKS")) do
      n = n + 1
      -- Threads take turns through the file, so no two confirm the same link.
      if n % nthreads == id - 1 then table.insert(links, line) end
    end
  end
end

function request()
  counter = counter + 1
  if mode == "sign" then
    local email = string.format("bench-%d-%d-%d@example.org", tonumber(os.getenv("BENCH_RUN") or "0"), id, counter)
    local body = "full_name=" .. urlencode("Ада Lovelace " .. counter)
      .. "&email=" .. urlencode(email) .. "&country=BY&city=Minsk"
      .. "&served=" .. urlencode(os.getenv("BENCH_STAMP")) .. "&website="
    return wrk.format("POST", os.getenv("BENCH_PATH"), {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = os.getenv("BENCH_ORIGIN"),
      ["Sec-Fetch-Site"] = "same-origin",
    }, body)
  elseif mode == "confirm" then
    local link = links[(counter - 1) % #links + 1]
    -- Opening the link only shows the button; pressing it POSTs, as a browser does, from the same origin.
    return wrk.format("POST", link, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Origin"] = os.getenv("BENCH_ORIGIN"),
      ["Sec-Fetch-Site"] = "same-origin",
    }, "served=" .. urlencode(os.getenv("BENCH_STAMP")))
  end
  return wrk.format("GET")
end

function done(summary, latency, requests)
  local s = summary.errors
  local errors = s.connect + s.read + s.write + s.timeout + s.status
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "errors": %d, "status_errors": %d, '
    .. '"p50_ms": %.3f, "p99_ms": %.3f, "mean_ms": %.3f}\n',
    summary.requests, summary.duration / 1e6, errors, s.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.mean / 1000))
end
