// A clone's SSH host keys, read from the host so a caller can pin them before its first SSH
// connection. The first-boot script prints them on the console after it made them
// (`virtkit-hostkey: TYPE BASE64 FINGERPRINT` lines, then `virtkit-hostkeys: done`) and keeps
// them in /var/lib/virtkit/hostkeys; cloud-init prints its own block
// (-----BEGIN SSH HOST KEY KEYS----- … -----END SSH HOST KEY KEYS-----). virtkit reads the file
// through the guest agent when the domain has one, else the clone's serial log file. Every
// fingerprint is computed here from the key (SHA-256, base64 without padding, as ssh-keygen -l
// shows it); a line whose key does not parse, or whose printed fingerprint differs, is dropped
// (a console line can be garbled by other output).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { NativeDomain } from './native.js';
import type { Core } from './core.js';
import { VirtkitError } from './errors.js';
import { abortError, sleep } from './util/abort.js';
import { argOptEnum, argOptSignal, argOptTimeout, argOptions } from './args.js';
import { DomainXml } from './xml/domain.js';
import { attr, child, children } from './xml/doc.js';

/** One SSH host key of a guest. */
export interface HostKey {
  /** The key type as in authorized_keys / known_hosts, e.g. 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'. */
  type: string;
  /** The public key blob, base64 (the second field of a .pub file). */
  key: string;
  /** 'SHA256:' + base64 (no padding) of the SHA-256 of the blob: what `ssh-keygen -lf` prints. */
  fingerprint: string;
}

/** Options of {@link Domain.hostKeys}. */
export interface HostKeysOptions {
  /** Give up after this many ms with TIMEOUT (default 120 000). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Where to read: 'agent' (qemu-guest-agent), 'serial' (the serial log file), 'any' (default: agent when the domain has its channel, then serial). */
  source?: 'agent' | 'serial' | 'any';
}

/** The guest path of the host keys file (see firstboot.sh). */
export const HOSTKEYS_PATH = '/var/lib/virtkit/hostkeys';

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The SHA256 fingerprint of a base64 public key blob, as `ssh-keygen -l` prints it. */
export function hostKeyFingerprint(key: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside an SSH public key blob (its first string), or undefined when the blob is malformed. */
function blobType(key: string): string | undefined {
  if (!B64.test(key) || key.length % 4 !== 0) return undefined;
  const b = Buffer.from(key, 'base64');
  if (b.length < 4) return undefined;
  const n = b.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > b.length) return undefined;
  return b.toString('latin1', 4, 4 + n);
}

/** A checked key, or undefined when the type, the blob or a printed fingerprint does not hold. */
function checkedKey(type: string, key: string, printed?: string): HostKey | undefined {
  if (blobType(key) !== type) return undefined;
  const fingerprint = hostKeyFingerprint(key);
  if (printed !== undefined && printed !== '-' && printed !== fingerprint) return undefined;
  return { type, key, fingerprint };
}

