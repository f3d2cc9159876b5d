// Generates the native libvirt surface from libvirt's API description:
//   native/generated/<class>_methods.inc   one VK_GEN line per C function (see native/virt_gen.h)
//   native/generated/tables.{h,cc}          the tables, typed-parameter field types
//   src/generated/libvirt-native.ts         TypeScript typings of every native class
//   src/generated/libvirt-enums.ts          every enum of the API, name -> value
//   src/generated/libvirt-tables.ts         value -> name tables, flag constants (C), from the same pass
//   docs/api/libvirt-functions.md           C function -> native method (-> public method)
// What the XML cannot say is in scripts/libvirt-overrides.mjs.
// Run: node scripts/gen-libvirt-bindings.mjs [--check]   (--check: fail when committed output differs)
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import * as ov from './libvirt-overrides.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

const apiPath = execFileSync('pkg-config', ['--variable=libvirt_api', 'libvirt'], { encoding: 'utf8' }).trim();
const qemuPath = execFileSync('pkg-config', ['--variable=libvirt_qemu_api', 'libvirt-qemu'], { encoding: 'utf8' }).trim();
const parse = (p) => new DOMParser().parseFromString(readFileSync(p, 'utf8'), 'text/xml');
const docs = [{ file: 'libvirt-api.xml', doc: parse(apiPath) }, { file: 'libvirt-qemu-api.xml', doc: parse(qemuPath) }];

// ---- the API ----

const els = (doc, tag) => Array.from(doc.getElementsByTagName(tag));
const text = (el) => (el?.textContent ?? '').trim();
const functions = [];
for (const { file, doc } of docs) {
  for (const f of els(doc, 'function')) {
    const ret = f.getElementsByTagName('return')[0];
    functions.push({
      name: f.getAttribute('name'),
      file,
      module: f.getAttribute('module'),
      version: f.getAttribute('version'),
      info: text(f.getElementsByTagName('info')[0]),
      ret: { type: ret?.getAttribute('type') ?? 'void', info: ret?.getAttribute('info') ?? '' },
      args: els(f, 'arg').map((a) => ({ name: a.getAttribute('name'), type: a.getAttribute('type'), info: a.getAttribute('info') ?? '' })),
    });
  }
}
functions.sort((a, b) => (a.name < b.name ? -1 : 1));

const classes = {
  virConnectPtr: { cls: 'Connect', strip: ['Connect'] },
  virDomainPtr: { cls: 'Domain', strip: ['Domain'] },
  virStoragePoolPtr: { cls: 'StoragePool', strip: ['StoragePool'] },
  virStorageVolPtr: { cls: 'StorageVol', strip: ['StorageVol'] },
  virNetworkPtr: { cls: 'Network', strip: ['Network'] },
  virNetworkPortPtr: { cls: 'NetworkPort', strip: ['NetworkPort'] },
  virInterfacePtr: { cls: 'Interface', strip: ['Interface'] },
  virSecretPtr: { cls: 'Secret', strip: ['Secret'] },
  virNodeDevicePtr: { cls: 'NodeDevice', strip: ['NodeDevice'] },
  virNWFilterPtr: { cls: 'NWFilter', strip: ['NWFilter'] },
  virNWFilterBindingPtr: { cls: 'NWFilterBinding', strip: ['NWFilterBinding'] },
  virDomainSnapshotPtr: { cls: 'DomainSnapshot', strip: ['DomainSnapshot', 'Domain'] },
  virDomainCheckpointPtr: { cls: 'DomainCheckpoint', strip: ['DomainCheckpoint', 'Domain'] },
};
const classOrder = Object.values(classes).map((c) => c.cls);
const tsClass = (cls) => `Native${cls}`;
const fileOf = (cls) => cls.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/^NWFilter/, 'nwfilter').replace(/_NWFilter/, '_nwfilter').toLowerCase();

// "SnapshotCreateXML" -> "snapshotCreateXML", "NWFilterBinding..." -> "nwFilterBinding...", "XMLDesc" -> "xmlDesc".
function lowerFirst(s) {
  const m = /^([A-Z]+)(?=[A-Z][a-z]|$)/.exec(s);
  if (m && m[1].length > 1) return m[1].toLowerCase() + s.slice(m[1].length);
  return s[0].toLowerCase() + s.slice(1);
}
function methodName(fn, cls) {
  if (ov.names[fn.name]) return ov.names[fn.name];
  let s = fn.name.replace(/^vir/, '');
  for (const p of Object.values(classes).find((c) => c.cls === cls).strip) {
    if (s.startsWith(p) && /^[A-Z]/.test(s.slice(p.length))) {
      s = s.slice(p.length);
      break;
    }
  }
  return lowerFirst(s);
}
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const nullable = (a) => /\bNULL\b|optional/i.test(a.info);

