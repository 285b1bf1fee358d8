-- wrk script: post.lua's random follow_add (ADD_ACCOUNTS=N), counting answers that are not OK:
-- a replicated write that failed is HTTP 200 with an ErrorCode, not a non-2xx.
local dir = os.getenv("BENCH_LUA_DIR")
dofile(dir .. "/answers.lua")
dofile(dir .. "/post.lua")
done = count_errors_done("add")
