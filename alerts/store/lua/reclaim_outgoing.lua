-- Put a reply stuck in 'sending' since before ARGV[1] back to 'queued'. KEYS: its record.
if redis.call('hget', KEYS[1], 'status') == 'sending' and
   tonumber(redis.call('hget', KEYS[1], 'claimed') or '0') <= tonumber(ARGV[1]) then
  redis.call('hset', KEYS[1], 'status', 'queued')
  return 1
end
return 0
