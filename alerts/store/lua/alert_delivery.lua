-- Only a sent alert takes a final outcome, and only once: a repeated or late report
-- (Failed after Success, Success after Failed) changes nothing.
-- KEYS: st, stats. ARGV: phone, outcome, reason, job id, now, history ttl, history keep.
if redis.call('HGET', KEYS[1], ARGV[1]) ~= 's' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local job, hist_ttl, hist_keep = ARGV[4], ARGV[6], tonumber(ARGV[7])

--#include alert_history.lua
local before = redis.call('HGET', 'alh:' .. ARGV[1], job) or ''
local sent_at = string.match(before, '^[^|]*|[^|]*|([^|]*)') or ''
local why = ARGV[3]
if ARGV[2] == 'd' then why = '' end
alert_history(ARGV[1], ARGV[2] .. '|' .. why .. '|' .. sent_at .. '|' .. ARGV[5])
redis.call('HSETNX', KEYS[2], 'first_report_at', ARGV[5])
redis.call('HSET', KEYS[2], 'last_report_at', ARGV[5])
if ARGV[2] == 'd' then
  redis.call('HINCRBY', KEYS[2], 'delivered', 1)
else
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  redis.call('HINCRBY', KEYS[2], 'r:' .. ARGV[3], 1)
end
return 1
