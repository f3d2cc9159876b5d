// The QEMU guest agent of a running domain: raw commands (virDomainQemuAgentCommand), guest info
// (virDomainGetGuestInfo, typed), SSH authorized keys, user passwords, file-system freeze/thaw.
// A domain without a configured or connected agent is refused with VirtkitError AGENT_UNAVAILABLE;
// a password never appears in an error.
import type { NativeDomain, TypedParams } from '../native.js';
import type { Core } from '../core.js';
import { VirtkitError, invalid, isVirtError } from '../errors.js';
import { INT32, argEnum, argOptBool, argOptInt, argOptions, argString, argStrings } from '../args.js';
import { checkUserName } from '../validate.js';
import { type DomainInterfaceAddresses, interfaceAddresses } from '../addresses.js';
import {
  virDomainAgentResponseTimeoutValues as AT, virDomainAuthorizedSSHKeysSetFlags as AK, virDomainGuestInfoTypes as GI,
  virDomainSetUserPasswordFlags as UP,
} from '../generated/libvirt-enums.js';

/** The kinds of guest information virDomainGetGuestInfo gathers. */
export type GuestInfoType = 'users' | 'os' | 'timezone' | 'hostname' | 'filesystem' | 'disks' | 'interfaces';
const INFO_BITS: Record<GuestInfoType, number> = {
  users: GI.VIR_DOMAIN_GUEST_INFO_USERS, os: GI.VIR_DOMAIN_GUEST_INFO_OS, timezone: GI.VIR_DOMAIN_GUEST_INFO_TIMEZONE,
  hostname: GI.VIR_DOMAIN_GUEST_INFO_HOSTNAME, filesystem: GI.VIR_DOMAIN_GUEST_INFO_FILESYSTEM, disks: GI.VIR_DOMAIN_GUEST_INFO_DISKS,
  interfaces: GI.VIR_DOMAIN_GUEST_INFO_INTERFACES,
};
const INFO_TYPES = Object.keys(INFO_BITS) as GuestInfoType[];
const PAUSED = 3; // VIR_DOMAIN_PAUSED

/** What the guest agent reports (absent: not asked, or the agent did not say). */
export interface GuestInfo {
  users?: { name: string; domain?: string; loginTimeMs?: number }[];
  /** `os.*`: id, name, pretty-name, version, version-id, kernel-release, kernel-version, machine, variant, variant-id. */
  os?: Record<string, string>;
  timezone?: { name?: string; offsetSeconds?: number };
  hostname?: string;
  filesystems?: { mountpoint?: string; name?: string; fstype?: string; totalBytes?: bigint; usedBytes?: bigint; disks: string[] }[];
  disks?: { name?: string; partition?: boolean; alias?: string; guestAlias?: string; serial?: string; dependencies: string[] }[];
  interfaces?: { name?: string; hwaddr?: string; addrs: { type?: string; addr?: string; prefix?: number }[] }[];
  /** Every parameter as libvirt sent it. */
  raw: TypedParams;
}

/** Options of {@link DomainAgent.command}. */
export interface AgentCommandOptions {
  /**
   * Seconds to wait for the answer; 'block' waits as long as it takes, 'nowait' does not wait;
   * default: libvirt's default (5 s).
   */
  timeout?: number | 'block' | 'nowait';
}

/**
 * A libvirt agent failure, told apart from the rest: no agent channel, agent not connected or not
 * answering, or a paused domain (whose agent cannot answer: libvirt says "not running" then too).
 */
function agentError(e: unknown, name: string, paused: boolean): unknown {
  if (paused && isVirtError(e, 'VIR_ERR_OPERATION_INVALID'))
    return new VirtkitError('AGENT_UNAVAILABLE', `'${name}' is paused: its guest agent cannot answer`, { cause: e, details: { domain: name, reason: 'paused' } });
  if (isVirtError(e, 'VIR_ERR_AGENT_UNRESPONSIVE') || isVirtError(e, 'VIR_ERR_AGENT_UNSYNCED') ||
    (isVirtError(e, 'VIR_ERR_ARGUMENT_UNSUPPORTED') && /agent/i.test((e as Error).message)) ||
    (isVirtError(e, 'VIR_ERR_OPERATION_UNSUPPORTED') && /agent/i.test((e as Error).message)))
    return new VirtkitError('AGENT_UNAVAILABLE', `the guest agent of '${name}' is not available: ${(e as Error).message}`, { cause: e, details: { domain: name } });
  if (isVirtError(e, 'VIR_ERR_OPERATION_INVALID') && /not running/i.test((e as Error).message))
    return new VirtkitError('DOMAIN_NOT_RUNNING', `'${name}' is not running: it has no guest agent to ask`, { cause: e, details: { domain: name } });
  return e;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);
