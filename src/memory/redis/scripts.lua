-- memdeck's memory store on Redis: the prelude every script starts with.
--
-- Keys (all under one hash tag, so one cluster slot holds a namespace):
--   KEYS[1] content  HASH  path -> text
--   KEYS[2] meta     HASH  path -> JSON {sha, size, ts, actor, host}
--   KEYS[3] dirs     HASH  directory path -> "1" (directories exist on their own, as on disk)
--   KEYS[4] seq      STRING  the history's entry counter
--   KEYS[5] log      STREAM  one entry per change: seq ts actor host cid op path to old new dir
--   KEYS[6] blobs    HASH  sha -> text (every version the log names, for restore and diffs)
-- ARGV[1] ts, ARGV[2] actor, ARGV[3] host, ARGV[4] client id, ARGV[5] op, ARGV[6] entries kept;
-- each script's own arguments follow.
local content, meta, dirs, seqk, logk, blobs = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local ts, actor, host, cid, op, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ROOT = '/memories'

local function is_file(p) return redis.call('HEXISTS', meta, p) == 1 end
local function is_dir(p) return p == ROOT or redis.call('HEXISTS', dirs, p) == 1 end
local function parent(p) return string.match(p, '^(.*)/[^/]*$') end
local function under(p, dir) return string.sub(p, 1, #dir + 1) == dir .. '/' end
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
-- The size a file lists with: its metadata's, else its text's length.
local function size_of(p)
  local m = meta_of(p)
  if m and tonumber(m.size) then return tostring(m.size) end
  return tostring(redis.call('HSTRLEN', content, p))
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

-- The history's retention, the file store's rule: beyond `keep` entries the oldest go, except
-- each path's newest KEEP_PER_PATH; then the versions that no entry and no file name any more.
-- It runs when the entry counter passes a multiple of a quarter of `keep`, whichever client
-- wrote (a short `memdeck ask` as much as the app), so the log stays under `keep` and a quarter
-- more, plus those per-path entries.
local KEEP_PER_PATH = tonumber('@KEEP_PER_PATH@')
local retain_due = false

-- Append one history entry; returns its sequence number. `grp`: the number of the folder entry
-- that heads the operation this entry belongs to ('' for a change on its own); a folder's own
-- entry passes true and is numbered as its own head.
local function record(path, to, old, new, dir, grp)
  local seq = redis.call('INCR', seqk)
  if grp == true then grp = seq end
  redis.call('XADD', logk, '*',
    'seq', seq, 'ts', ts, 'actor', actor, 'host', host, 'cid', cid, 'op', op,
    'path', path, 'to', to, 'old', old or '', 'new', new or '', 'dir', dir,
    'grp', grp or '')
  if seq % math.max(1, math.floor(tonumber(keep) / 4)) == 0 then retain_due = true end
  return seq
end

local function retain()
  local entries = redis.call('XRANGE', logk, '-', '+')
  local cut = #entries - tonumber(keep)
  local live, seen, gone = {}, {}, {}
  for _, v in ipairs(redis.call('HVALS', meta)) do
    local m = decoded(v)
    if m and type(m.sha) == 'string' then live[m.sha] = true end
  end
  local fields, keep_entry, keep_group = {}, {}, {}
  for i = #entries, 1, -1 do
    local f, e = entries[i][2], {}
    for j = 1, #f, 2 do e[f[j]] = f[j + 1] end
    fields[i] = e
    seen[e.path] = (seen[e.path] or 0) + 1
    keep_entry[i] = i > cut or seen[e.path] <= KEEP_PER_PATH
    -- A folder's operation is kept whole or not at all.
    if keep_entry[i] and (e.grp or '') ~= '' then keep_group[e.grp] = true end
  end
  for i = 1, #entries do
    local e = fields[i]
    if keep_entry[i] or ((e.grp or '') ~= '' and keep_group[e.grp]) then
      if e.old ~= '' then live[e.old] = true end
      if e.new ~= '' then live[e.new] = true end
    else
      table.insert(gone, entries[i][1])
    end
  end
  for i = 1, #gone, 1000 do
    redis.call('XDEL', logk, unpack(gone, i, math.min(i + 999, #gone)))
  end
  for _, s in ipairs(redis.call('HKEYS', blobs)) do
    if not live[s] then redis.call('HDEL', blobs, s) end
  end
end

-- The fields of a hash below dir (full paths), sorted.
local function fields_under(hash, dir)
  local out = {}
  for _, p in ipairs(redis.call('HKEYS', hash)) do
    if under(p, dir) then table.insert(out, p) end
  end
  table.sort(out)
  return out
end

local function files_under(dir) return fields_under(meta, dir) end
local function dirs_under(dir) return fields_under(dirs, dir) end
