-- Erasure: run on each batch of keys SCAN returns. A key named after the number goes; a
-- value naming it in any form (the patterns) is redacted to the mask, except: a delivery ref
-- (gw:) or a value that is only the number goes; a person's own record (out:, consent: whose
-- phone, to, from or relay field is the number) goes; a list item holding the number as a
-- whole JSON string (an inbox item, a simulated SMS to it) goes; the audit log keeps every
-- entry, the number replaced by its salted hash (audit mask); an alert batch just loses the
-- number. KEYS: the batch; ARGV: e164, mask, audit mask, national digits, patterns...
local e164, mask, amask, national = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local pats = {}
for i = 5, #ARGV do pats[#pats + 1] = ARGV[i] end
-- Digits people type from other keyboards, as ASCII (UTF-8): fullwidth, Arabic-Indic,
-- Eastern Arabic-Indic, N'Ko.
local function ascii(offset)
  return function(b) return string.char(string.byte(b) - offset) end
end
local function fold(s)
  if not string.find(s, '[\217\219\223\239]') then return s end
  s = string.gsub(s, '\239\188([\144-\153])', ascii(96))
  s = string.gsub(s, '\217([\160-\169])', ascii(112))
  s = string.gsub(s, '\219([\176-\185])', ascii(128))
  return (string.gsub(s, '\223([\128-\137])', ascii(80)))
end
local function hit(s)
  s = fold(s)
  -- Every form holds the national digits in order with only separators between them, so
  -- a value whose digits alone do not contain them cannot match: a cheap test first.
  if not string.find(string.gsub(s, '%D', ''), national, 1, true) then return false end
  for _, p in ipairs(pats) do
    if string.find(s, p) then return true end
  end
  return false
end
local function scrub(s, m)
  s = fold(s)
  for _, p in ipairs(pats) do s = string.gsub(s, p, m) end
  return s
end
local quoted = '"' .. e164 .. '"'
local owners = {phone = true, to = true, from = true, relay = true}
local tomb = '\0baara-erased\0'
local deleted, redacted = 0, 0
for _, key in ipairs(KEYS) do
  local kind = redis.call('TYPE', key)['ok']
  if hit(key) then
    deleted = deleted + redis.call('DEL', key)
  elseif kind == 'string' then
    local v = redis.call('GET', key)
    if hit(v) then
      if string.sub(key, 1, 3) == 'gw:' or string.find(scrub(v, ''), '^[%s%+]*$') then
        deleted = deleted + redis.call('DEL', key)
      elseif string.find(key, '^fan:.+:b:%d+$') then
        local head, list = string.match(v, '^([^|]*)|(.*)$')
        local kept = {}
        for p in string.gmatch(list or '', '[^,]+') do
          if p ~= e164 then kept[#kept + 1] = p end
        end
        redis.call('SET', key, (head or '') .. '|' .. table.concat(kept, ','), 'KEEPTTL')
        redacted = redacted + 1
      else
        redis.call('SET', key, scrub(v, mask), 'KEEPTTL')
        redacted = redacted + 1
      end
    end
  elseif kind == 'hash' then
    if string.find(key, '^fan:.+:st$') then
      redacted = redacted + redis.call('HDEL', key, e164)
    else
      local flat = redis.call('HGETALL', key)
      local own = string.sub(key, 1, 4) == 'out:' or string.sub(key, 1, 8) == 'consent:'
      local gone = false
      for i = 1, #flat, 2 do
        if own and owners[flat[i]] and flat[i + 1] == e164 then gone = true end
      end
      if gone then
        deleted = deleted + redis.call('DEL', key)
      else
        for i = 1, #flat, 2 do
          local f, v = flat[i], flat[i + 1]
          if hit(f) then
            redacted = redacted + redis.call('HDEL', key, f)
          elseif hit(v) then
            redis.call('HSET', key, f, scrub(v, mask))
            redacted = redacted + 1
          end
        end
      end
    end
  elseif kind == 'list' then
    local audit = key == 'adm:audit'
    local dropped = false
    for i, item in ipairs(redis.call('LRANGE', key, 0, -1)) do
      if hit(item) then
        if not audit and string.find(item, quoted, 1, true) then
          redis.call('LSET', key, i - 1, tomb)
          dropped = true
        else
          redis.call('LSET', key, i - 1, scrub(item, audit and amask or mask))
        end
        redacted = redacted + 1
      end
    end
    if dropped then redis.call('LREM', key, 0, tomb) end
  elseif kind == 'set' then
    redacted = redacted + redis.call('SREM', key, e164)
  elseif kind == 'zset' then
    redacted = redacted + redis.call('ZREM', key, e164)
  end
end
return {deleted, redacted}
