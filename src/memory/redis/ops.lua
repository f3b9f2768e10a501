-- The scripts' bodies, one per `-- @name` section; each runs after scripts.lua's prelude.

-- @node ARGV[8] path
local p = ARGV[8]
if is_dir(p) then return {'dir', '4096'} end
if is_file(p) then return {'file', size_of(p)} end
return {'none'}

-- @read ARGV[8] path
local p = ARGV[8]
if is_dir(p) then return {'dir'} end
-- Without a hash in its metadata (set by hand), the reader computes it from the text.
if is_file(p) then return {'file', redis.call('HGET', content, p) or '', sha_of(p) or ''} end
return {'none'}

-- @children ARGV[8] how many children at most, then pairs from ARGV[9]: a directory and the
-- member to go on after in it ('' from its first child). Answers 'ok' and the history's counter
-- (so that a listing read in several calls can tell whether anything changed between them),
-- then for each directory: 'ok', the member to go on after when it has more ('' when not), how
-- many children follow, and kind, name and size for each; or 'later' when the limit was spent
-- before it; or why it cannot be listed ('none', 'notdir', or 'parentfile' and the file).
local budget = tonumber(ARGV[8])
local out = {'ok', redis.call('GET', seqk) or '0'}
local function say(...)
  for _, v in ipairs({...}) do table.insert(out, v) end
