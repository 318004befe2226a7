-- Extend a lease for another ttl seconds if it is still ours. KEYS: lease; ARGV: token, ttl.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
