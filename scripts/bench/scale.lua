-- wrk script for make bench-scale's latencies: API (check, info, add or get) between random
-- accounts u0000000..u<ACCOUNTS-1>; get reads 100 fans of one of the 1,000 most followed
-- accounts (each has hundreds). Counts answers that are not ErrorCode 0.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "answers.lua")  -- the error count
local api = os.getenv("API")
local n = tonumber(os.getenv("ACCOUNTS"))
local q = os.getenv("QUERY")

local paths = {
  check = "follow/follow_check", info = "follow/follow_get_info",
  add = "follow/follow_add", get = "follow/follow_get",
}

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

local function id(i)
  return string.format("u%07d", i)
end

request = function()
  local a, b, c = math.random(1, n - 1), math.random(1, n - 1), math.random(1, n - 1)
  if b == a then b = a % (n - 1) + 1 end
  local body
  if api == "add" then
    body = string.format('{"From_Account":"%s","FollowItem":[{"To_Account":"%s"}]}', id(a), id(b))
  elseif api == "get" then
    body = string.format('{"From_Account":"%s","FollowType":1,"WantNum":100}', id(math.random(1, 1000)))
  else
    body = string.format('{"From_Account":"%s","To_Account":["%s","%s"]}', id(a), id(b), id(c))
  end
  return wrk.format("POST", "/v4/" .. paths[api] .. "?" .. q, {["Content-Type"] = "application/json"}, body)
end

done = count_errors_done("scale")