const big = (v: unknown): bigint | undefined => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(Math.trunc(v)) : undefined);

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
// `prefix.<i>.<rest>` keys by index, in order, each with `prefix.<i>.<sub>.<j>.<x>` kept flat.
function indexed(p: TypedParams, prefix: string): Record<string, unknown>[] {
  const out = new Map<number, Record<string, unknown>>();
  const re = new RegExp(`^${prefix.replace('.', '\\.')}\\.(\\d+)\\.(.+)$`);
  for (const [k, v] of Object.entries(p)) {
    const m = re.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    if (!out.has(i)) out.set(i, {});
    out.get(i)![m[2]!] = v;
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
}
const list = (e: Record<string, unknown>, prefix: string, field: string): string[] =>
  indexed(e as TypedParams, prefix).map((x) => str(x[field])).filter((x): x is string => x !== undefined);

/** Parses virDomainGetGuestInfo's flat parameters (exported for tests: pure). */
export function parseGuestInfo(p: TypedParams): GuestInfo {
  const out: GuestInfo = { raw: p };
  const has = (prefix: string) => Object.keys(p).some((k) => k.startsWith(prefix));
  if (has('user.')) out.users = indexed(p, 'user').map((u) => defined({ name: str(u.name) ?? '', domain: str(u.domain), loginTimeMs: num(u['login-time']) }));
  if (has('os.')) {
    const os: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) if (k.startsWith('os.') && typeof v === 'string') os[k.slice(3)] = v;
    out.os = os;
  }
  if (has('timezone.')) out.timezone = defined({ name: str(p['timezone.name']), offsetSeconds: num(p['timezone.offset']) });
  if (typeof p.hostname === 'string') out.hostname = p.hostname;
  if (has('fs.')) {
    out.filesystems = indexed(p, 'fs').map((f) =>
      defined({ mountpoint: str(f.mountpoint), name: str(f.name), fstype: str(f.fstype), totalBytes: big(f['total-bytes']), usedBytes: big(f['used-bytes']), disks: list(f, 'disk', 'alias') }),
    );
  }
  if (has('disk.')) {
    out.disks = indexed(p, 'disk').map((d) =>
      defined({ name: str(d.name), partition: typeof d.partition === 'boolean' ? d.partition : undefined, alias: str(d.alias), guestAlias: str(d['guest_alias']), serial: str(d.serial), dependencies: list(d, 'dependency', 'name') }),
    );
  }
  if (has('if.')) {
    out.interfaces = indexed(p, 'if').map((i) =>
      defined({ name: str(i.name), hwaddr: str(i.hwaddr), addrs: indexed(i as TypedParams, 'addr').map((a) => defined({ type: str(a.type), addr: str(a.addr), prefix: num(a.prefix) })) }),
    );
  }
  return out;
}

/** The guest agent of one domain: `dom.agent`. */
export class DomainAgent {
  readonly #core: Core;
  // Getters, not values: Domain.rename() swaps its native handle.
  readonly #get: () => NativeDomain;
  readonly #name: () => string;
  /** @internal */
  constructor(core: Core, n: () => NativeDomain, name: () => string) {
    this.#core = core;
    this.#get = n;
    this.#name = name;
  }

