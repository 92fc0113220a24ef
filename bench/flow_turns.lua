-- wrk script: multi-turn flows of demo-customer-1 (channel web) that call
-- business actions over the demo shop's store (`kefu demo seed`).
--
-- Each thread keeps a pool of sessions, grown when a connection finds none
-- free (so about one per connection); a session is one conversation that
-- plays one script of turns, then starts a new conversation (so dialog state
-- stays small). A session has at most one request in flight, so its turns
-- arrive in order whatever connection carries them. Every reply is checked
-- against what the turn must produce (an action with outcome ok, the next
-- slot question, the confirmation, ...); done() prints the counts, and writes
-- one finished conversation of each script to $KEFU_BENCH_OUT (if set) for
-- the caller to fetch and check again.
--
-- wrk counts every request; "turns" here excludes the POST /conversations
-- that open a conversation (turns/s = requests/s × turns / requests).

local scripts = {
  { -- order status (order.status through the builtin connector), a product
    -- question (product.info), then cancel-then-decline so the order stays paid
    { "DS20261101001到哪了", { '"action":"order.status"', '"outcome":"ok"' } },
    { "华为Mate60多少钱", { '"action":"product.info"', '"outcome":"ok"' } },
    { "取消订单DS20261101004", { '"kind":"confirm"', 'DS20261101004' } },
    { "不用了", { '"kind":"cancelled"' } },
  },
  { -- need elicitation: category → budget → feature → product.recommend
    { "想买个耳机", { '"kind":"ask"', '"slot":"budget"' } },
    { "2000以内", { '"kind":"ask"', '"slot":"features"' } },
    { "降噪", { '"action":"product.recommend"', '"outcome":"ok"' } },
  },
}
local create_body = '{"channel":"web","lang":"zh","customer":{"external_id":"demo-customer-1"}}'

local sessions = {}      -- {id=, script=, step=, busy=}
local by_id = {}         -- conversation id → session
local creating = {}      -- sessions whose POST /conversations is in flight
local next_script = 0
local rr = 0

turns, creates, bad, unknown, last_1, last_2 = 0, 0, 0, 0, "", ""

local function new_session()
  local s = { busy = false }
  sessions[#sessions + 1] = s
  return s
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  local s
  for i = 1, #sessions do  -- a free session, round-robin
    local c = sessions[((rr + i) % #sessions) + 1]
    if not c.busy then s = c; rr = rr + i; break end
  end
  s = s or new_session()
  s.busy = true
  if s.id == nil then
    creating[#creating + 1] = s
    return wrk.format(nil, "/api/v1/conversations", nil, create_body)
  end
  local turn = scripts[s.script][s.step]
  return wrk.format(nil, "/api/v1/conversations/" .. s.id .. "/messages", nil,
                    '{"text":"' .. turn[1] .. '"}')
end

response = function(status, headers, body)
  local cid = body:match('^{"conversation_id":"(%x+)"') or body:match('"conversation_id":"(%x+)"')
  if cid == nil then  -- POST /conversations: any waiting session takes it
    local s = table.remove(creating, 1)
    if s == nil then unknown = unknown + 1; return end
    s.busy = false
    local id = status == 201 and body:match('^{"id":"(%x+)"')
    if not id then bad = bad + 1; return end  -- the session creates again
    creates = creates + 1
    s.id, s.step = id, 1
    next_script = next_script % #scripts + 1
    s.script = next_script
    by_id[id] = s
    return
  end
  local s = by_id[cid]
  if s == nil then unknown = unknown + 1; return end
  turns = turns + 1
  local ok = status == 200
  for _, want in ipairs(scripts[s.script][s.step][2]) do
    ok = ok and body:find(want, 1, true) ~= nil
  end
  if not ok or body:find('"outcome":"error"', 1, true) then bad = bad + 1 end
  s.busy = false
  s.step = s.step + 1
  if s.step > #scripts[s.script] then  -- script done: next request opens a new conversation
    if s.script == 1 then last_1 = cid else last_2 = cid end
    by_id[cid] = nil
    s.id = nil
  end
end

local threads = {}
setup = function(thread) threads[#threads + 1] = thread end

done = function(summary, latency, requests)
  local t, c, b, u, ids = 0, 0, 0, 0, {}
  for _, th in ipairs(threads) do
    t, c = t + th:get("turns"), c + th:get("creates")
    b, u = b + th:get("bad"), u + th:get("unknown")
    for _, k in ipairs({ "last_1", "last_2" }) do
      local v = th:get(k)
      if v ~= "" then ids[#ids + 1] = v end
    end
  end
  io.write(string.format("flow: turns %d conversations %d unexpected %d unmatched %d\n", t, c, b, u))
  local out = os.getenv("KEFU_BENCH_OUT")
  if out then
    local f = assert(io.open(out, "w"))
    for _, id in ipairs(ids) do f:write(id, "\n") end
    f:close()
  end
end
