-- KEYS: the unions (one per language), st, todo, plan, stats. ARGV: size, ttl, limit,
-- batch key prefix, the languages in KEYS order.
local size, ttl, limit, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  ARGV[4]
local nlang = #KEYS - 4
local st, todo, plan, stats = KEYS[nlang + 1], KEYS[nlang + 2], KEYS[nlang + 3],
  KEYS[nlang + 4]
local first = tonumber(redis.call('HGET', plan, 'batches') or '0')
local n, fresh, li = first, 0, 1
while n - first < limit and li <= nlang do
  local phones = redis.call('SPOP', KEYS[li], size)
  if #phones == 0 then
    li = li + 1
  else
    -- Everyone planned is recorded 'q' (queued) until their outcome replaces it; a 'q'
    -- from a dropped batch is planned again, anyone with an outcome is not.
    local old = redis.call('HMGET', st, unpack(phones))
    local keep, count, queue = {}, 0, {}
    for i, phone in ipairs(phones) do
      if not old[i] or old[i] == 'q' then
        count = count + 1
        keep[count] = phone
        if not old[i] then
          queue[#queue + 1] = phone
          queue[#queue + 1] = 'q'
        end
      end
    end
    if #queue > 0 then
      redis.call('HSET', st, unpack(queue))
      fresh = fresh + #queue / 2
    end
    if count > 0 then
      redis.call('SET', prefix .. n, ARGV[4 + li] .. '|' .. table.concat(keep, ','), 'EX', ttl)
      redis.call('SADD', todo, n)
      n = n + 1
    end
  end
end
local finished = 1
for lj = 1, nlang do
  if redis.call('EXISTS', KEYS[lj]) == 1 then finished = 0 end
end
redis.call('HSET', plan, 'batches', n)
if finished == 1 then redis.call('HSET', plan, 'state', 'planned', 'cut', 0) end
if fresh > 0 then redis.call('HINCRBY', stats, 'queued', fresh) end
if n > first then
  redis.call('EXPIRE', todo, ttl)
  redis.call('EXPIRE', st, ttl)
end
return {first, n, finished}
