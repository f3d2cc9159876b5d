// Generates the whole libguestfs call table from the API description Debian ships:
//   guestfs.h (libguestfs-dev)        actions (GUESTFS_HAVE_*), C signatures, deprecation with the
//                                     replacement, optarg structs with their bitmask constants, structs
//   Guestfs-1.0.gir (libguestfs-gobject-dev)  one-line descriptions, booleans, hashes, nullable values
//   guestfs(3) (libguestfs-dev)       which actions are long-running (send progress messages)
// and writes, marked GENERATED:
//   native/generated/guestfs_table.h  the C++ table included by native/guestfs_calls.cc: one small
//                                     thunk per call (the compiler checks it against guestfs.h), the
//                                     optarg field tables, the struct converters
//   src/generated/guestfs-calls.ts    typings of every call (GuestfsCalls), structs, option objects,
//                                     the signature table for host-side validation, the coverage lists
//   src/generated/guestfs-signatures.ts  re-export of the signature table (older import path)
// Run: node scripts/gen-guestfs-calls.mjs [--check]   (--check: fail when the committed files differ)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';

const root = new URL('..', import.meta.url);
const CHECK = process.argv.includes('--check');

// ---------------------------------------------------------------- overrides (what the API files cannot say)

/** Non-deprecated actions left out of the table, with the reason (the coverage test prints them). */
const NOT_BOUND = {
  add_libvirt_dom: 'takes a virDomainPtr from another library instance; add_domain (by name or UUID, libvirturi) is bound',
  user_cancel: "cancellation is the session's AbortSignal (kills the appliance); user_cancel must run on a second thread while a call holds the handle",
  mount_local: 'FUSE mount served by mount_local_run, which blocks the handle until umount_local from a second thread',
  mount_local_run: 'blocks the handle until umount_local from a second thread; calls on one handle are serialized',
  umount_local: 'only meaningful while mount_local_run runs (see mount_local)',
  set_libvirt_supported_credentials: 'libvirt authentication plumbing, usable only inside a GUESTFS_EVENT_LIBVIRT_AUTH callback',
  get_libvirt_requested_credentials: 'libvirt authentication plumbing, usable only inside a GUESTFS_EVENT_LIBVIRT_AUTH callback',
  get_libvirt_requested_credential_prompt: 'libvirt authentication plumbing, usable only inside a GUESTFS_EVENT_LIBVIRT_AUTH callback',
  get_libvirt_requested_credential_challenge: 'libvirt authentication plumbing, usable only inside a GUESTFS_EVENT_LIBVIRT_AUTH callback',
  get_libvirt_requested_credential_defresult: 'libvirt authentication plumbing, usable only inside a GUESTFS_EVENT_LIBVIRT_AUTH callback',
  set_libvirt_requested_credential: 'libvirt authentication plumbing, usable only inside a GUESTFS_EVENT_LIBVIRT_AUTH callback',
  debug: 'debugging and test-only (guestfsd debug commands)',
  debug_drives: 'debugging and test-only',
  debug_upload: 'debugging and test-only (uploads an executable into the appliance)',
  internal_exit: 'internal: makes guestfsd exit (tests of the appliance)',
};

/** libguestfs names reserved in TypeScript as parameter names. */
const RESERVED = new Set(['function', 'class', 'default', 'new', 'delete', 'in', 'var', 'let', 'const', 'enum', 'export', 'import', 'return', 'switch', 'case', 'this', 'with', 'yield', 'void', 'typeof', 'instanceof', 'package', 'interface', 'private', 'protected', 'public', 'static', 'super', 'extends', 'implements', 'for', 'if', 'do', 'while', 'try', 'catch', 'finally', 'throw', 'break', 'continue', 'debugger', 'await', 'null', 'true', 'false', 'arguments', 'eval']);

// ---------------------------------------------------------------- inputs

