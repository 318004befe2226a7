-- The SMS webhook's one round trip: de-duplicate by AT id, count (flood control), append to
-- the inbox and take the drainer lease if nobody holds it.
--#include rate.lua
-- KEYS: seen ids, muted, rate window, inbox, drainer lease, metrics, urgent count
-- ARGV: id, now, seen ttl, seen cap, limit, window ttl, cool-down, item, lease token,
--       lease ttl, then the metric fields for duplicate, silent, warn, ok,
--       then urgent ('stop', 'start' or ''), how many of those get through per cool-down
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HINCRBYFLOAT', KEYS[6], ARGV[11], 1)
  return {'duplicate', 0}
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local cap = tonumber(ARGV[4])
if redis.call('ZCARD', KEYS[1]) > cap then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -cap - 1)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
-- STOP and START get through flood control, a bounded number of times per cool-down so
-- that "STOP NIONO" or STOP/START ping-pong cannot buy replies without end.
local urgent = false
if ARGV[15] ~= '' then
  local n = redis.call('INCR', KEYS[7])
  if n == 1 then redis.call('EXPIRE', KEYS[7], ARGV[7]) end
  urgent = n <= tonumber(ARGV[16])
end
local counted = 0
if not urgent then counted = rate(KEYS[2], KEYS[3], ARGV[5], ARGV[6]) end
local verdict, field = 'ok', ARGV[14]
if counted == -2 then
  verdict, field = 'silent', ARGV[12]
elseif counted > tonumber(ARGV[5]) then
  -- Only the message that starts the silence is answered, even with concurrent webhooks.
  if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[7]) then
    verdict, field = 'warn', ARGV[13]
  else
    verdict, field = 'silent', ARGV[12]
  end
end
redis.call('HINCRBYFLOAT', KEYS[6], field, 1)
if verdict == 'silent' then return {verdict, 0} end
redis.call('RPUSH', KEYS[4], verdict .. '|' .. ARGV[8])
if redis.call('SET', KEYS[5], ARGV[9], 'NX', 'EX', ARGV[10]) then return {verdict, 1} end
return {verdict, 0}
