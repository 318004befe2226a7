-- One USSD answer's whole round trip: count it (flood control, metrics), read the caller, its
-- last call and that call's jobs; if this call is that one and has not ended, it now holds
-- these answers.
-- KEYS: subscriber bucket, call record, jobs snapshot, muted, rate window, metrics.
-- ARGV: subscriber field, session id, answers, ttl, limit, window ttl, metric field.
--#include rate.lua
local counted = rate(KEYS[4], KEYS[5], ARGV[5], ARGV[6])
redis.call('HINCRBYFLOAT', KEYS[6], ARGV[7], 1)
local packed = redis.call('HGET', KEYS[1], ARGV[1])
local call = redis.call('GET', KEYS[2])
local jobs = redis.call('GET', KEYS[3])
if call then
  local sid, first = string.match(call, '^([^\n]*)\n([^\n]*)\n')
  if sid == ARGV[2] and string.sub(call, -4) ~= '\nend' then
    redis.call('SET', KEYS[2], sid .. '\n' .. first .. '\n' .. ARGV[3], 'EX', ARGV[4])
    if jobs then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
  end
end
return {counted, packed or false, call or false, jobs or false}
