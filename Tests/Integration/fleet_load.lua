-- The load of the fleet test (Tests/Integration/test_fleet.py), for wrk.
--
-- wrk has no rate option, so the rate is bounded here: each thread has exactly one
-- connection (`-t N -c N`) and pauses `delay()` milliseconds between its requests, so at
-- most N * 1000 / PAUSE requests a second. Because a thread has one connection, each
-- response answers the request that thread sent, and a thread sends one kind only:
--   valid    GET /admin/fleet with a valid bearer token  (the bundle allows: 200)
--   public   GET /public/fleet without a token            (not protected: 200)
--   missing  GET /admin/fleet without a token             (the bundle denies: 401)
-- For every 200 it counts the `x-gatepass-revision` values the echo upstream received
-- (its JSON body lists the request headers): exactly one, non-empty, or the response is
-- counted in `bad_revision`. Denials carry the revision to the client as a header.
--
-- Arguments after `--`: TOKEN HOST PAUSE_MS. `done` prints one line per thread:
--   FLEET kind=valid responses=812 bad_revision=0 status:200=812 revision:rev-1=400 ...
-- and one line with wrk's socket errors:
--   FLEETERRORS connect=0 read=0 write=0 timeout=0 requests=2436

local kinds = {"valid", "public", "missing"}
local threads = {}

function setup(thread)
  thread:set("kind", kinds[(#threads % #kinds) + 1])
  table.insert(threads, thread)
end

function init(args)
  local token, host = args[1], args[2]
  pause = tonumber(args[3])
  statuses = {}
  revisions = {}
  bad_revision = 0
  responses = 0
  local headers = {["Host"] = host}
  if kind == "valid" then
    headers["Authorization"] = "Bearer " .. token
  end
  local path = "/admin/fleet"
  if kind == "public" then
    path = "/public/fleet"
  end
  prepared = wrk.format("GET", path, headers)
end

function request()
  return prepared
end

function delay()
  return pause
end

local function count(map, key)
  map[key] = (map[key] or 0) + 1
end

function response(status, headers, body)
  responses = responses + 1
  count(statuses, tostring(status))
  if status == 200 then
    local found, seen = nil, 0
    for value in body:lower():gmatch('"x%-gatepass%-revision", "([^"]*)"') do
      found = value
      seen = seen + 1
    end
    if seen == 1 and found ~= "" then
      count(revisions, found)
    else
      bad_revision = bad_revision + 1
    end
  else
    local revision = headers["x-gatepass-revision"]
    if revision and revision ~= "" then
      count(revisions, revision)
    end
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local line = string.format("FLEET kind=%s responses=%d bad_revision=%d", thread:get("kind"),
      thread:get("responses"), thread:get("bad_revision"))
    for key, value in pairs(thread:get("statuses")) do
      line = line .. string.format(" status:%s=%d", key, value)
    end
    for key, value in pairs(thread:get("revisions")) do
      line = line .. string.format(" revision:%s=%d", key, value)
    end
    io.write(line .. "\n")
  end
  local errors = summary.errors
  io.write(string.format("FLEETERRORS connect=%d read=%d write=%d timeout=%d requests=%d\n",
    errors.connect, errors.read, errors.write, errors.timeout, summary.requests))
end
