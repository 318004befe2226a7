-- The next inbox items (at most ARGV[3], default 1) for the drainer holding the lease, moved
-- to the busy list in order. KEYS: lease, inbox, busy; ARGV: token, lease ttl, how many
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lost'} end
local found = {'item'}
for _ = 1, tonumber(ARGV[3] or '1') do
  local item = redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT')
  if not item then break end
  found[#found + 1] = item
end
if #found > 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return found
end
redis.call('DEL', KEYS[1])
return {'empty'}
