-- Move a reply from queued to sending, once, noting when. KEYS: the reply's record; ARGV: now.
if redis.call('hget', KEYS[1], 'status') == 'queued' then
  redis.call('hset', KEYS[1], 'status', 'sending', 'claimed', ARGV[1])
  return 1
end
return 0
