-- A number's alert history: one field per job; past `keep` jobs the oldest (smallest id,
-- ids being a counter) go, so a faithful subscriber's record stays small. Trimmed on every
-- tenth job only (at most keep + 9 fields): two writes per recipient rather than three.
-- Needs locals job, hist_ttl and hist_keep (spliced in by the loader).
local trim = (tonumber(job) or 0) % 10 == 0
local function alert_history(phone, value)
  local key = 'alh:' .. phone
  redis.call('HSET', key, job, value)
  redis.call('EXPIRE', key, hist_ttl)
  if trim and redis.call('HLEN', key) > hist_keep then
    local ids = redis.call('HKEYS', key)
    table.sort(ids, function(a, b) return (tonumber(a) or 0) < (tonumber(b) or 0) end)
    redis.call('HDEL', key, unpack(ids, 1, #ids - hist_keep))
  end
end
