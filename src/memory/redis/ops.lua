-- The scripts' bodies, one per `-- @name` section; each runs after scripts.lua's prelude.

-- @node ARGV[7] path
local p = ARGV[7]
if is_dir(p) then return {'dir', '4096'} end
if is_file(p) then return {'file', size_of(p)} end
return {'none'}

-- @read ARGV[7] path
local p = ARGV[7]
if is_dir(p) then return {'dir'} end
-- Without a hash in its metadata (set by hand), the reader computes it from the text.
if is_file(p) then return {'file', redis.call('HGET', content, p) or '', sha_of(p) or ''} end
return {'none'}

-- @list ARGV[7] directory
local d = ARGV[7]
if not is_dir(d) then
  if is_file(d) then return {'notdir'} end
  local _, blocker = ancestors(d)
  if blocker then return {'parentfile', blocker} end
  return {'none'}
end
local out = {'ok'}
for _, p in ipairs(dirs_under(d)) do
  table.insert(out, 'd'); table.insert(out, p); table.insert(out, '4096')
end
for _, p in ipairs(files_under(d)) do
  table.insert(out, 'f'); table.insert(out, p)
  table.insert(out, size_of(p))
end
return out

-- @siblings ARGV[7..] paths: every file and directory directly inside a directory on the way
-- from the root to one of the paths (what a new name is compared with for letter case)
local wanted = {[ROOT] = true}
for i = 7, #ARGV do
  local q = parent(ARGV[i])
  while q and #q > #ROOT do
    wanted[q] = true
    q = parent(q)
  end
end
local out = {}
for _, h in ipairs({meta, dirs}) do
  for _, k in ipairs(redis.call('HKEYS', h)) do
    if wanted[parent(k)] then table.insert(out, k) end
  end
end
return out

-- @save ARGV[7] path, [8] text, [9] any|absent|version, [10] expected sha, [11] new sha,
-- [12] size, [13] "1" when retrying after a lost reply
local p, text, expect, want, new, size, retry =
  ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13]
if is_dir(p) then return {'isdir'} end
local chain, blocker = ancestors(p)
if blocker then return {'parentfile', blocker} end
local cur = sha_of(p)
-- A retry whose first attempt did land: the store already holds what was asked.
if retry == '1' and cur == new then return {'ok', '0', 'same'} end
if expect == 'absent' and cur then return {'exists'} end
if expect == 'version' and cur ~= want then return {'conflict', cur or ''} end
if cur then redis.call('HSETNX', blobs, cur, redis.call('HGET', content, p)) end
redis.call('HSET', content, p, text)
redis.call('HSET', meta, p, cjson.encode({sha = new, size = tonumber(size), ts = tonumber(ts),
  actor = actor, host = host}))
redis.call('HSET', blobs, new, text)
for _, d in ipairs(chain) do redis.call('HSET', dirs, d, '1') end
local seq = record(p, '', cur, new, '0')
if cur then return {'ok', tostring(seq), 'modified'} end
return {'ok', tostring(seq), 'created'}

-- @delete ARGV[7] path
local p = ARGV[7]
local function drop(f, grp)
  local old = sha_of(f)
  redis.call('HSETNX', blobs, old, redis.call('HGET', content, f))
  redis.call('HDEL', content, f)
  redis.call('HDEL', meta, f)
  record(f, '', old, '', '0', grp)
end
if is_file(p) then
  drop(p)
  return {'ok', 'file'}
end
if p ~= ROOT and is_dir(p) then
  local head = record(p, '', '', '', '1', true)
  for _, f in ipairs(files_under(p)) do drop(f, head) end
  for _, d in ipairs(dirs_under(p)) do redis.call('HDEL', dirs, d) end
  redis.call('HDEL', dirs, p)
  return {'ok', 'dir'}
end
return {'none'}

-- @rename ARGV[7] from, [8] to
local from, to = ARGV[7], ARGV[8]
local file = is_file(from)
if not file and not (from ~= ROOT and is_dir(from)) then return {'none'} end
if is_file(to) or is_dir(to) then return {'exists'} end
local chain, blocker = ancestors(to)
if blocker then return {'parentfile', blocker} end
for _, d in ipairs(chain) do redis.call('HSET', dirs, d, '1') end
local function move(a, b, grp)
  local sha = sha_of(a)
  redis.call('HSET', content, b, redis.call('HGET', content, a))
  redis.call('HDEL', content, a)
  redis.call('HSET', meta, b, redis.call('HGET', meta, a))
  redis.call('HDEL', meta, a)
  record(a, b, sha, sha, '0', grp)
end
if file then
  move(from, to)
  return {'ok', 'file'}
end
local head = record(from, to, '', '', '1', true)
for _, f in ipairs(files_under(from)) do move(f, to .. string.sub(f, #from + 1), head) end
for _, d in ipairs(dirs_under(from)) do
  redis.call('HSET', dirs, to .. string.sub(d, #from + 1), '1')
  redis.call('HDEL', dirs, d)
end
redis.call('HDEL', dirs, from)
redis.call('HSET', dirs, to, '1')
return {'ok', 'dir'}


-- @restore_folder ARGV[7] folder, then pairs from ARGV[8]: a file below it, the version to bring
-- back. Files that exist are skipped; nothing is written unless every other one can come back.
-- Answers 'ok' and the paths restored.
local folder = ARGV[7]
local todo = {}
for i = 8, #ARGV, 2 do
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
  local chain = ancestors(p)
  for _, d in ipairs(chain) do redis.call('HSET', dirs, d, '1') end
  redis.call('HSET', content, p, text)
  redis.call('HSET', meta, p, cjson.encode({sha = sha, size = string.len(text), ts = tonumber(ts),
    actor = actor, host = host}))
  record(p, '', '', sha, '0', head)
  table.insert(out, p)
end
redis.call('HSET', dirs, folder, '1')
return out
