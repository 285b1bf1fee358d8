-- wrk script: POSTs BODY, or, with ADD_ACCOUNTS=N, a follow_add between two random accounts.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BODY") or "{}"
local n = tonumber(os.getenv("ADD_ACCOUNTS") or "0")
if n > 0 then
  math.randomseed(os.time())
  request = function()
    local a, b = math.random(0, n - 1), math.random(0, n - 1)
    local body = string.format('{"From_Account":"b%d","FollowItem":[{"To_Account":"b%d"}]}', a, b)
    return wrk.format("POST", nil, nil, body)
  end
end
