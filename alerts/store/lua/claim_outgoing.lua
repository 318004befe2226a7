-- Move a reply from queued to sending, once. KEYS: the reply's record.
if redis.call('hget', KEYS[1], 'status') == 'queued' then
  redis.call('hset', KEYS[1], 'status', 'sending')
  return 1
end
return 0
