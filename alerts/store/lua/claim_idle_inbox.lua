-- Take the drainer lease when messages wait and nobody drains them (the sweep).
-- KEYS: lease, inbox, busy; ARGV: token, lease ttl
if redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) == 0 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
return 0
