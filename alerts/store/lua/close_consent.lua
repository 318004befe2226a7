-- Remove and return a pending consent request if it is still this one (answers race expiry).
-- KEYS: consent:{target}, consentid:{request id}; ARGV: request id.
local id = redis.call('hget', KEYS[1], 'id')
if id == ARGV[1] then
  local all = redis.call('hgetall', KEYS[1])
  redis.call('del', KEYS[1], KEYS[2])
  return all
end
return nil
