-- Flood control, shared by accept_sms and ussd_request (spliced in by the loader).
-- rate(muted, window, limit, window ttl): 0 with flood control off (limit 0), -2 while the
-- number is muted, else this window's count including this message.
local function rate(muted, window, limit, window_ttl)
  local counted = 0
  if tonumber(limit) > 0 then
    if redis.call('EXISTS', muted) == 1 then counted = -2
    else
      counted = redis.call('INCR', window)
      redis.call('EXPIRE', window, window_ttl)
    end
  end
  return counted
end