  async #call<T>(fn: (n: NativeDomain) => Promise<T>, opts: { long?: boolean } = {}): Promise<T> {
    const n = this.#get();
    try {
      return await this.#core.call(() => fn(n), opts);
    } catch (e) {
      const paused = isVirtError(e, 'VIR_ERR_OPERATION_INVALID') && (await this.#core.call(() => n.getState()).then((s) => s.state === PAUSED, () => false));
      throw agentError(e, this.#name(), paused);
    }
  }

  /**
   * Sends a raw guest-agent command (JSON text or an object, e.g. `{ execute: 'guest-info' }`);
   * resolves with the `return` member of the agent's answer (the whole answer when it has none).
   * @throws VirtkitError `AGENT_UNAVAILABLE`, `DOMAIN_NOT_RUNNING`, `INVALID_ARGUMENT` (not JSON).
   */
  async command<T = unknown>(cmd: string | Record<string, unknown>, opts: AgentCommandOptions = {}): Promise<T> {
    let text: string;
    if (typeof cmd === 'string') {
      text = argString('cmd', cmd, { nonBlank: true });
      try {
        JSON.parse(text);
      } catch {
        throw invalid('cmd is not valid JSON', { argument: 'cmd' });
      }
    } else if (cmd !== null && typeof cmd === 'object' && !Array.isArray(cmd)) {
      text = argString('cmd', JSON.stringify(cmd));
    } else throw invalid('cmd must be JSON text or an object', { argument: 'cmd' });
    const o = argOptions('opts', opts);
    const timeout = o.timeout === 'block' ? AT.VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_BLOCK : o.timeout === 'nowait' ? AT.VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_NOWAIT
      : (argOptInt('opts.timeout', o.timeout, { min: 1, max: INT32.max }) ?? AT.VIR_DOMAIN_AGENT_RESPONSE_TIMEOUT_DEFAULT);
    const answer = await this.#call((n) => n.qemuAgentCommand(text, timeout, 0), { long: true });
    if (!answer) return undefined as T;
    const parsed = JSON.parse(answer) as { return?: unknown };
    return (parsed && typeof parsed === 'object' && 'return' in parsed ? parsed.return : parsed) as T;
  }

  /** Guest information (users, OS, timezone, hostname, file systems, disks, interfaces); `types` narrows it. */
  async info(types?: GuestInfoType[]): Promise<GuestInfo> {
    let bits = 0;
    if (types !== undefined) {
      if (!Array.isArray(types)) throw invalid('types must be an array', { argument: 'types' });
      for (const [i, t] of types.entries()) bits |= INFO_BITS[argEnum(`types[${i}]`, t, INFO_TYPES)];
    }
    return parseGuestInfo(await this.#call((n) => n.getGuestInfo(bits, 0), { long: true }));
  }

  /** The guest's interfaces and addresses as the agent reports them (interfaceAddresses with source 'agent'). */
  addresses(): Promise<DomainInterfaceAddresses[]> {
    return this.#call((n) => interfaceAddresses(this.#core, n, { source: 'agent' }));
  }

  /** The lines of `user`'s ~/.ssh/authorized_keys in the guest. */
  async authorizedKeys(user: string): Promise<string[]> {
    checkUserName(user, 'user');
    return this.#call((n) => n.authorizedSSHKeysGet(user, 0), { long: true });
  }
  /**
   * Replaces `user`'s authorized keys with `keys` (`append`: adds them; `remove`: removes them).
   * Each key is one line.
   */
  async setAuthorizedKeys(user: string, keys: string[], opts: { append?: boolean; remove?: boolean } = {}): Promise<void> {
    checkUserName(user, 'user');
    const list = argStrings('keys', keys, { nonBlank: true });
    list.forEach((k, i) => {
      if (/[\r\n]/.test(k)) throw invalid(`keys[${i}] must be one line`, { argument: `keys[${i}]` });
    });
    const o = argOptions('opts', opts);
    const append = argOptBool('opts.append', o.append);
    const remove = argOptBool('opts.remove', o.remove);
    if (append && remove) throw invalid('opts.append and opts.remove are exclusive', { argument: 'opts.append' });
    const flags = (append ? AK.VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_APPEND : 0) | (remove ? AK.VIR_DOMAIN_AUTHORIZED_SSH_KEYS_SET_REMOVE : 0);
    await this.#call((n) => n.authorizedSSHKeysSet(user, list, flags), { long: true });
  }

  /**
   * Sets `user`'s password in the guest (`encrypted`: `password` is already a crypt(3) hash). The
   * password is never part of an error message.
   */
  async setUserPassword(user: string, password: string, opts: { encrypted?: boolean } = {}): Promise<void> {
    checkUserName(user, 'user');
    argString('password', password, { nonEmpty: true });
    const encrypted = argOptBool('opts.encrypted', argOptions('opts', opts).encrypted);
    try {
      await this.#call((n) => n.setUserPassword(user, password, encrypted ? UP.VIR_DOMAIN_PASSWORD_ENCRYPTED : 0), { long: true });
    } catch (e) {
      throw redact(e, password);
    }
  }

  /** Freezes the guest's file systems (all, or those mounted at `mountpoints`); resolves with how many. */
  async fsFreeze(mountpoints: string[] = []): Promise<number> {
    const m = argStrings('mountpoints', mountpoints, { nonEmpty: true });
    return this.#call((n) => n.fsFreeze(m, 0), { long: true });
  }
  /** Thaws what fsFreeze froze; resolves with how many file systems. */
  async fsThaw(mountpoints: string[] = []): Promise<number> {
    const m = argStrings('mountpoints', mountpoints, { nonEmpty: true });
    return this.#call((n) => n.fsThaw(m, 0), { long: true });
  }
}

// An error (and its causes) with every occurrence of `secret` replaced, whatever reported it.
function redact(e: unknown, secret: string): unknown {
  for (let x = e as { message?: unknown; stack?: unknown; cause?: unknown } | undefined, i = 0; x && typeof x === 'object' && i < 5; x = x.cause as typeof x, i++) {
    if (typeof x.message === 'string' && x.message.includes(secret)) x.message = x.message.split(secret).join('***');
    if (typeof x.stack === 'string' && x.stack.includes(secret)) x.stack = x.stack.split(secret).join('***');
  }
  return e;
}
