-- wrk script: POST customer messages round-robin over the conversations
-- listed (one id per line) in the file named by $KEFU_BENCH_IDS.
local ids = {}
local texts = {
  '{"text":"how long does delivery take","lang":"en"}',
  '{"text":"退货运费谁出?","lang":"zh"}',
  '{"text":"can I get a VAT invoice for my order","lang":"en"}',
  '{"text":"会员积分怎么用","lang":"zh"}',
}
local n = 0
for line in io.lines(os.getenv("KEFU_BENCH_IDS")) do ids[#ids + 1] = line end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local id = ids[(n % #ids) + 1]
  return wrk.format(nil, "/api/v1/conversations/" .. id .. "/messages", nil, texts[(n % #texts) + 1])
end
-- non-200 replies are counted by wrk itself ("Non-2xx or 3xx responses")
