-- Change a job's fields only while its status is one of those given; returns the old status.
-- KEYS: job:{id}; ARGV: n, n allowed statuses, then field, value pairs.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
local n = tonumber(ARGV[1])
if n > 0 then
  local ok = false
  for i = 2, n + 1 do if ARGV[i] == status then ok = true end end
  if not ok then return false end
end
if #ARGV > n + 1 then redis.call('HSET', KEYS[1], unpack(ARGV, n + 2)) end
return status
