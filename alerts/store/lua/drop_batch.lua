-- Give up on a batch that cannot be sent. KEYS: batch, st, todo, stats. ARGV: n, error.
local raw = redis.call('GET', KEYS[1])
local left = 0
if raw then
  for phone in string.gmatch(string.match(raw, "|(.*)$") or "", "[^,]+") do
    if redis.call('HGET', KEYS[2], phone) == 'q' then left = left + 1 end
  end
end
if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[4], 'batch_errors', 1)
redis.call('HSET', KEYS[4], 'last_error', ARGV[2])
return left
