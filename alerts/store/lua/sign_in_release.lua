-- A sign-in that succeeded gives its attempt back (only failures count); KEYS[1] is the
-- strict counter, which a success resets.
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