end
for i = 9, #ARGV, 2 do
  local d, after = ARGV[i], ARGV[i + 1]
  if budget <= 0 then
    say('later', '', '0')
  elseif not is_dir(d) then
    local _, blocker = ancestors(d)
    if is_file(d) then say('notdir', '', '0')
    elseif blocker then say('parentfile', blocker, '0')
    else say('none', '', '0') end
  else
    local found, last = children(d, after, budget)
    budget = budget - #found
    local more = ''
    if budget <= 0 and #found > 0 then more = last end
    say('ok', more, tostring(#found))
    for _, c in ipairs(found) do
      local size = '4096'
      if c[2] == 'f' then size = size_of(d .. '/' .. c[1]) end
      say(c[2], c[1], size)
    end
  end
end
return out

-- @save ARGV[8] path, [9] text, [10] any|absent|version, [11] expected sha, [12] new sha,
-- [13] size, [14] "1" when retrying after a lost reply
local p, text, expect, want, new, size, retry =
  ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local leased_by = guard(p, false)
if leased_by then return leased_by end
if is_dir(p) then return {'isdir'} end
local chain, blocker = ancestors(p)
if blocker then return {'parentfile', blocker} end
local cur = sha_of(p)
-- A retry whose first attempt did land: the store already holds what was asked.
if retry == '1' and cur == new then return {'ok', '0', 'same'} end
if expect == 'absent' and cur then return {'exists'} end
if expect == 'version' and cur ~= want then return {'conflict', cur or ''} end
local seq = put_file(p, cur, new, text, size, chain)
if cur then return {'ok', tostring(seq), 'modified'} end
return {'ok', tostring(seq), 'created'}

-- @delete ARGV[8] path
local p = ARGV[8]
local leased_by = guard(p, true)
if leased_by then return leased_by end
if is_file(p) then
  drop_file(p)
  return {'ok', 'file'}
end
if p ~= ROOT and is_dir(p) then
  local head = record(p, '', '', '', '1', true)
  local files, folders = below(p)
  for _, f in ipairs(files) do drop_file(f, head) end
  for _, d in ipairs(folders) do
    redis.call('HDEL', dirs, d)
    unindex(d, 'd')
  end
  redis.call('HDEL', dirs, p)
  unindex(p, 'd')
  return {'ok', 'dir'}
end
return {'none'}

-- @rename ARGV[8] from, [9] to
local from, to = ARGV[8], ARGV[9]
local leased_by = guard(from, true) or guard(to, true)
if leased_by then return leased_by end
-- The reference's order: a taken destination first, then a missing source.
if is_file(to) or is_dir(to) then return {'exists'} end
local file = is_file(from)
if not file and not (from ~= ROOT and is_dir(from)) then return {'none'} end
local chain, blocker = ancestors(to)
if blocker then return {'parentfile', blocker} end
make_dirs(chain)
local function move(a, b, grp)
  local sha = sha_of(a)
  redis.call('HSET', content, b, redis.call('HGET', content, a))
  redis.call('HDEL', content, a)
  redis.call('HSET', meta, b, redis.call('HGET', meta, a))
  redis.call('HDEL', meta, a)
  unindex(a, 'f')
  index(b, 'f')
  record(a, b, sha, sha, '0', grp)
end
if file then
  move(from, to)
  return {'ok', 'file'}
end
local head = record(from, to, '', '', '1', true)
local files, folders = below(from)
for _, f in ipairs(files) do move(f, to .. string.sub(f, #from + 1), head) end
for _, d in ipairs(folders) do
  local moved = to .. string.sub(d, #from + 1)
  redis.call('HSET', dirs, moved, '1')
  redis.call('HDEL', dirs, d)
  unindex(d, 'd')
  index(moved, 'd')
end
redis.call('HDEL', dirs, from)
unindex(from, 'd')
redis.call('HSET', dirs, to, '1')
index(to, 'd')
return {'ok', 'dir'}


-- @restore_folder ARGV[8] folder, then pairs from ARGV[9]: a file below it, the version to bring
-- back. Files that exist are skipped; nothing is written unless every other one can come back.
-- Answers 'ok' and the paths restored.
local folder = ARGV[8]
local leased_by = guard(folder, true)
if leased_by then return leased_by end
local todo = {}
for i = 9, #ARGV, 2 do
  local p, sha = ARGV[i], ARGV[i + 1]
  if not (is_file(p) or is_dir(p)) then
    local _, blocker = ancestors(p)
    if blocker then return {'parentfile', blocker, p} end
    local text = redis.call('HGET', blobs, sha)
    if not text then return {'gone', p, sha} end
    table.insert(todo, {p, sha, text})
  end
end
local out = {'ok'}
if #todo == 0 then return out end
local head = record(folder, '', '', '', '1', true)
for _, t in ipairs(todo) do
  local p, sha, text = t[1], t[2], t[3]
  make_dirs(ancestors(p))
  redis.call('HSET', content, p, text)
  redis.call('HSET', meta, p, cjson.encode({sha = sha, size = string.len(text), ts = tonumber(ts),
    actor = actor, host = host}))
  index(p, 'f')
  record(p, '', '', sha, '0', head)
  ref(sha, 1)
  table.insert(out, p)
end
return out

-- @batch several files written or removed as one operation: four arguments each from ARGV[8]:
-- the path, what it must hold ('absent', 'any' or a version), the new version ('' to remove the
-- file) and the new text. Every precondition is checked before anything is written; the history
-- gets the whole store's entry, then one per file under it.
local todo = {}
for i = 8, #ARGV, 4 do
  local p, want, new, text = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local leased_by = guard(p, false)
  if leased_by then return leased_by end
  if is_dir(p) then return {'isdir', '', p} end
  local chain, blocker = ancestors(p)
  if blocker then return {'parentfile', blocker, p} end
  local cur = sha_of(p)
  if want == 'absent' then
    if cur then return {'exists', '', p} end
  elseif want ~= 'any' and cur ~= want then
    return {'conflict', cur or '', p}
  end
  if new == '' and not cur then return {'none', '', p} end
  table.insert(todo, {p, cur, new, text, chain})
end
if #todo == 0 then return {'ok'} end
local head = record(ROOT, '', '', '', '1', true)
for _, t in ipairs(todo) do
  local p, cur, new, text, chain = t[1], t[2], t[3], t[4], t[5]
  if new == '' then
    drop_file(p, head)
  else
    put_file(p, cur, new, text, string.len(text), chain, head)
  end
end
return {'ok'}

-- @import ARGV[8..11] how many directories, files, versions and history entries follow: each
-- directory's path; each file's path, text and metadata; each version's hash and text; each
-- entry's seq, ts, actor, host, cid, op, path, to, old, new, dir and grp. Only into an empty
-- namespace; the index and counts are built by the upgrade after it.
if redis.call('HLEN', meta) + redis.call('HLEN', dirs) + redis.call('XLEN', logk) > 0 then
  return {'notempty'}
end
local nd, nf, nv, ne = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local i = 12
for _ = 1, nd do
  redis.call('HSET', dirs, ARGV[i], '1')
  i = i + 1
end
for _ = 1, nf do
  local p, text, m = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('HSET', content, p, text)
  redis.call('HSET', meta, p, m)
  redis.call('HSET', blobs, cjson.decode(m).sha, text)
  i = i + 3
end
for _ = 1, nv do
  redis.call('HSET', blobs, ARGV[i], ARGV[i + 1])
  i = i + 2
end
local names = {'seq', 'ts', 'actor', 'host', 'cid', 'op', 'path', 'to', 'old', 'new', 'dir',
  'grp'}
for _ = 1, ne do
  local fields = {}
  for k, name in ipairs(names) do
    table.insert(fields, name)
    table.insert(fields, ARGV[i + k - 1])
  end
  redis.call('XADD', logk, '*', unpack(fields))
  i = i + #names
end
redis.call('SET', seqk, ne)
return {'ok'}

-- @survey (no arguments) answers the namespace's layout, and how many members the tree index
-- has against the files and directories it should count (they differ when keys were written by
-- hand).
return {redis.call('HGET', state, 'layout') or '', tostring(redis.call('ZCARD', tree)),
  tostring(redis.call('HLEN', meta) + redis.call('HLEN', dirs))}

-- @upgrade ARGV[8] the layout to write. Builds the tree index, the per-path history counts and
-- the versions' reference counts from the files, directories and history (a namespace laid out
-- by an older memdeck, or one written without them), and drops versions nothing names. Runs
-- once per namespace; its time grows with the namespace.
redis.call('DEL', tree, hist, refs, shield)
redis.call('HDEL', state, 'cutpos', 'pos', 'at')
for _, p in ipairs(redis.call('HKEYS', meta)) do
  index(p, 'f')
  ref(sha_of(p), 1)
end
for _, d in ipairs(redis.call('HKEYS', dirs)) do index(d, 'd') end
for _, entry in ipairs(redis.call('XRANGE', logk, '-', '+')) do
  local e = fields_of(entry)
  local n, ids = hist_of(e.path or '')
  table.insert(ids, entry[1])
  if #ids > KEEP_PER_PATH then table.remove(ids, 1) end
  set_hist(e.path or '', n + 1, ids)
  ref(e.old, 1)
  ref(e.new, 1)
end
for _, s in ipairs(redis.call('HKEYS', blobs)) do
  if redis.call('HEXISTS', refs, s) == 0 then redis.call('HDEL', blobs, s) end
end
redis.call('HSET', state, 'layout', ARGV[8])
return {'ok'}

-- @acquire ARGV[8] subject, [9] ttl in ms: a lease for the writer (actor, host) unless someone
-- holds one. Answers 'ok', the token and the ms left, or 'held' and the holder's lease.
local s, ttl = ARGV[8], ARGV[9]
local held = lease_on(s)
if held then return {'held', held[1], held[2], held[3], held[4]} end
local token = tostring(redis.call('HINCRBY', state, 'tokens', 1))
if not redis.call('SET', leasek .. s, token .. '\n' .. actor .. '\n' .. host, 'NX', 'PX', ttl) then
  return {'held', '0', '', '', '0'}
end
redis.call('HSET', fences, s, token)
redis.call('ZADD', leased, 0, s)
redis.call('XADD', events, 'MAXLEN', '~', '1000', '*', 'kind', 'granted', 'subject', s,
  'token', token, 'holder', actor, 'host', host, 'ttl', ttl, 'cid', cid)
return {'ok', token, ttl}

-- @renew ARGV[8] subject, [9] token, [10] ttl in ms: extend the lease only if it still has this
-- token. Answers 'ok' and the ms left, or 'gone'.
local s, token, ttl = ARGV[8], ARGV[9], ARGV[10]
local held = lease_on(s)
if not held or held[1] ~= token then return {'gone'} end
redis.call('PEXPIRE', leasek .. s, ttl)
return {'ok', ttl}

-- @release ARGV[8] subject, [9] token: compare-and-delete; the waiters are told on the events
-- stream. Answers 'ok', or 'gone' when the lease was not this one any more.
local s, token = ARGV[8], ARGV[9]
local held = lease_on(s)
if not held or held[1] ~= token then return {'gone'} end
redis.call('DEL', leasek .. s)
redis.call('ZREM', leased, s)
redis.call('XADD', events, 'MAXLEN', '~', '1000', '*', 'kind', 'released', 'subject', s,
  'token', token, 'holder', held[2], 'host', held[3], 'cid', cid)
return {'ok'}

-- @expiring ARGV[8] the HSCAN cursor ('0' to begin): one page of the files whose text starts
-- a front matter holding `expires:`. Answers the next cursor ('0' at the end) and the paths.
local page = redis.call('HSCAN', content, ARGV[8], 'COUNT', 500)
local out = {page[1]}
local pairs_ = page[2]
for i = 1, #pairs_, 2 do
  local text = pairs_[i + 1]
  if string.find(text, '^%-%-%-\r?\n') and string.find(text, '\nexpires:', 1, true) then
    table.insert(out, pairs_[i])
  end
end
return out

-- @leases (no arguments): every live lease, five fields each: subject, token, holder, host, ms
-- left; subjects whose lease ran out are dropped from the set on the way.
local out = {'ok'}
for _, s in ipairs(redis.call('ZRANGE', leased, 0, -1)) do
  local l = lease_on(s)
  if l then
    for _, v in ipairs({s, l[1], l[2], l[3], l[4]}) do table.insert(out, v) end
  else
    redis.call('ZREM', leased, s)
  end
end
return out
