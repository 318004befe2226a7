-- KEYS: window, this kind's waiting flag, the other kind's waiting flag
-- ARGV: messages, kind, limit per second, this kind's guaranteed share, nonce, window (ms)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[6]))
local total, own = 0, 0
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local kind, count = string.match(entry, '^(%a+):(%d+):')
  count = tonumber(count)
  total = total + count
  if kind == ARGV[2] then own = own + count end
end
local n, limit, share = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local lent = redis.call('EXISTS', KEYS[3]) == 0
if total + n <= limit and (own + n <= share or lent) then
  redis.call('ZADD', KEYS[1], now, ARGV[2] .. ':' .. n .. ':' .. ARGV[5])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[6]))
  return 0
end
redis.call('SET', KEYS[2], '1', 'PX', 1000)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then return math.max(1, tonumber(oldest[2]) + tonumber(ARGV[6]) - now) end
return 1
