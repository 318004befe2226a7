-- Drop the drainer lease if ARGV[1] still holds it. KEYS: the lease.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