// ---- typed-parameter field types, from the macros' documentation ----

const tpTypeOf = (info) => {
  const m = /VIR_TYPED_PARAM_(INT|UINT|LLONG|ULLONG|DOUBLE|BOOLEAN|STRING)\b/.exec(info);
  if (m) return m[1];
  const w = /\b(?:as an?|type of|as)\s+(int|uint|llong|ullong|double|boolean|string|unsigned long long|unsigned int|long long)\b/i.exec(info);
  if (!w) return null;
  return { int: 'INT', uint: 'UINT', llong: 'LLONG', ullong: 'ULLONG', double: 'DOUBLE', boolean: 'BOOLEAN', string: 'STRING', 'unsigned long long': 'ULLONG', 'unsigned int': 'UINT', 'long long': 'LLONG' }[w[1].toLowerCase()];
};
const macros = [];
for (const { doc } of docs)
  for (const m of els(doc, 'macro')) {
    const str = m.getAttribute('string');
    if (!str || str.includes('%')) continue;
    const type = tpTypeOf(text(m.getElementsByTagName('info')[0]));
    if (type) macros.push({ name: m.getAttribute('name'), field: str, type });
  }
function tpTable(fnName) {
  const prefixes = ov.tpFamily[fnName];
  if (!prefixes) return null;
  const seen = new Map();
  for (const m of macros) if (prefixes.some((p) => m.name.startsWith(p)) && !seen.has(m.field)) seen.set(m.field, m.type);
  return [...seen.entries()];
}

// ---- classification: one holder per C parameter ----

const scalar = { int: 'int', 'unsigned int': 'unsigned int', long: 'long', 'unsigned long': 'unsigned long', 'long long': 'long long', 'unsigned long long': 'unsigned long long', double: 'double' };
const structOuts = {
  virDomainBlockInfoPtr: 'virDomainBlockInfo', virDomainBlockJobInfoPtr: 'virDomainBlockJobInfo',
  virDomainBlockStatsPtr: 'virDomainBlockStatsStruct', virDomainInterfaceStatsPtr: 'virDomainInterfaceStatsStruct',
  virDomainControlInfoPtr: 'virDomainControlInfo', virDomainJobInfoPtr: 'virDomainJobInfo',
  virSecurityLabelPtr: 'virSecurityLabel', virSecurityModelPtr: 'virSecurityModel',
  virStorageVolInfoPtr: 'virStorageVolInfo',
};
const structLists = {
  'virDomainFSInfoPtr **': 'virDomainFSInfo', 'virDomainInterfacePtr **': 'virDomainInterface',
  'virDomainIOThreadInfoPtr **': 'virDomainIOThreadInfo', 'virNetworkDHCPLeasePtr **': 'virNetworkDHCPLease',
};
const structTs = {
  virDomainBlockInfo: 'BlockInfo', virDomainBlockJobInfo: 'BlockJobInfo', virDomainBlockStatsStruct: 'BlockStats',
  virDomainInterfaceStatsStruct: 'InterfaceStats', virDomainControlInfo: 'ControlInfo', virDomainJobInfo: 'JobInfo',
  virSecurityLabel: 'SecurityLabel', virSecurityModel: 'SecurityModel', virDomainFSInfo: 'FSInfo', virStorageVolInfo: 'StorageVolInfo',
  virDomainInterface: 'DomainInterface', virDomainIOThreadInfo: 'IOThreadInfo', virNetworkDHCPLease: 'DHCPLease',
};
const numTs = (t) => (t === 'long long' || t === 'unsigned long long' ? 'bigint' : 'number');
const numInTs = (t) => (t === 'long long' || t === 'unsigned long long' || t === 'unsigned long' || t === 'long' ? 'number | bigint' : 'number');

