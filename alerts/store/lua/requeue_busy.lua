-- Put what a dead drainer left half-done back at the head of the inbox, in order.
-- KEYS: lease, busy, inbox; ARGV: token
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local n = 0
local item = redis.call('RPOP', KEYS[2])
while item do
  -- Marked: it may have been half handled, so its answers are checked before sending.
  if string.sub(item, 1, 6) ~= 'again|' then item = 'again|' .. item end
  redis.call('LPUSH', KEYS[3], item)
  n = n + 1
  item = redis.call('RPOP', KEYS[2])
end
return n
