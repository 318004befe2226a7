-- Mark a planned fan-out done once no batch is left. KEYS: plan, todo, fan:active; ARGV: job.
if redis.call('HGET', KEYS[1], 'state') ~= 'planned' then return 0 end
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done')
redis.call('SREM', KEYS[3], ARGV[1])
return 1