// Returns { holders: [{cpp, ts?, name?, out?}], ret: {cpp, ts} } or a string saying why not.
function classify(fn) {
  const a = fn.args;
  if (!a.length || !classes[a[0].type]) return 'first argument is not a libvirt object';
  const H = [{ cpp: `This<${a[0].type}>` }];
  let countNext = null; // C type the next argument must have (a count of the array before)
  for (let i = 1; i < a.length; i++) {
    const { type: t, name } = a[i];
    const next = a[i + 1];
    if (countNext) {
      if (!(t in scalar) && t !== 'size_t') return `expected a count after an array at ${name}`;
      H.push({ cpp: countNext === 'sizeof' ? H[H.length - 1].sizeofCpp : `Count<${t}>` });
      countNext = null;
      continue;
    }
    if (t === 'const char *') H.push({ cpp: nullable(a[i]) ? 'OptStr' : 'Str', ts: nullable(a[i]) ? 'string | null' : 'string', name });
    else if (t === 'unsigned int' && name === 'flags') H.push({ cpp: 'Flags', ts: 'number', name, opt: true });
    else if (t === 'unsigned int' && next && next.type === 'int *' && next.name === name.slice(1)) {
      // nfiles + files: file descriptors of this process (numbers, as fs.openSync returns).
      H.push({ cpp: 'CountBefore' }, { cpp: 'IntArrIn', ts: 'number[]', name: next.name });
      i++;
    }
    else if (t in scalar) H.push({ cpp: `Num<${t}>`, ts: numInTs(t), name });
    else if (classes[t]) H.push({ cpp: `ObjArg<${t}, ${nullable(a[i])}>`, ts: tsClass(classes[t].cls) + (nullable(a[i]) ? ' | null' : ''), name });
    else if (t === 'const char **' && next && (next.type === 'unsigned int' || next.type === 'int')) {
      H.push({ cpp: 'StrArr', ts: 'string[]', name });
      countNext = next.type;
    } else if ((t === 'char ** const' || t === 'char **') && next && next.type === 'int' && /max|len/.test(next.name)) {
      H.push({ cpp: 'Names', ts: 'number', name: next.name, out: 'string[]', outName: name });
      countNext = 'int';
    } else if (t === 'int *' && next && next.type === 'int' && /max/.test(next.name)) {
      H.push({ cpp: 'IntArrOut', ts: 'number', name: next.name, out: 'number[]', outName: name });
      countNext = 'int';
    } else if (t === 'virTypedParameterPtr' && next && (next.type === 'int' || next.type === 'unsigned int')) {
      if (!ov.tpFamily[fn.name]) return `typed parameters without a field family (tpFamily): ${fn.name}`;
      H.push({ cpp: 'TpIn', ts: 'TypedParams', name, tp: true });
      countNext = next.type;
    } else if (t === 'virTypedParameterPtr' && next && next.type === 'int *') {
      H.push({ cpp: 'TpBuf', out: 'TypedParams', outName: name });
      H.push({ cpp: 'TpN' });
      i++;
    } else if (t === 'virTypedParameterPtr *' && next && (next.type === 'int *' || next.type === 'unsigned int *')) {
      H.push({ cpp: 'TpAlloc', out: 'TypedParams', outName: name });
      H.push({ cpp: next.type === 'int *' ? 'TpN' : 'TpNU' });
      i++;
    } else if (t === 'const unsigned char *' && next && next.type === 'size_t') {
      H.push({ cpp: 'BufIn', ts: 'Buffer', name });
      countNext = 'size_t';
    } else if (t === 'const unsigned char *' && /uuid/i.test(name)) H.push({ cpp: 'UuidIn', ts: 'Buffer', name });
    else if (t === 'char *' && name === 'buf' && /GetUUIDString$/.test(fn.name)) H.push({ cpp: 'UuidStrOut', out: 'string', outName: 'uuid' });
    else if (t === 'unsigned char *' && /cpumap/.test(name) && next && next.type === 'int' && /maplen/.test(next.name)) {
      // A CPU bitmap: read by the Get* calls (JS passes its length), written by the Pin* calls.
      if (/Get/.test(fn.name)) H.push({ cpp: 'BytesOut', ts: 'number', name: next.name, out: 'Buffer', outName: name });
      else H.push({ cpp: 'BytesIn', ts: 'Buffer', name });
      countNext = 'int';
    } else if (t === 'unsigned int *' && next && next.type === 'int' && /^n/.test(next.name)) {
      H.push({ cpp: 'U32Arr', ts: 'number[]', name });
      countNext = 'int';
    } else if (t === 'size_t' && next && next.type === 'void *') {
      H.push({ cpp: 'SizeArg', ts: 'number', name });
      H.push({ cpp: 'BytesOut0', out: 'Buffer', outName: next.name });
      i++;
    } else if (t === 'virSecurityLabelPtr *') H.push({ cpp: 'OutStructArr<virSecurityLabel>', out: 'SecurityLabel[]', outName: name, list: true });
    else if (t === 'unsigned char *' && /uuid/i.test(name) && a.length === 2) H.push({ cpp: 'UuidOut', out: 'Buffer', outName: name });
    else if (t.endsWith(' *') && scalar[t.slice(0, -2)] && !(next && /^n|max|len/.test(next.name) && next.type in scalar && /^n/.test(next.name)))
      H.push({ cpp: `OutNum<${t.slice(0, -2)}>`, out: numTs(t.slice(0, -2)), outName: name });
    else if (t === 'char **') H.push({ cpp: 'OutStr', out: 'string | null', outName: name });
    else if (t === 'char ***') H.push({ cpp: 'OutStrList', out: 'string[]', outName: name, list: true });
    else if (t.endsWith('Ptr **') && classes[t.slice(0, -3)]) H.push({ cpp: `OutList<${t.slice(0, -3)}>`, out: tsClass(classes[t.slice(0, -3)].cls) + '[]', outName: name, list: true });
    else if (structLists[t]) H.push({ cpp: `OutStructList<${structLists[t]}>`, out: structTs[structLists[t]] + '[]', outName: name, list: true });
    else if (structOuts[t]) {
      H.push({ cpp: `OutStruct<${structOuts[t]}>`, out: structTs[structOuts[t]], outName: name, sizeofCpp: `SizeOf<${structOuts[t]}>` });
      if (next && next.type === 'size_t') countNext = 'sizeof';
    } else if (t === 'size_t *' && fn.ret.type === 'unsigned char *') H.push({ cpp: 'SizeOut' });
    else return `no holder for parameter ${name} (${t})`;
  }
  if (countNext) return 'array without its count';
  // Return shape.
  const rt = fn.ret.type;
  let ret;
  if (rt === 'int') {
    const r = ov.ret[fn.name] ?? (/^(1 if|1 when|true)/i.test(fn.ret.info) || /^returns? 1 if/i.test(fn.ret.info) ? 'RBool'
      : /^(-1 in case of (error|failure), 0|0( if the [a-z ]+| in case of| on| upon| when)? ?(success|successful|started|succeeded)|0,? or -1|0 on success)/i.test(fn.ret.info) ? 'RVoid' : 'RInt');
    ret = { cpp: r, ts: r === 'RBool' ? 'boolean' : r === 'RVoid' ? 'void' : r === 'RNullIfZero' ? 'void' : 'number' };
  } else if (rt === 'char *') ret = { cpp: 'RStr', ts: 'string' };
  else if (rt === 'const char *') ret = { cpp: 'RCStr', ts: 'string' };
  else if (classes[rt]) {
    if (rt === 'virConnectPtr') return 'returns the connection it came from (C-only)';
    // "The reference counter ... is not increased": the handle is lent, the wrapper takes its own.
    const lent = /reference count(er)?[^.]*not increased/i.test(fn.info.replace(/\s+/g, ' '));
    ret = { cpp: `${lent ? 'RBorrowed' : 'RHandle'}<${rt}>`, ts: tsClass(classes[rt].cls) };
  } else if (rt === 'unsigned long' || rt === 'unsigned int') ret = { cpp: `RNum<${rt}>`, ts: 'number' };
  else if (rt === 'unsigned long long') ret = { cpp: `RNum<${rt}>`, ts: 'bigint' };
  else if (rt === 'unsigned char *' && H.some((h) => h.cpp === 'SizeOut')) ret = { cpp: 'RBuf', ts: 'Buffer' };
  else return `no return shape for ${rt}`;
  return { holders: H, ret };
}

