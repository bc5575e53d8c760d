"""The Lua scripts that make each step of the shared cost bucket atomic in Redis (see `bucket.py`).

KEYS[1] is the bucket hash (available, maximum, rate, stamp: `available` points as of `stamp`, restored at `rate`
per second up to `maximum`); KEYS[2] is a sorted set of reservations in flight, member `<id>:<cost>`, scored by when
it stops counting (so a dead worker's reservation lapses). Times come from the Redis server, the one clock every
worker shares. Numbers are returned as strings: Redis would truncate a Lua number to an integer.
"""

from __future__ import annotations

_NOW = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
"""

# ARGV: reservation id, cost, default maximum, default rate, hold seconds, ttl.
# Returns {seconds to wait, ''} when short, else {'0', member}.
RESERVE = (
    _NOW
    + """
local cost = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'rate', 'stamp')
local available, maximum, rate, stamp
if state[1] then
  available, maximum = tonumber(state[1]), tonumber(state[2])
  rate, stamp = tonumber(state[3]), tonumber(state[4])
else
  -- Nothing reported yet: room for exactly this request, whose answer will tell us the real bucket.
  available, maximum, rate, stamp = cost, tonumber(ARGV[3]), tonumber(ARGV[4]), now
end
if cost > maximum then cost = maximum end
available = math.min(maximum, available + math.max(0, now - stamp) * rate)
if available < cost then
  return {tostring((cost - available) / math.max(rate, 1)), ''}
end
local member = ARGV[1] .. ':' .. tostring(cost)
redis.call('HSET', KEYS[1], 'available', tostring(available - cost), 'maximum', tostring(maximum),
  'rate', tostring(rate), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), member)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[6]))
return {'0', member}
"""
)

# ARGV: member, refund ('1' when the request surely never ran), reported available, maximum, rate (empty strings
# when the answer carried no report), ttl.
SETTLE = (
    _NOW
    + """
local removed = redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if ARGV[3] ~= '' then
  local pending = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    pending = pending + tonumber(string.match(member, ':([^:]+)$'))
  end
  local maximum = tonumber(ARGV[4])
  local available = math.min(maximum, tonumber(ARGV[3])) - pending
  redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
    'rate', tostring(math.max(tonumber(ARGV[5]), 1)), 'stamp', tostring(now))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
elseif ARGV[2] == '1' and removed == 1 and redis.call('EXISTS', KEYS[1]) == 1 then
  local cost = tonumber(string.match(ARGV[1], ':([^:]+)$'))
  local state = redis.call('HMGET', KEYS[1], 'available', 'maximum')
  redis.call('HSET', KEYS[1], 'available', tostring(math.min(tonumber(state[2]), tonumber(state[1]) + cost)))
end
return 1
"""
)
