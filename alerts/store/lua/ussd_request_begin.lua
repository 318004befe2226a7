-- One USSD dial's whole round trip: count it (flood control, metrics), read the caller, its
-- last call and that call's jobs; with no call going on, record this one's start.
-- KEYS: subscriber bucket, call record, jobs snapshot, muted, rate window, metrics.
-- ARGV: subscriber field, session id, first screen for a subscriber, for a new number, ttl,
--       limit, window ttl, metric field.
--#include rate.lua
local counted = rate(KEYS[4], KEYS[5], ARGV[6], ARGV[7])
redis.call('HINCRBYFLOAT', KEYS[6], ARGV[8], 1)
local packed = redis.call('HGET', KEYS[1], ARGV[1])
local call = redis.call('GET', KEYS[2])
local jobs = redis.call('GET', KEYS[3])
if not call or string.sub(call, -4) == '\nend' then
  local first = ARGV[4]
  if packed then first = ARGV[3] end
  redis.call('SET', KEYS[2], ARGV[2] .. '\n' .. first .. '\n[]', 'EX', ARGV[5])
end
return {counted, packed or false, call or false, jobs or false}
