-- KEYS: batch, st. The subscriber lookup repeats the bucket key and the status letter of a
-- packed subscriber (alerts/store/subscribers.py), so 500 numbers cost one round trip.
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local phones, n = {}, 0
for phone in string.gmatch(string.match(raw, "|(.*)$") or "", "[^,]+") do
  n = n + 1
  phones[n] = phone
end
local out = {}
for start = 1, n, 500 do
  local stop = math.min(start + 499, n)
  local done = redis.call('HMGET', KEYS[2], unpack(phones, start, stop))
  for i = start, stop do
    if done[i - start + 1] and done[i - start + 1] ~= 'q' then
      out[i] = 'h'
    else
      local d = string.match(phones[i], "^%+*(.*)$")
      local packed = redis.call('HGET', 'sub:' .. string.sub(d, 1, -3), string.sub(d, -2))
      if packed and string.match(packed, "^[^|]*|(.)") == 'a' then out[i] = 'a'
      else out[i] = 'i' end
    end
  end
end
return {raw, table.concat(out)}