const VK_LINE = 'virtkit-hostkey: ';
const VK_DONE = 'virtkit-hostkeys: done';
const CI_BEGIN = '-----BEGIN SSH HOST KEY KEYS-----';
const CI_END = '-----END SSH HOST KEY KEYS-----';
const CI_KEY = /(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+([A-Za-z0-9+/]+={0,2})/;

/**
 * The host keys of the last complete report in a console log: the first-boot script's block
 * (ended by its done line) or cloud-init's. undefined when no report is complete yet. One key per
 * type (the last one read).
 */
export function parseHostKeys(log: string): HostKey[] | undefined {
  let last: HostKey[] | undefined;
  let vk = new Map<string, HostKey>();
  let ci: Map<string, HostKey> | undefined;
  for (const raw of log.split('\n')) {
    const line = raw.replace(/\r/g, '');
    if (ci) {
      if (line.includes(CI_END)) {
        last = [...ci.values()];
        ci = undefined;
        continue;
      }
      const m = CI_KEY.exec(line);
      const k = m && checkedKey(m[1]!, m[2]!);
      if (k) ci.set(k.type, k);
      continue;
    }
    if (line.includes(CI_BEGIN)) {
      ci = new Map();
      continue;
    }
    if (line.includes(VK_DONE)) {
      last = [...vk.values()];
      vk = new Map();
      continue;
    }
    const at = line.indexOf(VK_LINE);
    if (at < 0) continue;
    const [type, key, printed] = line.slice(at + VK_LINE.length).trim().split(/\s+/);
    const k = type && key ? checkedKey(type, key, printed) : undefined;
    if (k) vk.set(k.type, k);
  }
  return last;
}

/** The host keys file's content (no done line): every valid line counts. */
function parseHostKeysFile(text: string): HostKey[] | undefined {
  const keys = parseHostKeys(`${text}\n${VK_DONE}\n`);
  return keys && keys.length > 0 ? keys : undefined;
}

/** The files a domain's serial ports and consoles write: `<serial type='file'><source path>` and `<log file>`. */
export function serialLogFiles(xml: string): string[] {
  const dom = new DomainXml(xml);
  const out: string[] = [];
  for (const kind of ['serial', 'console']) {
    for (const el of children(dom.devices, kind)) {
      const p = attr(el, 'type') === 'file' ? attr(child(el, 'source'), 'path') : undefined;
      const log = attr(child(el, 'log'), 'file');
      for (const f of [p, log]) if (f !== undefined && !out.includes(f)) out.push(f);
    }
  }
  return out;
}

function hasAgentChannel(xml: string): boolean {
  return new DomainXml(xml).channels.some((c) => c.targetName === 'org.qemu.guest_agent.0');
}

/** Reads the host keys file through qemu-guest-agent (guest-file-open/read/close); undefined when it is not there yet. */
async function readThroughAgent(core: Core, n: NativeDomain): Promise<HostKey[] | undefined> {
  const cmd = async (execute: string, args: Record<string, unknown>) =>
    JSON.parse(await core.call(() => n.qemuAgentCommand(JSON.stringify({ execute, arguments: args }), 5, 0))) as { return: unknown };
  let handle: number;
  try {
    handle = (await cmd('guest-file-open', { path: HOSTKEYS_PATH, mode: 'r' })).return as number;
  } catch {
    return undefined; // no agent yet, or no file yet
  }
  try {
    let text = '';
    for (let i = 0; i < 16; i++) {
      const r = (await cmd('guest-file-read', { handle, count: 65536 })).return as { 'buf-b64': string; eof: boolean };
      text += Buffer.from(r['buf-b64'], 'base64').toString('utf8');
      if (r.eof) break;
    }
    return parseHostKeysFile(text);
  } finally {
    await cmd('guest-file-close', { handle }).catch(() => undefined);
  }
}

async function readSerialLogs(files: string[]): Promise<HostKey[] | undefined> {
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') continue;
      throw new VirtkitError('IO_ERROR', `cannot read the serial log '${f}': ${err.message}`, { cause: e, details: { path: f } });
    }
    const keys = parseHostKeys(text);
    if (keys && keys.length > 0) return keys;
  }
  return undefined;
}

/** @internal Domain.hostKeys. */
export async function hostKeys(core: Core, n: NativeDomain, name: string, opts: HostKeysOptions = {}): Promise<HostKey[]> {
  argOptions('opts', opts);
  const timeoutMs = argOptTimeout('opts.timeoutMs', opts.timeoutMs, 120_000);
  const signal = argOptSignal('opts.signal', opts.signal);
  const source = argOptEnum('opts.source', opts.source, ['agent', 'serial', 'any'] as const) ?? 'any';
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    if (signal?.aborted) throw abortError(signal);
    const active = await core.call(() => n.isActive());
    const xml = await core.call(() => n.getXMLDesc(0));
    const files = source === 'agent' || !core.isLocal ? [] : serialLogFiles(xml);
    const agent = source !== 'serial' && hasAgentChannel(xml);
    if (files.length === 0 && !agent) {
      throw new VirtkitError('NOT_FOUND', `domain '${name}' has no ${source === 'agent' ? 'guest agent channel' : core.isLocal ? 'serial log file or guest agent channel' : 'guest agent channel (its serial log is on another host)'} to read host keys from`, { details: { domain: name } });
    }
    const keys = (agent && active ? await readThroughAgent(core, n) : undefined) ?? (await readSerialLogs(files));
    if (keys) return keys;
    if (!active) throw new VirtkitError('DOMAIN_NOT_RUNNING', `domain '${name}' is not running and has reported no host keys`, { details: { domain: name } });
    const left = deadline - Date.now();
    if (left <= 0) throw new VirtkitError('TIMEOUT', `domain '${name}' reported no host keys within ${timeoutMs} ms`, { details: { domain: name, timeoutMs } });
    await sleep(Math.min(delay, left), signal);
    delay = Math.min(delay * 2, 2000);
  }
}
