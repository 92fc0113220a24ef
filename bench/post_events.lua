-- wrk script: POST /api/v1/events with $KEFU_BENCH_BATCH events per request
-- (1: a single JSON object; more: JSON lines, application/x-ndjson). Every
-- event has a new id (run, thread, request, line), so each one is added, never a
-- duplicate; customers "w-u<n>" (10,000 of them), the type mix of a shop.
local batch = tonumber(os.getenv("KEFU_BENCH_BATCH") or "100")
local run = os.getenv("KEFU_BENCH_RUN") or tostring(os.time())
local threads, counter = {}, 1
local types = {"view", "view", "view", "click", "search", "add_to_cart", "order"}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = batch == 1 and "application/json" or "application/x-ndjson"
end

local function event(i)
  local t = types[(i % #types) + 1]
  local id = string.format("w%s-%d-%d-%d", run, tid, n, i)
  local cust = string.format("w-u%d", (n * 131 + i * 7 + tid) % 10000)
  if t == "search" then
    return string.format('{"event_id":"%s","type":"search","external_id":"%s","query":"phone case"}', id, cust)
  elseif t == "order" then
    return string.format('{"event_id":"%s","type":"order","external_id":"%s","order_no":"%s","amount":99.5,' ..
                         '"items":[{"sku":"SKU-%05d","qty":1,"price":99.5}]}', id, cust, id, i % 2000)
  end
  return string.format('{"event_id":"%s","type":"%s","external_id":"%s","sku":"SKU-%05d","category":"cat-%02d"}',
                       id, t, cust, (n + i) % 2000, (n + i) % 40)
end

request = function()
  n = n + 1
  local lines = {}
  for i = 1, batch do lines[i] = event(i) end
  return wrk.format(nil, "/api/v1/events", nil, table.concat(lines, "\n"))
end
-- non-200 replies are counted by wrk itself ("Non-2xx or 3xx responses")
