/**
 * The Lua scripts of the Redis Store. Each touches only keys that share one
 * hash tag (one stream, one alias, the accounts), so every script
 * runs unchanged on a single Redis and on Redis Cluster, where a script may
 * only touch keys of one slot. Numbers cross the boundary as decimal strings
 * (`%d`), never through Lua's `%.14g` number formatting.
 */

/**
 * `now` for lease and presence scripts: the caller's clock when it passes one
 * (tests inject it), otherwise Redis's own TIME, so that nodes with skewed
 * clocks still agree on when a lease lapses.
 */
const CLOCK = `
local function clock(arg)
  local n = tonumber(arg)
  if n >= 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function int(n) return string.format('%d', n) end
`;

/**
 * Append: idempotency check, next seq, store, trim, remember the key, publish,
 * all in one step. A stored member is `seq:json`, unique per seq.
 * KEYS: meta (hash: epoch, top), msgs (zset by seq), idem (hash key → at|member),
 *       idemq (zset key by at, for expiry)
 * ARGV: body json, idempotency key or '', now, ttl, retention, fresh epoch, channel
 * Returns {duplicate 0|1, epoch, member}.
 */
export const APPEND = `
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local key = ARGV[2]
if key ~= '' then
  local hit = redis.call('HGET', KEYS[3], key)
  if hit then
    local sep = string.find(hit, '|', 1, true)
    if now - tonumber(string.sub(hit, 1, sep - 1)) < ttl then
      return {1, redis.call('HGET', KEYS[1], 'epoch') or '', string.sub(hit, sep + 1)}
    end
  end
end
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[6])
local seq = redis.call('HINCRBY', KEYS[1], 'top', 1)
local member = string.format('%d', seq) .. ':' .. ARGV[1]
redis.call('ZADD', KEYS[2], seq, member)
local cutoff = seq - tonumber(ARGV[5])
if cutoff > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', cutoff) end
if key ~= '' then
  redis.call('HSET', KEYS[3], key, string.format('%d', now) .. '|' .. member)
  redis.call('ZADD', KEYS[4], now, key)
end
local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', string.format('%d', now - ttl), 'LIMIT', 0, 100)
if #old > 0 then
  redis.call('HDEL', KEYS[3], unpack(old))
  redis.call('ZREM', KEYS[4], unpack(old))
end
redis.call('SPUBLISH', ARGV[7], member)
return {0, redis.call('HGET', KEYS[1], 'epoch'), member}
`;

/**
 * Read forward (`after`) or backward (`before`) with the stream's state.
 * KEYS: meta, msgs. ARGV: 'after'|'before', seq or '' (before: none), limit (-1: all), fresh epoch
 * Returns {epoch, top, firstRetained, members…}.
 */
export const READ = `
redis.call('HSETNX', KEYS[1], 'epoch', ARGV[4])
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local top = tonumber(redis.call('HGET', KEYS[1], 'top') or '0')
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local firstRetained = top + 1
if #first > 0 then firstRetained = tonumber(first[2]) end
local limit = tonumber(ARGV[3])
local msgs = {}
if limit ~= 0 then
  if ARGV[1] == 'after' then
    if limit < 0 then
      msgs = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf')
    else
      msgs = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf', 'LIMIT', 0, limit)
    end
  else
    local max = '+inf'
    if ARGV[2] ~= '' then max = '(' .. ARGV[2] end
    if limit < 0 then
      msgs = redis.call('ZREVRANGEBYSCORE', KEYS[2], max, '-inf')
    else
      msgs = redis.call('ZREVRANGEBYSCORE', KEYS[2], max, '-inf', 'LIMIT', 0, limit)
    end
  end
end
local out = {epoch, string.format('%d', top), string.format('%d', firstRetained)}
for i = 1, #msgs do out[#out + 1] = msgs[i] end
return out
`;

/** KEYS: meta, idem. ARGV: key, now, ttl. Returns {epoch, member} or nil. */
export const ORIGINAL = `
local hit = redis.call('HGET', KEYS[2], ARGV[1])
if not hit then return nil end
local sep = string.find(hit, '|', 1, true)
if tonumber(ARGV[2]) - tonumber(string.sub(hit, 1, sep - 1)) >= tonumber(ARGV[3]) then return nil end
return {redis.call('HGET', KEYS[1], 'epoch') or '', string.sub(hit, sep + 1)}
`;

/** Grace after a lease's expiry before Redis deletes the key (garbage collection only). */
const GRACE_MS = 60_000;

