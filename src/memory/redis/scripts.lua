-- memdeck's memory store on Redis: the prelude every script starts with.
--
-- Keys (all under one hash tag, so one cluster slot holds a namespace):
--   KEYS[1]  content  HASH    path -> text
--   KEYS[2]  meta     HASH    path -> JSON {sha, size, ts, actor, host}
--   KEYS[3]  dirs     HASH    directory path -> "1" (directories exist on their own, as on disk)
--   KEYS[4]  seq      STRING  the history's entry counter
--   KEYS[5]  log      STREAM  one entry per change: seq ts actor host cid op path to old new dir grp
--   KEYS[6]  blobs    HASH    sha -> text (every version the log or a file names)
--   KEYS[7]  tree     ZSET    every file and directory as `parent NUL name NUL kind` (kind f or
--                             d), all scored 0: a directory's children are one range, by name
--   KEYS[8]  hist     HASH    path -> "count id id ...": how many log entries name the path, and
--                             the ids of its newest KEEP_PER_PATH (which retention keeps)
--   KEYS[9]  refs     HASH    sha -> how many log entries and files name that version
--   KEYS[10] state    HASH    layout (the version of this key layout); cutpos, pos, at: the
--                             history pruning under way
--   KEYS[11] shield   SET     entry ids a path's newer entries pushed out of its newest while a
--                             pruning was under way: kept as it would have kept them at once
--   KEYS[12] lease    prefix  lease:<subject> STRING "token NL holder NL host", with its expiry
--                             (SET NX PX); the prefix itself is no key
--   KEYS[13] fences   HASH    subject -> the newest token granted on it
--   KEYS[14] leased   ZSET    the subjects that may have a live lease, all scored 0 (by name)
--   KEYS[15] events   STREAM  grants and releases, for waiters (capped at about 1,000)
-- ARGV[1] ts, ARGV[2] actor, ARGV[3] host, ARGV[4] client id, ARGV[5] op, ARGV[6] entries kept,
-- ARGV[7] the writer's lease ("token TAB subject", or empty); each script's own arguments
-- follow.
local content, meta, dirs, seqk, logk, blobs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local tree, hist, refs, state, shield = KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local ts, actor, host, cid, op, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local leasek, fences, leased, events = KEYS[12], KEYS[13], KEYS[14], KEYS[15]
local fence_token, fence_subject = string.match(ARGV[7], '^(%d+)\t(.*)$')
local ROOT = '/memories'
local LAYOUT = '@LAYOUT@'

local function is_file(p) return redis.call('HEXISTS', meta, p) == 1 end
local function is_dir(p) return p == ROOT or redis.call('HEXISTS', dirs, p) == 1 end
local function parent(p) return string.match(p, '^(.*)/[^/]*$') end
-- A file's metadata as a table; false when there is none, or it is not the JSON memdeck
-- writes (a value set by hand must not break every script that meets it).
local function decoded(m)
  if not m then return false end
  local ok, value = pcall(cjson.decode, m)
  if ok and type(value) == 'table' then return value end
  return false
end
local function meta_of(p) return decoded(redis.call('HGET', meta, p)) end
local function sha_of(p)
  local m = meta_of(p)
  if m and type(m.sha) == 'string' then return m.sha end
  return false
end
-- The size a file lists with: its text's length.
local function size_of(p) return tostring(redis.call('HSTRLEN', content, p)) end

-- The live lease on subject s as {token, holder, host, ms left}; false when there is none.
local function lease_on(s)
  local v = redis.call('GET', leasek .. s)
  if not v then return false end
  local token, holder, where = string.match(v, '^(%d+)\n([^\n]*)\n(.*)$')
  if not token then return false end
  return {token, holder, where, tostring(redis.call('PTTL', leasek .. s))}
