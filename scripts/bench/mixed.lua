-- wrk script for the soak: a mix of follow_add, follow_delete, follow_check and follow_get
-- between N random accounts; counts answers that are not ErrorCode 0.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answers.lua")  -- the error count
local n = tonumber(os.getenv("ACCOUNTS") or "1000")
local q = os.getenv("QUERY")

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

done = count_errors_done("soak")