/**
 * Claim an alias: set if absent or lapsed. KEYS: alias hash (owner, token, exp).
 * ARGV: owner json, token, now (-1: Redis TIME), ttl.
 * Returns {1, '', exp} when won, {0, holder owner json, exp} when held.
 */
export const CLAIM = `${CLOCK}
local now = clock(ARGV[3])
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
if exp > now then return {0, redis.call('HGET', KEYS[1], 'owner'), int(exp)} end
exp = now + tonumber(ARGV[4])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', ARGV[2], 'exp', int(exp))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) + ${GRACE_MS})
return {1, '', int(exp)}
`;

/** Renew if the token matches and the lease has not lapsed. ARGV: token, now, ttl. Returns exp or -1. */
export const RENEW = `${CLOCK}
local now = clock(ARGV[2])
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return '-1' end
if tonumber(redis.call('HGET', KEYS[1], 'exp')) <= now then return '-1' end
local exp = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'exp', int(exp))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + ${GRACE_MS})
return int(exp)
`;

/** Release if the token matches and the lease has not lapsed. ARGV: token, now. Returns 1 or 0. */
export const RELEASE = `${CLOCK}
local now = clock(ARGV[2])
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'exp')) <= now then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/** Replace the owner if the token matches and the lease has not lapsed. ARGV: token, now, owner json. Returns 1 or 0. */
export const RESTATE = `${CLOCK}
local now = clock(ARGV[2])
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'exp')) <= now then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[3])
return 1
`;

/** The live holder. ARGV: now. Returns {owner json, exp} or nil. */
export const HOLDER = `${CLOCK}
local now = clock(ARGV[1])
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp') or '0')
if exp <= now then return nil end
return {redis.call('HGET', KEYS[1], 'owner'), int(exp)}
`;

/** Drop lapsed presence. KEYS: zset (key by exp), hash (key → info json). */
/**
 * Drop entries lapsed `keep` ms ago or more; keep < 0: never (the `*` key,
 * whose lapsed entries wait for REAP_PRESENCE to announce their quit).
 */
const PURGE_PRESENCE = `
local function purge(now, keep)
  if keep < 0 then return end
  local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now - keep))
  if #old > 0 then
    redis.call('ZREM', KEYS[1], unpack(old))
    redis.call('HDEL', KEYS[2], unpack(old))
  end
end
`;

/** ARGV: member key, info json, now, ttl, keep (see purge). */
export const SET_PRESENCE = `${CLOCK}${PURGE_PRESENCE}
local now = clock(ARGV[3])
purge(now, tonumber(ARGV[5]))
redis.call('ZADD', KEYS[1], int(now + tonumber(ARGV[4])), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

/** ARGV: now, keep (see purge). Returns {key, exp, info json, …} of live members. */
export const PRESENCE = `${CLOCK}${PURGE_PRESENCE}
local now = clock(ARGV[1])
purge(now, tonumber(ARGV[2]))
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. int(now), '+inf', 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or '{}'
end
return out
`;

/**
 * Take the place of the entry under a key, lapsed or not (a session whose
 * node died), whoever's it was. ARGV: member key, info json, now, ttl.
 * Returns {exp, old info json} when replaced, nil when there was none.
 */
export const TAKE_PRESENCE = `${CLOCK}
local old = redis.call('HGET', KEYS[2], ARGV[1])
local exp = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not old or not exp then return nil end
local now = clock(ARGV[3])
redis.call('ZADD', KEYS[1], int(now + tonumber(ARGV[4])), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {exp, old}
`;

/** Remove entries lapsed more than `grace` ago. ARGV: now, grace. Returns {key, exp, info json, …}. */
export const REAP_PRESENCE = `${CLOCK}
local now = clock(ARGV[1])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', int(now - tonumber(ARGV[2])), 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or '{}'
  redis.call('ZREM', KEYS[1], ids[i])
  redis.call('HDEL', KEYS[2], ids[i])
end
return out
`;

/**
 * Accounts: one hash per account plus a set of keys, all under the `{accounts}` tag.
 * KEYS: account hash, set of keys. ARGV: key, name, hash, operator 0|1, createdAt.
 */
export const CREATE_ACCOUNT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'name', ARGV[2], 'hash', ARGV[3], 'operator', ARGV[4], 'createdAt', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: account hash. ARGV: field, value pairs. */
export const UPDATE_ACCOUNT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

/** KEYS: account hash, set of keys. ARGV: key. */
export const DELETE_ACCOUNT = `
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
`;

/** KEYS: set of keys. ARGV: prefix of account hashes. Returns one HGETALL list per account. */
export const LIST_ACCOUNTS = `
local out = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  out[#out + 1] = redis.call('HGETALL', ARGV[1] .. key)
end
return out
`;
