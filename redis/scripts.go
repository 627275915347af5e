package redis

import goredis "github.com/redis/go-redis/v9"

// A séance's presence is two keys. "here" is a sorted set of records
// "<node>|<user>", each scored with the millisecond it expires at: a node
// has a record of each participant it has connections of, and keeps it
// alive by refreshing it. "who" is a hash from user id to the participant
// as JSON, for the participants not yet reported gone. A user in "who"
// with no live record in "here" is one whose nodes died: the next Refresh
// (or that user's last Leave) reports them, and removes them from "who",
// which is what makes each of them reported once.
//
// Node ids have no '|', so a record's user id is everything after its
// first '|', whatever the user id holds.
//
// Times and durations come from the caller as integer milliseconds, passed
// on to Redis as the strings they arrived as, never re-formatted by Lua.

// enterScript: KEYS here, who; ARGV now, expiry, node, user, participant,
// max, key ttl. Returns {1 first | 0 not first | -1 full, users present}.
const enterScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local users, count = {}, 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local u = string.sub(m, string.find(m, '|', 1, true) + 1)
  if not users[u] then
    users[u] = true
    count = count + 1
  end
end
local first = 1
if users[ARGV[4]] then
  first = 0
elseif count >= tonumber(ARGV[6]) then
  return {-1, count}
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3] .. '|' .. ARGV[4])
if first == 1 then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
else
  redis.call('HSETNX', KEYS[2], ARGV[4], ARGV[5])
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
return {first, count}
`

// leaveScript: KEYS here, who; ARGV now, node, user. Returns 1 when the
// user is now present on no node and was not reported gone yet.
const leaveScript = `
redis.call('ZREM', KEYS[1], ARGV[2] .. '|' .. ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, string.find(m, '|', 1, true) + 1) == ARGV[3] then
    return 0
  end
end
return redis.call('HDEL', KEYS[2], ARGV[3])
`

// presentScript: KEYS here, who; ARGV now. Returns the participants with
// a live record, as JSON, in no order.
const presentScript = `
local users, seen = {}, {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  local u = string.sub(m, string.find(m, '|', 1, true) + 1)
  if not seen[u] then
    seen[u] = true
    users[#users + 1] = u
  end
end
if #users == 0 then
  return {}
end
return redis.call('HMGET', KEYS[2], unpack(users))
`

// refreshScript: KEYS here, who; ARGV now, expiry, node, key ttl, then a
// user id and participant JSON per participant here. Returns the
// participants gone, as JSON.
const refreshScript = `
for i = 5, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3] .. '|' .. ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
if #ARGV >= 5 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local live = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  live[string.sub(m, string.find(m, '|', 1, true) + 1)] = true
end
local gone = {}
local who = redis.call('HGETALL', KEYS[2])
for i = 1, #who, 2 do
  if not live[who[i]] then
    redis.call('HDEL', KEYS[2], who[i])
    gone[#gone + 1] = who[i + 1]
  end
end
return gone
`

// acquireScript: KEYS lease; ARGV node, ttl. The holder acquiring again
// keeps its lease: a node whose SET reached Redis but whose answer did not
// can take it again instead of waiting out its own lease.
const acquireScript = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`

// renewScript: KEYS lease; ARGV node, ttl.
const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`

// releaseScript: KEYS lease; ARGV node.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`

// allowScript: KEYS window; ARGV now, period, n, member, now - period
// (all times in ms). The window is a sorted set of the events within the period, scored
// with their time. Returns -1 when allowed, else the milliseconds until
// the oldest event leaves the window.
const allowScript = `
local now, per, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
if redis.call('ZCARD', KEYS[1]) >= n then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #oldest == 0 then
    return per
  end
  return tonumber(oldest[2]) + per - now
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return -1
`

// scripts are loaded once per Redis by hash (EVALSHA, falling back to
// EVAL when the server does not know them yet, as after a restart).
type scripts struct {
	enter, leave, present, refresh *goredis.Script
	acquire, renew, release        *goredis.Script
	allow                          *goredis.Script
}

func newScripts() scripts {
	return scripts{
		enter:   goredis.NewScript(enterScript),
		leave:   goredis.NewScript(leaveScript),
		present: goredis.NewScript(presentScript),
		refresh: goredis.NewScript(refreshScript),
		acquire: goredis.NewScript(acquireScript),
		renew:   goredis.NewScript(renewScript),
		release: goredis.NewScript(releaseScript),
		allow:   goredis.NewScript(allowScript),
	}
}
