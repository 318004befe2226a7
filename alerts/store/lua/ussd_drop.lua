-- Forget a number's last USSD call if it is still this session. KEYS: call, jobs; ARGV: id.
local call = redis.call('GET', KEYS[1])
if call and string.sub(call, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then
  return redis.call('DEL', KEYS[1], KEYS[2])
end
return 0
