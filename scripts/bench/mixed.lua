-- wrk script for the soak: a mix of follow_add, follow_delete, follow_check and follow_get
-- between N random accounts; counts answers that are not ErrorCode 0.
local n = tonumber(os.getenv("ACCOUNTS") or "1000")
local q = os.getenv("QUERY")
local errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  errors = 0
end

request = function()
  local a, b = math.random(0, n - 1), math.random(0, n - 1)
  local r = math.random()
  local path, body
  if r < 0.35 then
    path = "follow/follow_add"
    body = string.format('{"From_Account":"b%d","FollowItem":[{"To_Account":"b%d"}]}', a, b)
  elseif r < 0.6 then
    path = "follow/follow_delete"
    body = string.format('{"From_Account":"b%d","To_Account":["b%d"]}', a, b)
  elseif r < 0.85 then
    path = "follow/follow_check"
    body = string.format('{"From_Account":"b%d","To_Account":["b%d","b%d"]}', a, b, (a + b) % n)
  else
    path = "follow/follow_get"
    body = string.format('{"From_Account":"b%d","FollowType":%d,"WantNum":50}', a, math.random(1, 3))
  end
  return wrk.format("POST", "/v4/" .. path .. "?" .. q, {["Content-Type"] = "application/json"}, body)
end

response = function(status, headers, body)
  if status ~= 200 or not body:find('"ErrorCode":0,', 1, true) then
    errors = errors + 1
  end
end

done = function(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (t:get("errors") or 0)
  end
  io.write(string.format("soak-errors %d\n", total))
end
