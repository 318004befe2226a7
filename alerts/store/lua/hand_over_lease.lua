-- Pass the inbox drainer's lease to a successor. KEYS: lease; ARGV: token, new token, ttl.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
