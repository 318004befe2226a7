-- KEYS: st, stats, todo, batch. ARGV: n, segments, price, gw ttl, ttl, finish, ref prefix,
-- now, rows of (phone, outcome, reason, gateway id, cost), job id, history ttl, history keep.
local seg, price = tonumber(ARGV[2]), tonumber(ARGV[3])
local job, hist_ttl, hist_keep = ARGV[10], ARGV[11], tonumber(ARGV[12])

--#include alert_history.lua
local rows, n = {}, 0
for line in string.gmatch(ARGV[9], "[^\n]+") do
  local phone, new, reason, mid, c =
    string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
  if phone then
    n = n + 1
    rows[n] = {phone, new, reason, mid, c}
  end
end
local sent, failed, skipped, cost, dequeued = 0, 0, 0, 0, 0
local reasons = {}
-- One HMGET and one HSET per 500 rather than a call per phone: each write inside a script
-- is also a command in the AOF.
for start = 1, n, 500 do
  local stop = math.min(start + 499, n)
  local phones = {}
  for i = start, stop do phones[i - start + 1] = rows[i][1] end
  local old = redis.call('HMGET', KEYS[1], unpack(phones))
  local fresh = {}
  for i = start, stop do
    local phone, new, reason, mid, c = unpack(rows[i])
    local was = old[i - start + 1]
    if not was or was == 'q' then
      if was == 'q' then dequeued = dequeued + 1 end
      old[i - start + 1] = new  -- the same phone twice in one call counts once
      fresh[#fresh + 1] = phone
      fresh[#fresh + 1] = new
      alert_history(phone, new .. '|' .. reason .. '|' .. ARGV[8] .. '|')
      if new == 's' then
        sent = sent + 1
        if c ~= '' then cost = cost + tonumber(c) else cost = cost + seg * price end
        if mid ~= '' then
          redis.call('SET', 'gw:' .. mid, ARGV[7] .. phone, 'EX', ARGV[4])
        end
      elseif new == 'f' then
        failed = failed + 1
        reasons['r:' .. reason] = (reasons['r:' .. reason] or 0) + 1
      else
        skipped = skipped + 1
        reasons['x:' .. reason] = (reasons['x:' .. reason] or 0) + 1
      end
    end
  end
  if #fresh > 0 then redis.call('HSET', KEYS[1], unpack(fresh)) end
end
if sent > 0 then
  redis.call('HSETNX', KEYS[2], 'first_sent_at', ARGV[8])
  redis.call('HINCRBY', KEYS[2], 'sent', sent)
  redis.call('HINCRBY', KEYS[2], 'segments', sent * seg)
  redis.call('HINCRBYFLOAT', KEYS[2], 'cost', cost)
  local last = tonumber(redis.call('HGET', KEYS[2], 'last_sent_at') or '0')
  if last < tonumber(ARGV[8]) then redis.call('HSET', KEYS[2], 'last_sent_at', ARGV[8]) end
end
if failed > 0 then redis.call('HINCRBY', KEYS[2], 'failed', failed) end
if skipped > 0 then redis.call('HINCRBY', KEYS[2], 'skipped', skipped) end
if dequeued > 0 then redis.call('HINCRBY', KEYS[2], 'queued', -dequeued) end
for k, v in pairs(reasons) do redis.call('HINCRBY', KEYS[2], k, v) end
if ARGV[6] == '1' then
  redis.call('SREM', KEYS[3], ARGV[1])
  redis.call('DEL', KEYS[4])
end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
return {sent, failed, skipped, redis.call('SCARD', KEYS[3])}