end
-- Whether a write to p (with `tree`, to anything below it too) must be refused: someone else's
-- live lease ('leased', the subject, holder, host, ms left), or a lease of the writer's that ran
-- out and was granted again since ('fenced', p, the writer's token, the newest); false if not.
local function guard(p, tree)
  local mine = fence_subject == p
  local l = lease_on(p)
  if l and not (mine and l[1] == fence_token) then return {'leased', p, l[2], l[3], l[4]} end
  if tree then
    for _, s in ipairs(redis.call('ZRANGEBYLEX', leased, '[' .. p .. '/', '(' .. p .. '0')) do
      local o = lease_on(s)
      if o then return {'leased', s, o[2], o[3], o[4]} end
    end
  end
  if mine and not l then
    local newest = redis.call('HGET', fences, p)
    if newest and tonumber(newest) > tonumber(fence_token) then
      return {'fenced', p, fence_token, newest}
    end
  end
  return false
end

-- The tree index: one member per file or directory, under its parent.
local function member(p, kind)
  local d, name = string.match(p, '^(.*)/([^/]*)$')
  return d .. '\0' .. name .. '\0' .. kind
end
local function index(p, kind) redis.call('ZADD', tree, 0, member(p, kind)) end
local function unindex(p, kind) redis.call('ZREM', tree, member(p, kind)) end
-- Up to `limit` children of d after the member `after` ('' from the first), in name order:
-- a list of {name, kind}, and the last member read.
local function children(d, after, limit)
  local lo = '[' .. d .. '\0'
  if after ~= '' then lo = '(' .. after end
  local found = redis.call('ZRANGEBYLEX', tree, lo, '(' .. d .. '\1', 'LIMIT', 0, limit)
  local out = {}
  for _, m in ipairs(found) do
    local rest = string.sub(m, #d + 2)
    table.insert(out, {string.sub(rest, 1, -3), string.sub(rest, -1)})
  end
  return out, found[#found]
end
-- Every file and directory below d (full paths), each list sorted.
local function below(d)
  local files, folders, todo = {}, {}, {d}
  while #todo > 0 do
    local q = table.remove(todo)
    for _, c in ipairs(children(q, '', -1)) do
      local p = q .. '/' .. c[1]
      if c[2] == 'd' then
        table.insert(folders, p)
        table.insert(todo, p)
      else
        table.insert(files, p)
      end
    end
  end
  table.sort(files)
  table.sort(folders)
  return files, folders
end

-- The directories between the root and p (exclusive), outermost first; or the file in the way.
local function ancestors(p)
  local chain = {}
  local q = parent(p)
  while q and q ~= ROOT and #q > #ROOT do
    table.insert(chain, 1, q)
    q = parent(q)
  end
  for _, a in ipairs(chain) do
    if is_file(a) then return nil, a end
  end
  return chain, nil
end
local function make_dirs(chain)
  for _, d in ipairs(chain) do
    if redis.call('HSETNX', dirs, d, '1') == 1 then index(d, 'd') end
  end
end

-- How many log entries and files name a version; at none its text goes.
local function ref(sha, by)
  if not sha or sha == '' then return end
  if redis.call('HINCRBY', refs, sha, by) <= 0 then
    redis.call('HDEL', refs, sha)
    redis.call('HDEL', blobs, sha)
  end
end
-- A path's history count and newest entry ids.
local function hist_of(p)
  local words = {}
  for w in string.gmatch(redis.call('HGET', hist, p) or '', '%S+') do table.insert(words, w) end
  local n = tonumber(table.remove(words, 1) or '0') or 0
  return n, words
end
local function set_hist(p, n, ids)
  if n <= 0 then
    redis.call('HDEL', hist, p)
  else
    redis.call('HSET', hist, p, n .. ' ' .. table.concat(ids, ' '))
  end
end

-- The history's retention, the file store's rule: beyond `keep` entries the oldest go, except
-- each path's newest KEEP_PER_PATH and the operations (a folder's delete, rename, restore)
-- any of whose entries is kept; a version goes with the last entry or file naming it. It is
-- due when the entry counter passes a multiple of a quarter of `keep`, whichever client wrote,
-- and then done in steps of at most PRUNE_STEP entries, one step after each write, so that no
-- script holds the server for long however big the history. What it keeps is what it would
-- have kept all at once when it became due: entries written meanwhile are not looked at, and
-- those they pushed out of their path's newest stay shielded.
local KEEP_PER_PATH = tonumber('@KEEP_PER_PATH@')
local PRUNE_STEP = 100
local wrote, prune_due = false, false
-- This script's own entries, and the ids they pushed out of their paths' newest: a pruning that
-- becomes due here treats the change under way as the local store does, counting its entries
-- against `keep` but neither pruning them nor letting them push older entries out.
local recorded, displaced = 0, {}

-- Append one history entry; returns its sequence number. `grp`: the number of the folder entry
-- that heads the operation this entry belongs to ('' for a change on its own); a folder's own
-- entry passes true and is numbered as its own head.
local function record(path, to, old, new, dir, grp)
  local seq = redis.call('INCR', seqk)
  if grp == true then grp = seq end
  local id = redis.call('XADD', logk, '*',
    'seq', seq, 'ts', ts, 'actor', actor, 'host', host, 'cid', cid, 'op', op,
    'path', path, 'to', to, 'old', old or '', 'new', new or '', 'dir', dir,
    'grp', grp or '')
  local n, ids = hist_of(path)
  table.insert(ids, id)
  if #ids > KEEP_PER_PATH then
    local out = table.remove(ids, 1)
    table.insert(displaced, out)
    if redis.call('HEXISTS', state, 'cutpos') == 1 then redis.call('SADD', shield, out) end
  end
  recorded = recorded + 1
  set_hist(path, n + 1, ids)
  ref(old, 1)
  ref(new, 1)
  wrote = true
  if seq % math.max(1, math.floor(tonumber(keep) / 4)) == 0 then prune_due = true end
  return seq
end

-- Make `text` p's content (version `new`, `size` bytes; the parent directories `chain` made),
-- recorded under `grp` (see record); `cur`, the version it replaces (false: a new file), is
-- kept. Returns the entry's number.
local function put_file(p, cur, new, text, size, chain, grp)
  if cur then redis.call('HSETNX', blobs, cur, redis.call('HGET', content, p)) end
  local existed = is_file(p)
  redis.call('HSET', content, p, text)
  redis.call('HSET', meta, p, cjson.encode({sha = new, size = tonumber(size), ts = tonumber(ts),
    actor = actor, host = host}))
  redis.call('HSET', blobs, new, text)
  make_dirs(chain)
  if not existed then index(p, 'f') end
  local seq = record(p, '', cur, new, '0', grp)
  ref(new, 1)
  ref(cur, -1)
  return seq
end

-- Remove the file f, its text kept as the version it was; recorded under `grp`.
local function drop_file(f, grp)
  local old = sha_of(f)
  redis.call('HSETNX', blobs, old, redis.call('HGET', content, f))
  redis.call('HDEL', content, f)
  redis.call('HDEL', meta, f)
  unindex(f, 'f')
  record(f, '', old, '', '0', grp)
  ref(old, -1)
end

local function fields_of(entry)
  local f, e = entry[2], {}
  for j = 1, #f, 2 do e[f[j]] = f[j + 1] end
  return e
end
local function protected(id, e)
  if redis.call('SISMEMBER', shield, id) == 1 then return true end
  local _, ids = hist_of(e.path or '')
  for _, kept in ipairs(ids) do
    if kept == id then return true end
  end
  return false
end
local function forget(id, e)
  redis.call('XDEL', logk, id)
  local n, ids = hist_of(e.path or '')
  set_hist(e.path or '', n - 1, ids)
  ref(e.old, -1)
  ref(e.new, -1)
end

-- One step of the pruning under way: entries are looked at oldest first; `pos` counts those
-- looked at, and the first `cutpos` (the log's length beyond `keep` when pruning became due)
-- may go. An operation's entries are written together, so they are looked at together.
local function prune_step()
  if prune_due then
    local len = redis.call('XLEN', logk)
    local cut = math.min(len - tonumber(keep), len - recorded)
    if cut > 0 then
      redis.call('HSET', state, 'cutpos', cut, 'pos', 0, 'at', '-')
      redis.call('DEL', shield)
      for i = 1, #displaced, 1000 do
        redis.call('SADD', shield, unpack(displaced, i, math.min(i + 999, #displaced)))
      end
    end
  end
  local cutpos = tonumber(redis.call('HGET', state, 'cutpos') or '')
  if not cutpos then return end
  local pos = tonumber(redis.call('HGET', state, 'pos')) or 0
  local at = redis.call('HGET', state, 'at') or '-'
  local budget = PRUNE_STEP
  while budget > 0 and pos < cutpos do
    local from = '-'
    if at ~= '-' then from = '(' .. at end
    local batch = redis.call('XRANGE', logk, from, '+', 'COUNT', math.min(budget, cutpos - pos))
    if #batch == 0 then pos = cutpos break end
    local i = 1
    while i <= #batch and pos < cutpos do
      local e = fields_of(batch[i])
      local group = {{batch[i][1], e}}
      if (e.grp or '') ~= '' then
        -- The rest of the operation: what follows in this batch, then beyond it.
        local last = batch[i][1]
        local j = i + 1
        while true do
          local more
          if j <= #batch then
            more = batch[j]
          else
            more = redis.call('XRANGE', logk, '(' .. last, '+', 'COUNT', 1)[1]
          end
          if not more then break end
          local f = fields_of(more)
          if f.grp ~= e.grp then break end
          table.insert(group, {more[1], f})
          last = more[1]
          j = j + 1
        end
      end
      local doomed = pos + #group <= cutpos
      for _, g in ipairs(group) do
        if doomed and protected(g[1], g[2]) then doomed = false end
      end
      if doomed then
        for _, g in ipairs(group) do forget(g[1], g[2]) end
      end
      pos = pos + #group
      at = group[#group][1]
      budget = budget - #group
      i = i + #group
    end
  end
  if pos >= cutpos then
    redis.call('HDEL', state, 'cutpos', 'pos', 'at')
    redis.call('DEL', shield)
  else
    redis.call('HSET', state, 'pos', pos, 'at', at)
  end
end