// ---- the plan: every function bound (generated, override, hand) or ignored with a reason ----

const plan = [];
const problems = [];
for (const fn of functions) {
  const e = { fn };
  if (ov.ignore[fn.name]) {
    e.kind = 'ignored';
    e.reason = ov.ignore[fn.name];
  } else if (ov.hand[fn.name] && !ov.hand[fn.name].generateAs) {
    e.kind = 'hand';
    Object.assign(e, ov.hand[fn.name]);
  } else if (ov.overrides[fn.name]) {
    e.kind = 'override';
    Object.assign(e, ov.overrides[fn.name]);
    e.cls ??= classes[fn.args[0]?.type]?.cls;
    e.method ??= methodName(fn, e.cls);
  } else {
    const c = classify(fn);
    if (typeof c === 'string') {
      problems.push(`${fn.name}: ${c}`);
      continue;
    }
    e.kind = 'generated';
    e.cls = classes[fn.args[0].type].cls;
    e.method = ov.hand[fn.name]?.generateAs ?? methodName(fn, e.cls);
    Object.assign(e, c);
    if (ov.hand[fn.name]) {
      // Also hand-written under another name (returning names where this returns handles).
      plan.push({ fn, kind: 'hand', ...ov.hand[fn.name] });
    }
  }
  plan.push(e);
}
for (const k of [...Object.keys(ov.ignore), ...Object.keys(ov.hand), ...Object.keys(ov.overrides), ...Object.keys(ov.tpFamily), ...Object.keys(ov.ret), ...Object.keys(ov.names)])
  if (!functions.some((f) => f.name === k) && !ov.notInXml?.includes(k)) problems.push(`${k}: listed in libvirt-overrides.mjs but not in the API`);
