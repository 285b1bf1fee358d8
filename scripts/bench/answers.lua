-- Shared by wrk scripts (loaded with dofile): counts answers that are not HTTP 200 with
-- ErrorCode 0 in each thread, and prints "<tag>-errors N" for all threads at the end.
-- The count must be a global: wrk's thread:get reads a thread's globals, never its locals.
errors = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  if status ~= 200 or not body:find('"ErrorCode":0,', 1, true) then
    errors = errors + 1
  end
end

function count_errors_done(tag)
  return function(summary, latency, requests)
    local total = 0
    for _, t in ipairs(threads) do
      total = total + (t:get("errors") or 0)
    end
    io.write(string.format("%s-errors %d\n", tag, total))
  end
end
