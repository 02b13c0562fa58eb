-- wrk script of bench/run.sh: POSTs one JSON body (a GraphQL request) per
-- request and reports one machine-readable line from done().
--
-- Environment:
--   BENCH_BODY    file with the request body
--   BENCH_KIND    static (default): send the body as is
--                 unique: replace @@VALUE@@ in the body with
--                   bench-<BENCH_RUN>-t<thread>-<counter>, new every request
--                 pool: replace @@VALUE@@ with the next line of BENCH_POOL;
--                   each thread takes its own slice of the lines and stops
--                   when it is used up (e.g. pending orders for placeOrder)
--   BENCH_TOKEN   bearer token (optional)
--   BENCH_RUN     unique prefix (unique)
--   BENCH_POOL    file, one value a line (pool)
--   BENCH_THREADS the -t value (pool: how many slices)
--
-- A 200 response whose body has "errors" or a non-empty "userErrors" counts
-- as a GraphQL error.
--
-- Output, one line on stdout:
--   BENCH requests=… elapsed_us=… p50_us=… p99_us=… non2xx=… sockerr=…
--         gqlerr=… exhausted=… issued=…
-- elapsed_us is wrk's duration, or, when a pool ran out, the time from the
-- first request to the last response. issued is how many pool values were
-- sent (responses of requests in flight when a thread stops are not read).

local ffi_ok, ffi = pcall(require, "ffi")
local now_us
if ffi_ok then
  pcall(ffi.cdef, [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]])
  local ts = ffi.new("bench_timespec")
  now_us = function()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
  end
end

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local kind = os.getenv("BENCH_KIND") or "static"
local token = os.getenv("BENCH_TOKEN") or ""
local headers = { ["Content-Type"] = "application/json" }
if token ~= "" then
  headers["Authorization"] = "Bearer " .. token
end

local body, before, after, pool, last, idx, counter, run, static_req

-- Read by done() through thread:get, so these are globals.
gqlerr, exhausted, first_us, last_us, issued = 0, 0, 0, 0, 0

function init(args)
  local f = assert(io.open(assert(os.getenv("BENCH_BODY"), "BENCH_BODY is not set"), "rb"))
  body = f:read("*a")
  f:close()
  if kind == "static" then
    static_req = wrk.format("POST", nil, headers, body)
    return
  end
  local at = assert(string.find(body, "@@VALUE@@", 1, true), "no @@VALUE@@ in " .. os.getenv("BENCH_BODY"))
  before, after = string.sub(body, 1, at - 1), string.sub(body, at + 9)
  if kind == "unique" then
    run = os.getenv("BENCH_RUN") or tostring(os.time())
    counter = 0
  elseif kind == "pool" then
    local all = {}
    local path = os.getenv("BENCH_POOL")
    assert(path, "BENCH_POOL is not set")
    for line in io.lines(path) do
      if line ~= "" then all[#all + 1] = line end
    end
    local n = tonumber(os.getenv("BENCH_THREADS") or "1")
    local per = math.floor(#all / n)
    pool = {}
    for i = tid * per + 1, (tid + 1) * per do pool[#pool + 1] = all[i] end
    idx = 1
  else
    error("unknown BENCH_KIND " .. kind)
  end
end

function request()
  if now_us and first_us == 0 then first_us = now_us() end
  if kind == "static" then
    return static_req
  end
  local value
  if kind == "unique" then
    counter = counter + 1
    value = string.format("bench-%s-t%d-%d", run, tid, counter)
  else
    value = pool[idx]
    if value == nil then
      -- This thread's slice is used up: stop it. wrk needs a request
      -- anyway; it repeats the last value and its response is never read.
      exhausted = 1
      wrk.thread:stop()
      value = pool[#pool] or ""
    else
      idx = idx + 1
      issued = issued + 1
    end
  end
  return wrk.format("POST", nil, headers, before .. value .. after)
end

function response(status, hdrs, b)
  if now_us then last_us = now_us() end
  if status == 200 and (string.find(b, '"errors":', 1, true) or string.find(b, '"userErrors":[{', 1, true)) then
    gqlerr = gqlerr + 1
  end
end

function done(summary, latency, requests)
  local g, ex, iss, f, l = 0, 0, 0, math.huge, 0
  for _, t in ipairs(threads) do
    g = g + (t:get("gqlerr") or 0)
    ex = ex + (t:get("exhausted") or 0)
    iss = iss + (t:get("issued") or 0)
    local tf, tl = t:get("first_us") or 0, t:get("last_us") or 0
    if tf > 0 and tf < f then f = tf end
    if tl > l then l = tl end
  end
  local elapsed = summary.duration
  if ex > 0 and f < math.huge and l > f then
    elapsed = l - f
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d elapsed_us=%d p50_us=%d p99_us=%d non2xx=%d sockerr=%d gqlerr=%d exhausted=%d issued=%d\n",
    summary.requests, elapsed, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout, g, ex, iss))
end
