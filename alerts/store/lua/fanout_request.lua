-- KEYS: plan, todo, fan:active. A sending plan is never doubled: its batches already hold
-- everyone matched when it was made; a pending one will match again when it runs.
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('SADD', KEYS[3], ARGV[1])
if state == 'pending' then return 0 end
if state == 'planned' and redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'pending', 'rq', ARGV[2])
return 1