function pkgVar(v) {
  try {
    return execFileSync('pkg-config', [`--variable=${v}`, 'libguestfs'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
const includeDir = pkgVar('includedir') || '/usr/include';
const headerPath = existsSync(`${includeDir}/guestfs.h`) ? `${includeDir}/guestfs.h` : '/usr/include/guestfs.h';
const girPath = '/usr/share/gir-1.0/Guestfs-1.0.gir';
const manPath = '/usr/share/man/man3/guestfs.3.gz';
for (const [p, pkg] of [[headerPath, 'libguestfs-dev'], [girPath, 'libguestfs-gobject-dev'], [manPath, 'libguestfs-dev']])
  if (!existsSync(p)) throw new Error(`${p} is missing: apt-get install ${pkg}`);
let version = '';
try {
  version = execFileSync('pkg-config', ['--modversion', 'libguestfs'], { encoding: 'utf8' }).trim();
} catch {
  /* left out of the banner */
}

const header = readFileSync(headerPath, 'utf8');
const section = (from, to) => {
  const a = header.indexOf(from);
  const b = header.indexOf(to, a);
  if (a < 0 || b < 0) throw new Error(`guestfs.h: section '${from}' not found`);
  return header.slice(a, b);
};
const structSection = section('/* Structures. */', '/* Actions. */');
const actionSection = section('/* Actions. */', '/* Private functions. */');

// Structs: name -> [{ ctype, name, len? }]
const structs = new Map();
for (const m of structSection.matchAll(/^struct guestfs_(\w+) \{\n([^}]*)\};/gm)) {
  if (m[1].endsWith('_list')) continue;
  const fields = [];
  for (const line of m[2].split('\n')) {
    const f = /^\s*(char \*|char|int32_t|uint32_t|int64_t|uint64_t|float)\s*(\w+)(?:\[(\d+)\])?;/.exec(line);
    if (!f) {
      if (line.trim()) throw new Error(`struct guestfs_${m[1]}: unknown field '${line.trim()}'`);
      continue;
    }
    fields.push({ ctype: f[1].replace(/\s+/g, ' ').trim(), name: f[2], len: f[3] ? Number(f[3]) : undefined });
  }
  structs.set(m[1], fields);
}

// Actions: one block per GUESTFS_HAVE_ macro.
const actions = new Map();
const blocks = actionSection.split(/^(?=#define GUESTFS_HAVE_\w+ 1$)/m).slice(1);
const PROTO = /^extern GUESTFS_DLL_PUBLIC ([^;(]*?)\bguestfs_(\w+) \(guestfs_h \*g(?:, ([^)]*))?\)/gm;
for (const b of blocks) {
  const macro = /^#define GUESTFS_HAVE_(\w+) 1/.exec(b)[1].toLowerCase();
  // The action's own spelling (a few have capitals: mke2fs_J) is its prototype's.
  const name = [...b.matchAll(PROTO)].map((m) => m[2]).find((n) => n.toLowerCase() === macro) ?? macro;
  const dep = /GUESTFS_DEPRECATED_(?:REPLACED_BY \("(\w+)"\)|NO_REPLACEMENT)/.exec(b);
  const protos = new Map();
  for (const m of b.matchAll(PROTO)) protos.set(m[2], { ret: m[1].replace(/\s+/g, ' ').trim(), params: m[3] ? m[3].split(',').map((p) => p.trim()) : [] });
  const argv = protos.get(`${name}_argv`);
  const plain = protos.get(name);
  const proto = argv ?? plain;
  if (!proto) throw new Error(`guestfs.h: no prototype for guestfs_${name}`);
  let opt;
  if (argv) {
    const body = new RegExp(`struct guestfs_${name}_argv \\{\\n([^}]*)\\};`).exec(b)?.[1];
    if (!body) throw new Error(`guestfs.h: no struct guestfs_${name}_argv`);
    opt = [];
    for (const [, bit, ctype, field] of body.matchAll(/# define (GUESTFS_\w+_BITMASK) [^\n]*\n\s*(int|int64_t|const char \*|char \*const \*)\s*(\w+);/g))
      opt.push({ bit, ctype: ctype.replace(/\s+/g, ' ').trim(), name: field });
  }
  actions.set(name, {
    name,
    cfn: argv ? `${name}_argv` : name,
    ret: proto.ret,
    params: proto.params.map((p) => {
      const pn = /(\w+)$/.exec(p)[1];
      return { ctype: p.slice(0, p.length - pn.length).replace(/\/\*.*?\*\//g, '').replace(/\s+/g, ' ').trim(), name: pn };
    }),
    opt,
    deprecated: dep ? { replacement: dep[1] ?? null } : undefined,
  });
}

// The gobject description: docs, booleans, hashes, nullable values.
const gir = new DOMParser().parseFromString(readFileSync(girPath, 'utf8'), 'text/xml');
const girMethods = new Map();
const girOptProps = new Map(); // optargs class c:type name -> { prop -> gir type }
const child = (el, tag) => Array.from(el.childNodes).filter((n) => n.nodeType === 1 && n.tagName === tag);
const typeOf = (el) => {
  const t = child(el, 'type')[0] ?? child(el, 'array')[0];
  return t ? (t.tagName === 'array' ? 'array' : t.getAttribute('name')) : '';
};
for (const cls of Array.from(gir.getElementsByTagName('class'))) {
  if (cls.getAttribute('name') === 'Session') {
    for (const m of child(cls, 'method')) {
      const doc = child(m, 'doc')[0]?.textContent ?? '';
      const rv = child(m, 'return-value')[0];
      const params = new Map();
      for (const ps of child(m, 'parameters')) for (const p of child(ps, 'parameter')) params.set(p.getAttribute('name'), { type: typeOf(p), nullable: p.getAttribute('nullable') === '1' });
      girMethods.set(m.getAttribute('name'), {
        doc,
        ret: rv ? typeOf(rv) : '',
        retOptional: rv ? /NULL does not indicate error/.test(child(rv, 'doc')[0]?.textContent ?? '') : false,
        params,
      });
    }
  } else {
    const props = new Map();
    for (const p of child(cls, 'property')) props.set(p.getAttribute('name'), typeOf(p));
    girOptProps.set(cls.getAttribute('name'), props);
  }
}

// Long-running actions, from the manual: their sections say so.
const man = gunzipSync(readFileSync(manPath)).toString('utf8');
const progress = new Set();
for (const s of man.split(/^\.SS "/m).slice(1)) {
  const n = /^guestfs_(\w+)"/.exec(s)?.[1];
  if (n && /long-running command can generate progress/.test(s)) progress.add(n.replace(/_(argv|va)$/, ''));
}

// ---------------------------------------------------------------- the model

const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const pascal = (s) => camel(s).replace(/^./, (c) => c.toUpperCase());

/** X_opts whose plain X exists: the JS name X takes the optargs (as libguestfs' other bindings do). */
const aliasOf = new Map(); // plain X -> X_opts
for (const n of actions.keys()) if (n.endsWith('_opts') && actions.has(n.slice(0, -5))) aliasOf.set(n.slice(0, -5), n);

function firstLine(doc) {
  return (doc.split('\n')[0] ?? '').trim().replace(/^[a-z]/, (c) => c.toUpperCase());
}
function tsdocLine(s) {
  return s.replace(/\*\//g, '*\\/').replace(/@(\w+)/g, '`$1`').replace(/guestfs_session_(\w+)\(\)/g, (_, n) => `${camel(n)}()`);
}

const calls = []; // bound
const notBound = {}; // non-deprecated, unbound -> reason
const deprecated = {}; // name -> replacement or null
for (const a of actions.values()) {
  if (a.deprecated) {
    deprecated[a.name] = a.deprecated.replacement;
    continue;
  }
  if (aliasOf.has(a.name)) {
    notBound[a.name] = `the C form without optional arguments of ${aliasOf.get(a.name)}, which the JS name ${a.name} calls`;
    continue;
  }
  if (NOT_BOUND[a.name]) {
    notBound[a.name] = NOT_BOUND[a.name];
    continue;
  }
  const jsName = a.name.endsWith('_opts') && aliasOf.get(a.name.slice(0, -5)) === a.name ? a.name.slice(0, -5) : a.name;
  const g = girMethods.get(jsName) ?? girMethods.get(a.name);
  if (!g) throw new Error(`Guestfs-1.0.gir: no method ${a.name}`);
  calls.push(describe(a, jsName, g));
}
for (const n of Object.keys(NOT_BOUND)) if (!actions.has(n)) throw new Error(`NOT_BOUND names ${n}, which guestfs.h does not have`);
calls.sort((x, y) => (x.js < y.js ? -1 : 1));
const camels = new Map();
for (const c of calls) {
  if (camels.has(c.method)) throw new Error(`${c.js} and ${camels.get(c.method)} both map to ${c.method}`);
  camels.set(c.method, c.js);
}

/**
 * One call: its JS parameters (kind for the native reader and the host-side check), the C
 * argument expressions of the thunk, the result conversion.
 */
function describe(a, js, g) {
  const jsParams = []; // { name, kind: s|b|i|I|l|o, check, ts }
  const cargs = [];
  const pre = [];
  let sizeOut = false;
  for (let i = 0; i < a.params.length; i++) {
    const p = a.params[i];
    const next = a.params[i + 1];
    const gp = g.params.get(p.name);
    const k = jsParams.length;
    if (p.ctype === 'const char *') {
      const sized = next && next.ctype === 'size_t';
      if (sized) {
        jsParams.push({ name: p.name, kind: 'b', check: 'buffer', ts: 'string | Buffer' });
        cargs.push(`a.S(${k})`, `a.Len(${k})`);
        i++;
      } else {
        jsParams.push({ name: p.name, kind: 's', check: 'string', ts: gp?.nullable ? 'string | null' : 'string' });
        cargs.push(`a.S(${k})`);
      }
    } else if (p.ctype === 'int') {
      const bool = gp?.type === 'gboolean';
      jsParams.push({ name: p.name, kind: 'i', check: bool ? 'bool' : 'int', ts: bool ? 'boolean' : 'number' });
      cargs.push(`a.I(${k})`);
    } else if (p.ctype === 'int64_t') {
      jsParams.push({ name: p.name, kind: 'I', check: 'int64', ts: 'number | bigint' });
      cargs.push(`a.I64(${k})`);
    } else if (p.ctype === 'char *const *') {
      jsParams.push({ name: p.name, kind: 'l', check: 'strings', ts: 'string[]' });
      cargs.push(`a.L(${k})`);
    } else if (p.ctype === 'size_t *') {
      sizeOut = true;
      pre.push('size_t n = 0;');
      cargs.push('&n');
    } else if (p.ctype === `const struct guestfs_${a.name}_argv *`) {
      jsParams.push({ name: p.name, kind: 'o', check: 'optargs', ts: `Guestfs${pascal(js)}Options` });
      cargs.push(`static_cast<const struct guestfs_${a.name}_argv*>(a.O(${k}))`);
    } else {
      throw new Error(`guestfs_${a.cfn}: unsupported parameter type '${p.ctype}' (add it, or list the action in NOT_BOUND)`);
    }
  }
  // Result.
  let conv;
  let ret;
  let struct;
  const rt = a.ret;
  if (rt === 'int') {
    ret = g.ret === 'gint8' ? 'bool' : g.ret === 'gboolean' ? 'void' : 'int';
    conv = 'Int';
  } else if (rt === 'int64_t') {
    ret = 'int64';
    conv = 'Int64';
  } else if (rt === 'char *') {
    ret = sizeOut ? 'buffer' : 'string';
    conv = sizeOut ? 'Buf' : 'Str';
  } else if (rt === 'const char *') {
    ret = g.retOptional ? 'string?' : 'string';
    conv = g.retOptional ? 'ConstOptStr' : 'ConstStr';
  } else if (rt === 'char **') {
    ret = g.ret === 'GLib.HashTable' ? 'hash' : 'strings';
    conv = ret === 'hash' ? 'Hash' : 'List';
  } else {
    const m = /^struct guestfs_(\w+) \*$/.exec(rt);
    if (!m) throw new Error(`guestfs_${a.cfn}: unsupported return type '${rt}'`);
    const list = m[1].endsWith('_list');
    struct = list ? m[1].slice(0, -5) : m[1];
    if (!structs.has(struct)) throw new Error(`guestfs_${a.cfn}: unknown struct ${struct}`);
    ret = list ? 'structs' : 'struct';
    conv = 'Ptr';
  }
  const callExpr = `guestfs_${a.cfn}(g${cargs.map((x) => `, ${x}`).join('')})`;
  let body;
  if (conv === 'Ptr') body = `return r.Ptr(${callExpr}, &${ret === 'structs' ? 'JL' : 'J'}_${struct}, &${ret === 'structs' ? 'FL' : 'F'}_${struct});`;
  // Sequenced: the size is written by the call (argument evaluation order is unspecified).
  else if (conv === 'Buf') body = `char* p = ${callExpr}; return r.Buf(p, n);`;
  else body = `return r.${conv}(${callExpr});`;
  return {
    js,
    method: camel(js),
    action: a,
    params: jsParams,
    thunk: `${pre.join(' ')}${pre.length ? ' ' : ''}${body}`,
    ret,
    struct,
    optClass: a.opt ? g.params.get('optargs')?.type : undefined,
    doc: firstLine(g.doc),
    progress: progress.has(a.name) || progress.has(js),
  };
}

// ---------------------------------------------------------------- C++ output

const usedStructs = [...new Set(calls.filter((c) => c.struct).map((c) => c.struct))].sort();
const usedAs = (s, ret) => calls.some((c) => c.struct === s && c.ret === ret);
const cxx = [];
cxx.push(`// GENERATED by scripts/gen-guestfs-calls.mjs from guestfs.h${version ? ` (libguestfs ${version})` : ''}. Do not edit.`);
cxx.push('// Included once, by native/guestfs_calls.cc inside namespace vk, after the helpers it uses');
cxx.push('// (GfsArgs, GfsRet, Put*, GfsOptField, RunGfsCall).');
cxx.push('');
cxx.push('// ---- structs: C field names, numbers, strings, Buffers ----');
for (const s of usedStructs) {
  const fields = structs.get(s);
  const lines = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const nx = fields[i + 1];
    if (f.ctype === 'uint32_t' && nx && nx.ctype === 'char *' && f.name === `${nx.name}_len`) {
      lines.push(`  PutBytes(env, o, "${nx.name}", s->${nx.name}, s->${f.name});`);
      i++;
    } else if (f.ctype === 'char *') lines.push(`  PutStr(env, o, "${f.name}", s->${f.name});`);
    else if (f.ctype === 'char' && f.len) lines.push(`  PutFixed(env, o, "${f.name}", s->${f.name}, ${f.len});`);
    else if (f.ctype === 'char') lines.push(`  PutFixed(env, o, "${f.name}", &s->${f.name}, 1);`);
    else lines.push(`  PutNum(env, o, "${f.name}", (double)s->${f.name});`);
  }
  cxx.push(`static Napi::Value J_${s}(Napi::Env env, const void* p) {`);
  cxx.push(`  auto* s = static_cast<const struct guestfs_${s}*>(p);`);
  cxx.push('  Napi::Object o = Napi::Object::New(env);');
  cxx.push(...lines);
  cxx.push('  return o;');
  cxx.push('}');
  if (usedAs(s, 'structs')) {
    cxx.push(`static Napi::Value JL_${s}(Napi::Env env, const void* p) {`);
    cxx.push(`  auto* l = static_cast<const struct guestfs_${s}_list*>(p);`);
    cxx.push('  Napi::Array a = Napi::Array::New(env, l->len);');
    cxx.push(`  for (uint32_t k = 0; k < l->len; k++) a.Set(k, J_${s}(env, &l->val[k]));`);
    cxx.push('  return a;');
    cxx.push('}');
    cxx.push(`static void FL_${s}(void* p) { guestfs_free_${s}_list(static_cast<struct guestfs_${s}_list*>(p)); }`);
  }
  if (usedAs(s, 'struct')) cxx.push(`static void F_${s}(void* p) { guestfs_free_${s}(static_cast<struct guestfs_${s}*>(p)); }`);
}
cxx.push('');
cxx.push('// ---- optional arguments: every field of every guestfs_X_argv, by name ----');
const OPTK = { int: 'kOptInt', int64_t: 'kOptInt64', 'const char *': 'kOptStr', 'char *const *': 'kOptStrList' };
const OPTCT = { int: 'int', int64_t: 'int64_t', 'const char *': 'const char*', 'char *const *': 'char* const*' };
for (const c of calls.filter((x) => x.action.opt)) {
  const s = `struct guestfs_${c.action.name}_argv`;
  cxx.push(`static_assert(offsetof(${s}, bitmask) == 0, "bitmask first");`);
  for (const f of c.action.opt) cxx.push(`static_assert(std::is_same_v<decltype(((${s}*)nullptr)->${f.name}), ${OPTCT[f.ctype]}>, "${c.action.name}.${f.name}");`);
  cxx.push(`const GfsOptField O_${c.js}_f[] = {`);
  for (const f of c.action.opt) cxx.push(`    {"${f.name}", ${OPTK[f.ctype]}, offsetof(${s}, ${f.name}), ${f.bit}},`);
  cxx.push('};');
  cxx.push(`const GfsOptDesc O_${c.js} = {sizeof(${s}), O_${c.js}_f, ${c.action.opt.length}};`);
}
cxx.push('');
cxx.push('// ---- one thunk per call: the C call with the converted arguments, typed by guestfs.h ----');
for (const c of calls) cxx.push(`static bool C_${c.js}(guestfs_h* g, GfsArgs& a, GfsRet& r) { ${c.thunk} }`);
cxx.push('');
const kindSets = [...new Set(calls.map((c) => c.params.map((p) => p.kind).join('')))].filter(Boolean).sort();
for (const k of kindSets) cxx.push(`const char K_${k}[] = "${k}";`);
cxx.push('');
cxx.push('// Sorted by name; terminated by an entry whose name is null.');
cxx.push('extern const GfsCall kGfsCalls[] = {');
for (const c of calls) {
  const k = c.params.map((p) => p.kind).join('');
  cxx.push(`    {"${c.js}", &RunGfsCall, &C_${c.js}, ${k ? `K_${k}` : '""'}, ${c.action.opt ? `&O_${c.js}` : 'nullptr'}},`);
}
cxx.push('    {nullptr, nullptr, nullptr, nullptr, nullptr},');
cxx.push('};');
const cxxText = `${cxx.join('\n')}\n`;

// ---------------------------------------------------------------- TypeScript output

const TSF = { 'char *': 'string', char: 'string', int32_t: 'number', uint32_t: 'number', int64_t: 'number', uint64_t: 'number', float: 'number' };
const ts = [];
ts.push(`// GENERATED by scripts/gen-guestfs-calls.mjs from guestfs.h, Guestfs-1.0.gir and guestfs(3)${version ? ` (libguestfs ${version})` : ''}. Do not edit.`);
ts.push('// Every non-deprecated libguestfs action the native table binds: its typing (GuestfsCalls, which');
ts.push('// Guest implements), the signature table the host-side checks use, and the coverage lists.');
ts.push('');
ts.push(`/**
 * How a JS argument reaches C: 'string' a NUL-terminated const char* (null allowed: libguestfs
 * itself refuses it where a value is required), 'buffer' a const char* with its length (string or
 * bytes, NUL allowed), 'int' a C int (or a boolean), 'bool' a C int used as a boolean (boolean or
 * number), 'int64' an int64_t (number or bigint), 'strings' a NULL-terminated char** (array of
 * strings), 'optargs' the optional trailing object.
 */
export type GuestfsParamType = 'string' | 'buffer' | 'int' | 'bool' | 'int64' | 'strings' | 'optargs';

/** The C type of an optional argument. */
export type GuestfsOptType = 'string' | 'int' | 'bool' | 'int64' | 'strings';

export interface GuestfsParam {
  /** libguestfs' name of the parameter. */
  readonly name: string;
  readonly type: GuestfsParamType;
  /** optargs only: the optional fields and their C types. */
  readonly fields?: Readonly<Record<string, GuestfsOptType>>;
}

/**
 * What a call resolves with: 'void' (native: 0), 'bool' (native: 0 or 1), 'int', 'int64' (numbers),
 * 'string', 'string?' (string or null), 'buffer', 'strings', 'hash' (object), 'struct', 'structs'.
 */
export type GuestfsReturnType = 'void' | 'bool' | 'int' | 'int64' | 'string' | 'string?' | 'buffer' | 'strings' | 'hash' | 'struct' | 'structs';

export interface GuestfsCallInfo {
  /** The method of Guest that makes this call. */
  readonly method: string;
  readonly returns: GuestfsReturnType;
  /** Long-running: sends progress messages (onProgress), stopped by the session's signal. */
  readonly progress?: true;
}
`);
ts.push('// ---- structs (C field names) ----');
ts.push('');
for (const s of usedStructs) {
  ts.push(`/** libguestfs \`struct guestfs_${s}\`. */`);
  ts.push(`export interface Guestfs${pascal(s)} {`);
  const fields = structs.get(s);
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const nx = fields[i + 1];
    if (f.ctype === 'uint32_t' && nx && nx.ctype === 'char *' && f.name === `${nx.name}_len`) {
      ts.push(`  ${nx.name}: Buffer;`);
      i++;
    } else ts.push(`  ${f.name}: ${TSF[f.ctype]};`);
  }
  ts.push('}');
}
ts.push('');
ts.push('// ---- optional arguments (libguestfs names; absent means "not set") ----');
ts.push('');
const OPTTS = { int: 'number', int64_t: 'number | bigint', 'const char *': 'string', 'char *const *': 'string[]' };
const optType = (c, f) => {
  if (f.ctype !== 'int') return { int64_t: 'int64', 'const char *': 'string', 'char *const *': 'strings' }[f.ctype];
  // The gobject class of the call's optargs parameter says which ints are booleans (Tristate).
  const props = girOptProps.get(c.optClass);
  if (!props?.has(f.name)) throw new Error(`Guestfs-1.0.gir: no optional argument ${f.name} of ${c.js}`);
  return props.get(f.name) === 'Tristate' ? 'bool' : 'int';
};
for (const c of calls.filter((x) => x.action.opt)) {
  ts.push(`/** Optional arguments of {@link GuestfsCalls.${c.method}}. */`);
  ts.push(`export interface Guestfs${pascal(c.js)}Options {`);
  for (const f of c.action.opt) ts.push(`  ${f.name}?: ${optType(c, f) === 'bool' ? 'boolean' : OPTTS[f.ctype]};`);
  ts.push('}');
}
ts.push('');
const RTS = (c) =>
  ({
    void: 'void',
    bool: 'boolean',
    int: 'number',
    int64: 'number',
    string: 'string',
    'string?': 'string | null',
    buffer: 'Buffer',
    strings: 'string[]',
    hash: 'Record<string, string>',
    struct: `Guestfs${pascal(c.struct ?? '')}`,
    structs: `Guestfs${pascal(c.struct ?? '')}[]`,
  })[c.ret];
ts.push('/** Every bound libguestfs call as a method: libguestfs argument order, optional arguments last as an object. */');
ts.push('export interface GuestfsCalls {');
for (const c of calls) {
  const doc = tsdocLine(c.doc || c.js);
  const extra = c.progress ? ' Long-running: reports progress to `onProgress`; the session\'s `signal` stops it.' : '';
  ts.push(`  /** ${doc.replace(/\.?$/, '.')}${extra} (\`guestfs_${c.action.name}\`) */`);
  const ps = c.params.map((p) => `${RESERVED.has(p.name) ? `${p.name}_` : p.name}${p.kind === 'o' ? '?' : ''}: ${p.ts}`);
  ts.push(`  ${c.method}(${ps.join(', ')}): Promise<${RTS(c)}>;`);
}
ts.push('}');
ts.push('');
ts.push('/** The JS parameters of every call of the native table, in libguestfs\' order. */');
ts.push('export const guestfsSignatures: Readonly<Record<string, readonly GuestfsParam[]>> = {');
for (const c of calls) {
  const ps = c.params.map((p) => {
    if (p.kind !== 'o') return `{ name: '${p.name}', type: '${p.check}' }`;
    const fields = c.action.opt.map((f) => `${f.name}: '${optType(c, f)}'`).join(', ');
    return `{ name: '${p.name}', type: 'optargs', fields: { ${fields} } }`;
  });
  ts.push(`  ${c.js}: [${ps.join(', ')}],`);
}
ts.push('};');
ts.push('');
ts.push('/** Method name, result and progress of every call of the native table. */');
ts.push('export const guestfsCallInfo: Readonly<Record<string, GuestfsCallInfo>> = {');
for (const c of calls) ts.push(`  ${c.js}: { method: '${c.method}', returns: '${c.ret}'${c.progress ? ', progress: true' : ''} },`);
ts.push('};');
ts.push('');
ts.push('/** Deprecated actions of guestfs.h (not bound), with their replacement (null: none). */');
ts.push('export const guestfsDeprecated: Readonly<Record<string, string | null>> = {');
for (const [n, r] of Object.entries(deprecated).sort()) ts.push(`  ${n}: ${r === null ? 'null' : `'${r}'`},`);
ts.push('};');
ts.push('');
ts.push('/** Non-deprecated actions of guestfs.h that are not bound, and why. */');
ts.push('export const guestfsNotBound: Readonly<Record<string, string>> = {');
for (const [n, r] of Object.entries(notBound).sort()) ts.push(`  ${n}: ${JSON.stringify(r).replace(/'/g, "\\'").replace(/^"|"$/g, "'").replace(/\\"/g, '"')},`);
ts.push('};');
const tsText = `${ts.join('\n')}\n`;

const shimText = `// GENERATED by scripts/gen-guestfs-calls.mjs. Do not edit. The signature table's older import path.
export { guestfsSignatures, type GuestfsParam, type GuestfsParamType, type GuestfsOptType } from './guestfs-calls.js';
`;

// ---------------------------------------------------------------- write or check

const outputs = [
  ['native/generated/guestfs_table.h', cxxText],
  ['src/generated/guestfs-calls.ts', tsText],
  ['src/generated/guestfs-signatures.ts', shimText],
];
let stale = 0;
for (const [rel, text] of outputs) {
  const url = new URL(rel, root);
  if (CHECK) {
    const cur = existsSync(url) ? readFileSync(url, 'utf8') : '';
    if (cur !== text) {
      console.error(`${rel} differs from what the generator makes: run node scripts/gen-guestfs-calls.mjs`);
      stale++;
    }
  } else {
    mkdirSync(new URL('.', url), { recursive: true });
    writeFileSync(url, text);
  }
}
const nonDep = actions.size - Object.keys(deprecated).length;
console.log(
  `${CHECK ? 'checked' : 'wrote'}: ${calls.length} calls bound of ${nonDep} non-deprecated actions (${Object.keys(notBound).length} not bound, ${Object.keys(deprecated).length} deprecated)`,
);
if (stale) process.exit(1);