// Method names must be unique per class.
const byClass = new Map(classOrder.map((c) => [c, []]));
for (const e of plan) if (e.kind !== 'ignored') byClass.get(e.cls)?.push(e);
for (const [cls, list] of byClass) {
  const seen = new Map();
  for (const e of list) {
    if (e.kind === 'hand' && !/^[a-zA-Z]+$/.test(e.method)) continue; // internal use, no method of its own
    if (e.kind === 'hand' && [...list].some((x) => x !== e && x.kind === 'hand' && x.method === e.method)) continue;
    if (seen.has(e.method)) problems.push(`${cls}.${e.method}: both ${seen.get(e.method)} and ${e.fn.name}`);
    seen.set(e.method, e.fn.name);
  }
}
if (problems.length) {
  console.error(`gen-libvirt-bindings: ${problems.length} function(s) need an override, a hand binding or an ignore reason:\n  ` + problems.join('\n  '));
  process.exit(1);
}

// ---- outputs ----

const outputs = new Map();
const HEAD = `GENERATED by scripts/gen-libvirt-bindings.mjs from libvirt-api.xml and libvirt-qemu-api.xml (libvirt ${execFileSync('pkg-config', ['--modversion', 'libvirt'], { encoding: 'utf8' }).trim()}). Do not edit.`;
const firstSentence = (s) => {
  const one = s.replace(/\s+/g, ' ').trim();
  const m = /^(.*?[.!?])(\s|$)/.exec(one);
  return (m ? m[1] : one).replace(/\*\//g, '* /').replace(/@(\w+)/g, '`$1`');
};
const isLong = (e) => ov.long.includes(e.fn.name);
// Return shapes whose value is kept next to out values (as `result`).
const valued = (e) => /^(RStr|RCStr|RHandle|RNum|RBuf)/.test(e.ret.cpp);

// Native tables.
const tpTables = new Map();
for (const cls of classOrder) {
  const lines = [`// ${HEAD}`, `// ${cls}: one line per C function (native/virt_gen.h).`];
  for (const e of byClass.get(cls)) {
    if (e.kind === 'generated') {
      let outs = e.holders.filter((h) => h.out).map((h) => camel(h.outName)).join(',');
      if (outs && valued(e)) outs = 'result,' + outs;
      let tp = 'nullptr';
      if (e.holders.some((h) => h.tp)) {
        tp = `kTp_${e.fn.name}`;
        tpTables.set(tp, tpTable(e.fn.name));
      }
      const macro = ov.local.includes(e.fn.name) ? 'VK_GEN_LOCAL' : 'VK_GEN';
      lines.push(`${macro}("${e.method}", ${e.fn.name}, "${outs}", ${tp}, ${[e.ret.cpp, ...e.holders.map((h) => h.cpp)].join(', ')}),`);
    } else if (e.kind === 'override') {
      let tp = 'nullptr';
      if (ov.tpFamily[e.fn.name]) {
        tp = `kTp_${e.fn.name}`;
        tpTables.set(tp, tpTable(e.fn.name));
      }
      lines.push(`VK_OVERRIDE("${e.method}", ov::${e.impl}, ${tp}),`);
    }
  }
  outputs.set(`native/generated/${fileOf(cls)}_methods.inc`, lines.join('\n') + '\n');
}
let h = `// ${HEAD}\n// The generated method tables, one per class (native/generated/tables.cc).\n#pragma once\n#include <cstddef>\n#include "../handle.h"\n\nnamespace vk {\n`;
let cc = `// ${HEAD}\n#include "tables.h"\n#include "../virt_gen.h"\n#include "../overrides/overrides.h"\n\nnamespace vk {\nusing namespace gen;\n\n// Typed-parameter field types, from the documentation of libvirt's field-name macros.\n`;
for (const [name, rows] of tpTables) {
  cc += `static const TpField ${name}[] = {\n${rows.map(([f, t]) => `    {"${f}", VIR_TYPED_PARAM_${t}},\n`).join('')}    {nullptr, 0}};\n`;
}
for (const cls of classOrder) {
  h += `extern const GenMethod k${cls}Gen[];\nextern const size_t k${cls}GenCount;\n`;
  cc += `\nconst GenMethod k${cls}Gen[] = {\n#include "${fileOf(cls)}_methods.inc"\n};\nconst size_t k${cls}GenCount = sizeof(k${cls}Gen) / sizeof(k${cls}Gen[0]);\n`;
}
h += '\n}  // namespace vk\n';
cc += '\n}  // namespace vk\n';
outputs.set('native/generated/tables.h', h);
outputs.set('native/generated/tables.cc', cc);

// TypeScript typings.
let ts = `// ${HEAD}\n// Typings of the native libvirt surface: one interface per native class. Conventions:\n` +
  `// - every method that talks to libvirt returns a promise and runs on virtkit's call threads;\n` +
  `//   the few that make no RPC (names, UUIDs, a snapshot's domain) return their value directly;\n` +
  `// - a trailing \`flags\` may be omitted (0); 64-bit inputs take a safe integer or a bigint;\n` +
  `// - long long / unsigned long long results and typed-parameter fields of those types are bigint;\n` +
  `// - one out value resolves as itself, several as an object named after the C parameters;\n` +
  `// - calls marked @long can run for minutes: the public layer passes \`{ long: true }\` to Core.call.\n\n`;
ts += `/** virTypedParameter lists as plain objects (absent field: not set; 64-bit fields: bigint; a repeated field: array). */\n` +
  `export type TypedParams = Record<string, number | bigint | boolean | string | string[]>;\n\n`;
ts += ov.tsPrelude + '\n';
const tsArgs = (e) => e.holders.filter((x) => x.ts).map((x) => `${camel(x.name)}${x.opt ? '?' : ''}: ${x.ts}`).join(', ');
const tsResult = (e) => {
  const outs = e.holders.filter((x) => x.out);
  let r;
  if (outs.length === 0) r = e.ret.ts;
  else if (outs.length === 1) r = outs[0].out;
  else r = `{ ${outs.map((x) => `${camel(x.outName)}: ${x.out}`).join('; ')} }`;
  if (outs.length && valued(e)) r = `{ result: ${e.ret.ts}; ${outs.map((x) => `${camel(x.outName)}: ${x.out}`).join('; ')} }`;
  if (e.ret.cpp === 'RNullIfZero') r += ' | null';
  return ov.local.includes(e.fn.name) ? r : `Promise<${r}>`;
};
const longList = [];
for (const cls of classOrder) {
  const handClass = ['Connect', 'Domain', 'StoragePool', 'StorageVol'].includes(cls);
  ts += `/** ${cls}: the native ${cls === 'Connect' ? 'connection' : `vir${cls}Ptr wrapper`}` +
    `${handClass ? ' (its hand-written methods are typed in src/native.ts, merged into this interface)' : ''}. */\nexport interface ${tsClass(cls)} {\n`;
  if (!handClass) {
    ts += `  /** Drops this wrapper's reference (calls in flight keep their own). No RPC. */\n  free(): void;\n`;
    ts += `  /** Another wrapper of the same object with a reference of its own. No RPC. */\n  dup(): ${tsClass(cls)};\n`;
  }
  for (const e of byClass.get(cls)) {
    if (e.kind === 'hand') continue; // typed in src/native.ts
    const doc = `${e.fn.name}: ${e.doc ? e.doc.replace(/^./, (c) => c.toUpperCase()) + '.' : firstSentence(e.fn.info)}${isLong(e) ? ' @long' : ''}`;
    if (isLong(e)) longList.push(`${cls}.${e.method}`);
    const sig = e.kind === 'override' ? e.ts : `${e.method}(${tsArgs(e)}): ${tsResult(e)}`;
    ts += `  /** ${doc} */\n  ${sig};\n`;
  }
  ts += '}\n\n';
}
ts += `/** Native methods that can run for minutes (no default deadline): Class.method. */\nexport const LONG_CALLS: ReadonlySet<string> = new Set([\n${longList.map((x) => `  '${x}',\n`).join('')}]);\n`;
outputs.set('src/generated/libvirt-native.ts', ts);

// Enums: every one of the API, read once; libvirt-enums.ts (name -> value) and libvirt-tables.ts
// (value -> name tables, flag constants) are both written from this one pass.
const enumGroups = new Map(); // file -> type -> [name, value] in XML order
for (const { doc, file } of docs) {
  const groups = new Map();
  for (const e of els(doc, 'enum')) {
    const v = Number(e.getAttribute('value'));
    if (!Number.isFinite(v)) continue;
    const t = e.getAttribute('type');
    if (!groups.has(t)) groups.set(t, []);
    groups.get(t).push([e.getAttribute('name'), v]);
  }
  // Drop the `_LAST` sentinels (one past the type's largest value, and ABI-unstable), not real
  // members whose name happens to end so (VIR_NETWORK_UPDATE_COMMAND_ADD_LAST).
  for (const [t, rows] of groups) {
    const top = Math.max(...rows.filter(([n]) => !n.endsWith('_LAST')).map(([, v]) => v));
    groups.set(t, rows.filter(([n, v]) => !n.endsWith('_LAST') || v <= top));
  }
  enumGroups.set(file, groups);
}
let en = `// ${HEAD}\n// Every enum of the API: type -> { NAME: value }.\n\n`;
for (const [file, groups] of enumGroups) {
  en += `// ${file}\n`;
  for (const [t, rows] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
    en += `export const ${t} = {\n${rows.map(([n, v]) => `  ${n}: ${v},\n`).join('')}} as const;\n`;
}
outputs.set('src/generated/libvirt-enums.ts', en);

// Value -> name tables (errors, states, event details, reasons) and `C`, the flag constants the
// TypeScript layer passes through, spread from libvirt-enums.ts (one source of the values).
const apiEnums = enumGroups.get('libvirt-api.xml');
const valueTables = {
  errorCodes: 'virErrorNumber', errorDomains: 'virErrorDomain', domainStates: 'virDomainState',
  domainEventTypes: 'virDomainEventType', poolEventTypes: 'virStoragePoolEventLifecycleType',
  networkEventTypes: 'virNetworkEventLifecycleType', nodeDeviceEventTypes: 'virNodeDeviceEventLifecycleType',
  secretEventTypes: 'virSecretEventLifecycleType', secretUsageTypes: 'virSecretUsageType',
  poolStates: 'virStoragePoolState', volTypes: 'virStorageVolType', closeReasons: 'virConnectCloseReason',
  blockJobTypes: 'virDomainBlockJobType', blockJobStatus: 'virConnectDomainEventBlockJobStatus',
  ioErrorActions: 'virDomainEventIOErrorAction', eventDefinedDetails: 'virDomainEventDefinedDetailType',
  eventUndefinedDetails: 'virDomainEventUndefinedDetailType', eventStartedDetails: 'virDomainEventStartedDetailType',
  eventSuspendedDetails: 'virDomainEventSuspendedDetailType', eventResumedDetails: 'virDomainEventResumedDetailType',
  eventStoppedDetails: 'virDomainEventStoppedDetailType', eventShutdownDetails: 'virDomainEventShutdownDetailType',
  eventPMSuspendedDetails: 'virDomainEventPMSuspendedDetailType', eventCrashedDetails: 'virDomainEventCrashedDetailType',
  runningReasons: 'virDomainRunningReason', shutoffReasons: 'virDomainShutoffReason', pausedReasons: 'virDomainPausedReason',
};
const constTypes = [
  'virConnectFlags', 'virConnectListAllDomainsFlags', 'virDomainXMLFlags', 'virDomainUndefineFlagsValues',
  'virDomainCreateFlags', 'virDomainMetadataType', 'virDomainModificationImpact', 'virDomainDestroyFlagsValues',
  'virDomainShutdownFlagValues', 'virDomainRebootFlagValues', 'virDomainDefineFlags', 'virStorageVolCreateFlags',
  'virConnectListAllStoragePoolsFlags', 'virStorageVolResizeFlags', 'virStoragePoolBuildFlags',
  'virStorageVolDeleteFlags', 'virStorageVolWipeAlgorithm', 'virDomainSnapshotCreateFlags',
  'virDomainSnapshotDeleteFlags', 'virDomainSnapshotRevertFlags', 'virDomainState', 'virStorageXMLFlags',
  'virDomainSnapshotListFlags', 'virStoragePoolCreateFlags',
];
let tb = `// ${HEAD}\n// Value -> name tables of libvirt-api.xml's enums, and C: flag constants by name (libvirt-enums.ts).\n`;
tb += `import {\n${constTypes.map((t) => `  ${t},\n`).join('')}} from './libvirt-enums.js';\n\n`;
for (const [name, type] of Object.entries(valueTables)) {
  // By value; the first name in the XML wins for aliases; no `_LAST` name.
  const rows = apiEnums.get(type).filter(([n]) => !n.endsWith('_LAST')).sort((a, b) => a[1] - b[1]);
  const seen = new Set();
  const lines = [];
  for (const [n, v] of rows) {
    if (seen.has(v)) continue;
    seen.add(v);
    lines.push(`  ${v}: '${n}',\n`);
  }
  tb += `/** ${type}: value to name. */\nexport const ${name}: Readonly<Record<number, string>> = {\n${lines.join('')}};\n\n`;
}
tb += `/** Flag and enum constants by libvirt name. */\nexport const C = {\n${constTypes.map((t) => `  ...${t},\n`).join('')}} as const;\n`;
outputs.set('src/generated/libvirt-tables.ts', tb);

// The doc table.
const count = (file, pred) => new Set(plan.filter((e) => e.fn.file === file && pred(e)).map((e) => e.fn.name)).size;
let md = `<!-- ${HEAD} -->\n# libvirt functions in virtkit\n\n` +
  'Every public function of `libvirt-api.xml` and `libvirt-qemu-api.xml`: the native method that binds it ' +
  '(`Class.method`, typed in `src/generated/libvirt-native.ts` and `src/native.ts`), the public method where one ' +
  'exists, or why it is left out. *generated*: one table line (native/virt_gen.h); *override*: native/overrides; ' +
  '*hand*: native/<class>.cc.\n\n';
for (const { file } of docs) {
  const total = count(file, () => true);
  const bound = count(file, (e) => e.kind !== 'ignored');
  const elsewhere = count(file, (e) => e.kind === 'ignored' && /^streams: (bound|[\w.]+( and [\w.]+)? opens? )/.test(e.reason));
  md += `- ${file}: ${total} functions, ${bound} bound here, ${elsewhere} bound by the stream wrappers (native/stream.h), ` +
    `${total - bound - elsewhere} left out with a reason (test/unit/libvirt-coverage.test.ts counts the addon's imports).\n`;
}
md += '\n| C function | native method | kind | public / reason |\n|---|---|---|---|\n';
for (const e of plan) {
  const m = e.kind === 'ignored' ? '' : `\`${e.cls}.${e.method}\``;
  const pub = e.kind === 'ignored' ? e.reason : (ov.publicNames[e.fn.name] ?? '');
  md += `| \`${e.fn.name}\` | ${m} | ${e.kind} | ${pub.replace(/\|/g, '\\|')} |\n`;
}
outputs.set('docs/api/libvirt-functions.md', md);

// Machine-readable summary for the coverage test.
const summary = plan.map((e) => ({ fn: e.fn.name, file: e.fn.file, kind: e.kind, cls: e.cls, method: e.method, reason: e.reason }));
outputs.set('src/generated/libvirt-plan.json', JSON.stringify(summary, null, 1) + '\n');

// ---- write or check ----

let stale = [];
for (const [rel, content] of outputs) {
  const p = join(root, rel);
  const old = existsSync(p) ? readFileSync(p, 'utf8') : null;
  if (old === content) continue;
  if (check) stale.push(rel);
  else {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    console.log(`wrote ${rel}`);
  }
}
if (check && stale.length) {
  console.error(`gen-libvirt-bindings --check: out of date (run node scripts/gen-libvirt-bindings.mjs):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
if (!check) {
  for (const { file } of docs) console.log(`${file}: ${count(file, (e) => e.kind !== 'ignored')}/${count(file, () => true)} bound`);
}
