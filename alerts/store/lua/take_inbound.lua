-- The next inbox item for the drainer holding the lease, moved to the busy list.
-- KEYS: lease, inbox, busy; ARGV: token, lease ttl
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lost'} end
local item = redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT')
if item then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  return {'item', item}
end
redis.call('DEL', KEYS[1])
return {'empty'}
