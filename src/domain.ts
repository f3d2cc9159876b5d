// Domain: a libvirt domain (VM), its lifecycle, XML, metadata and snapshots.
import { inspect } from 'node:util';
import type { NativeDomain } from './native.js';
import type { Core } from './core.js';
import { type MigrateOptions, type MigrationTarget, migrator } from './migrate-types.js';
import { sleep, wakeableSleep } from './util/abort.js';
import { domainWaiters } from './domain-events.js';
import { C, domainStates, runningReasons, shutoffReasons, pausedReasons } from './generated/libvirt-tables.js';
import { VirtkitError, invalid, isVirtError } from './errors.js';
import { checkName, isXmlPrefix } from './validate.js';
import { argBool, argEnum, argNullableString, argOptBool, argOptEnum, argOptSignal, argOptString, argOptTimeout, argOptions, argString } from './args.js';
import { type ConsoleOptions, type DomainConsole, openConsole } from './console.js';
import { type Screenshot, type ScreenshotOptions, takeScreenshot } from './screenshot.js';
import * as addr from './addresses.js';
import { type HostKey, type HostKeysOptions, hostKeys } from './hostkeys.js';
import * as stats from './domain/stats.js';
import * as devices from './domain/devices.js';
import * as resources from './domain/resources.js';
import * as saves from './domain/save.js';
import * as snaps from './domain/snapshot.js';
import * as jobs from './domain/blockjob.js';
import { DomainAgent, type GuestInfo, type GuestInfoType } from './domain/agent.js';

/** Domain state, as libvirt's virDomainState without the prefix, lower-case. */
export type DomainState = 'nostate' | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended';
const TEXT_KINDS = ['title', 'description'] as const;
const DOMAIN_STATES: readonly DomainState[] = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];

import { VIRTKIT_NS, parseTemplateMetadata } from './xml/metadata.js';
import { DomainXml } from './xml/domain.js';
import type { DeviceSpec } from './xml/device-spec.js';
import { virDomainUndefineFlagsValues } from './generated/libvirt-enums.js';
const { VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA } = virDomainUndefineFlagsValues;
export { VIRTKIT_NS };

export function stateName(n: number): DomainState {
  return (domainStates[n] ?? 'VIR_DOMAIN_NOSTATE').replace('VIR_DOMAIN_', '').toLowerCase() as DomainState;
}
function reasonName(state: number, reason: number): string {
  const table = state === 1 ? runningReasons : state === 5 ? shutoffReasons : state === 3 ? pausedReasons : undefined;
  const name = table?.[reason];
  return name ? name.replace(/^VIR_DOMAIN_(RUNNING|SHUTOFF|PAUSED)_/, '').toLowerCase() : String(reason);
}

/** What {@link Domain.info} returns (virDomainGetInfo). */
export interface DomainInfo {
  /** Current state. */
  state: DomainState;
  /** Maximum memory the domain may use, in KiB. */
  maxMemoryKiB: number;
  /** Memory currently assigned, in KiB. */
  memoryKiB: number;
  /** Number of virtual CPUs. */
  vcpus: number;
  /** CPU time used, in nanoseconds. */
  cpuTimeNs: bigint;
}

/** Options of {@link Domain.undefine}: what to remove along with the definition. */
export interface UndefineOptions {
  /** Also remove the NVRAM file (UEFI). Default: true when the domain has one. */
  nvram?: boolean;
  /** Remove a managed-save image. Default true. */
  managedSave?: boolean;
  /** Remove snapshot and checkpoint metadata. Default true. */
  snapshotsMetadata?: boolean;
  /** Remove the TPM state. Default true. */
  tpm?: boolean;
}

/** A libvirt domain. Obtain one from a Connection; never construct it yourself. */
export class Domain {
  #n: NativeDomain;
  /** The last state a call saw, shown by util.inspect (which cannot wait for an RPC). */
  #lastState?: DomainState;
  readonly #core: Core;
  /** @internal */
  constructor(core: Core, n: NativeDomain) {
    this.#core = core;
    this.#n = n;
  }

  // This connection changes the domain: the lookup cache must not answer for it meanwhile.
  #forget(): void {
    try {
      this.#core.domains.drop(this.#n.getName(), this.#n.getUUIDString());
    } catch {
      /* freed */
    }
  }

  /** The domain's name (cached by libvirt at lookup; a rename updates it). */
  get name(): string {
    return this.#n.getName();
  }
  /** The domain's UUID, e.g. '6695eb01-f6a4-8304-79aa-97f2502e193f'. */
  get uuid(): string {
    return this.#n.getUUIDString();
  }
  /** @internal */
  get core(): Core {
    return this.#core;
  }
  /** @internal The native handle (for calls on several domains at once, e.g. Connection.domainStats). */
  get nativeHandle(): NativeDomain {
    return this.#n;
  }

  /** The running domain's id, or -1 when it is not running. */
  id(): Promise<number> {
    return this.#core.call(() => this.#n.getID());
  }
  /**
   * True while the domain runs (running, paused, ...), false when shut off.
   * @throws VirtError `VIR_ERR_NO_DOMAIN` when the domain no longer exists; VirtkitError `CLOSED` when the connection is closed.
   */
  isActive(): Promise<boolean> {
    return this.#core.call(() => this.#n.isActive());
  }
  /** True for a defined domain, false for a transient one. */
  isPersistent(): Promise<boolean> {
    return this.#core.call(() => this.#n.isPersistent());
  }
  /** True when the domain has a managed-save image (`virsh managedsave`), from which its next start resumes. */
  hasManagedSaveImage(): Promise<boolean> {
    return this.#core.call(() => this.#n.hasManagedSaveImage());
  }
  /**
   * State, memory (KiB), vCPUs and CPU time (ns).
   * @throws VirtError `VIR_ERR_NO_DOMAIN` when the domain no longer exists.
   */
  async info(): Promise<DomainInfo> {
    const i = await this.#core.call(() => this.#n.getInfo());
    this.#lastState = stateName(i.state);
    return { state: this.#lastState, maxMemoryKiB: i.maxMemKiB, memoryKiB: i.memoryKiB, vcpus: i.vcpus, cpuTimeNs: i.cpuTimeNs };
  }
  /** State with the reason, e.g. { state: 'shutoff', reason: 'destroyed' }. */
  async state(): Promise<{ state: DomainState; reason: string }> {
    const s = await this.#core.call(() => this.#n.getState());
    this.#lastState = stateName(s.state);
    return { state: this.#lastState, reason: reasonName(s.state, s.reason) };
  }

  /** The domain XML. `inactive`: the persistent config; `secure`: include secrets; `migratable`: portable form. */
  async xml(opts: { inactive?: boolean; secure?: boolean; migratable?: boolean } = {}): Promise<string> {
    argOptions('opts', opts);
    argOptBool('opts.inactive', opts.inactive);
    argOptBool('opts.secure', opts.secure);
    argOptBool('opts.migratable', opts.migratable);
    const flags =
      (opts.inactive ? C.VIR_DOMAIN_XML_INACTIVE : 0) |
      (opts.secure ? C.VIR_DOMAIN_XML_SECURE : 0) |
      (opts.migratable ? C.VIR_DOMAIN_XML_MIGRATABLE : 0);
    return this.#core.call(() => this.#n.getXMLDesc(flags));
  }

  /** Whether virtkit marked this domain as a template (its metadata says role="template"). */
  async isTemplate(): Promise<boolean> {
    const md = await this.metadata(VIRTKIT_NS);
    if (!md) return false;
    try {
      return parseTemplateMetadata(md)?.role === 'template';
    } catch {
      return false; // a record virtkit cannot read is not taken for one of its templates
    }
  }

  /** Starts a defined domain. A virtkit template is refused with IS_TEMPLATE. */
  async start(opts: { paused?: boolean; autodestroy?: boolean; forceBoot?: boolean } = {}): Promise<void> {
    argOptions('opts', opts);
    argOptBool('opts.paused', opts.paused);
    argOptBool('opts.autodestroy', opts.autodestroy);
    argOptBool('opts.forceBoot', opts.forceBoot);
    if (await this.isTemplate())
      throw new VirtkitError('IS_TEMPLATE', `'${this.name}' is a virtkit template and cannot be started; deploy a clone from it`);
    const flags =
      (opts.paused ? C.VIR_DOMAIN_START_PAUSED : 0) |
      (opts.autodestroy ? C.VIR_DOMAIN_START_AUTODESTROY : 0) |
      (opts.forceBoot ? C.VIR_DOMAIN_START_FORCE_BOOT : 0);
    await this.#core.call(() => this.#n.create(flags), { long: true });
  }

  /**
   * Asks the guest to shut down (ACPI by default). With `wait`, resolves once the domain is shut
   * off, or rejects with TIMEOUT after `timeoutMs` (default 60 s); `signal` aborts the wait.
   */
  async shutdown(opts: { wait?: boolean; timeoutMs?: number; mode?: 'acpi' | 'agent' | 'default'; signal?: AbortSignal } = {}): Promise<void> {
    argOptions('opts', opts);
    const mode = argOptEnum('opts.mode', opts.mode, ['acpi', 'agent', 'default'] as const);
    const wait = argOptBool('opts.wait', opts.wait);
    const timeoutMs = argOptTimeout('opts.timeoutMs', opts.timeoutMs, 60_000);
    const signal = argOptSignal('opts.signal', opts.signal);
    const flags = mode === 'acpi' ? C.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN : mode === 'agent' ? C.VIR_DOMAIN_SHUTDOWN_GUEST_AGENT : 0;
    await this.#core.call(() => this.#n.shutdown(flags));
    if (wait) await this.waitForState('shutoff', { timeoutMs, ...(signal ? { signal } : {}) });
  }

  /**
   * Resolves when the domain reaches `state`; rejects with TIMEOUT or ABORTED. The state is read
   * again on each lifecycle event of the domain; only a driver without events is polled (every
   * `intervalMs`, default 200).
   */
  async waitForState(state: DomainState, opts: { timeoutMs?: number; signal?: AbortSignal; intervalMs?: number } = {}): Promise<void> {
    argEnum('state', state, DOMAIN_STATES);
    argOptions('opts', opts);
    const timeoutMs = argOptTimeout('opts.timeoutMs', opts.timeoutMs, 60_000);
    const intervalMs = argOptTimeout('opts.intervalMs', opts.intervalMs, 200, { min: 1, max: 60_000 });
    const signal = argOptSignal('opts.signal', opts.signal);
    const deadline = Date.now() + timeoutMs;
    // Subscribed before the first read, so a change between a read and the wait is not missed.
    const events = this.#core.domains.enabled; // lifecycle events flow on this connection
    const woken = { pending: false, wake: undefined as (() => void) | undefined };
    const off = events
      ? domainWaiters(this.#core).subscribe(this.uuid, () => {
          woken.pending = true;
          woken.wake?.();
        })
      : undefined;
    try {
      for (;;) {
        woken.pending = false;
        const s = await this.state();
        if (s.state === state) return;
        const left = deadline - Date.now();
        if (left <= 0) throw new VirtkitError('TIMEOUT', `'${this.name}' did not reach state '${state}' in time (it is '${s.state}')`);
        if (woken.pending) continue;
        if (!off) {
          await sleep(Math.min(intervalMs, Math.max(1, left)), signal);
          continue;
        }
        await wakeableSleep(left, woken, signal);
      }
    } finally {
      off?.();
    }
  }

  /**
   * Asks the guest to reboot (libvirt's default method, usually ACPI); resolves once the request is sent.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when the domain is not running.
   */
  reboot(): Promise<void> {
    return this.#core.call(() => this.#n.reboot(0));
  }
  /** Powers the domain off at once. `graceful`: give QEMU time to flush (no SIGKILL). */
  async destroy(opts: { graceful?: boolean } = {}): Promise<void> {
    argOptions('opts', opts);
    argOptBool('opts.graceful', opts.graceful);
    this.#forget();
    return this.#core.call(() => this.#n.destroy(opts.graceful ? C.VIR_DOMAIN_DESTROY_GRACEFUL : 0));
  }
  /**
   * Pauses the running domain's vCPUs (state 'paused'); memory stays allocated.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when the domain is not running.
   */
  suspend(): Promise<void> {
    return this.#core.call(() => this.#n.suspend());
  }
  /**
   * Resumes a paused domain.
   * @throws VirtError `VIR_ERR_OPERATION_INVALID` when the domain is not paused.
   */
  resume(): Promise<void> {
    return this.#core.call(() => this.#n.resume());
  }

  /**
   * Removes the persistent definition (a running domain becomes transient), with what belongs
   * to it: NVRAM, TPM state, managed-save image and snapshot metadata unless told to keep them.
   * Only the flags that apply are sent, so drivers without NVRAM/TPM support still work.
   */
  async undefine(opts: UndefineOptions = {}): Promise<void> {
    argOptions('opts', opts);
    for (const k of ['nvram', 'managedSave', 'snapshotsMetadata', 'tpm'] as const) argOptBool(`opts.${k}`, opts[k]);
    const xml = await this.xml({ inactive: true });
    const def = new DomainXml(xml);
    let flags = 0;
    if (def.os.nvram) flags |= opts.nvram === false ? C.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM : C.VIR_DOMAIN_UNDEFINE_NVRAM;
    if (def.tpms.length > 0) flags |= opts.tpm === false ? C.VIR_DOMAIN_UNDEFINE_KEEP_TPM : C.VIR_DOMAIN_UNDEFINE_TPM;
    if (opts.managedSave !== false && (await this.hasManagedSaveImage().catch(() => false))) flags |= C.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
    if (opts.snapshotsMetadata !== false && (await this.snapshotNames().catch(() => [])).length > 0)
      flags |= C.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    if (opts.snapshotsMetadata !== false && (await this.#core.call(() => this.#n.listAllCheckpoints(0)).then((l) => (l.forEach((c) => c.free()), l.length)).catch(() => 0)) > 0)
      flags |= VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
    this.#forget();
    await this.#core.call(() => this.#n.undefine(flags));
  }

  /** Renames a shut-off persistent domain. */
  async rename(newName: string): Promise<void> {
    checkName('domain', newName, 'newName');
    this.#forget();
    await this.#core.call(() => this.#n.rename(newName, 0));
    this.#core.domains.drop(newName);
    // Some drivers leave the handle's cached name stale: take a fresh handle by UUID.
    const uuid = this.uuid;
    this.#n = await this.#core.call(() => this.#core.native.domainLookupByUUIDString(uuid));
  }

  /** Whether the domain starts when the libvirt daemon starts. */
  autostart(): Promise<boolean> {
    return this.#core.call(() => this.#n.getAutostart());
  }
  /**
   * Sets whether the domain starts when the libvirt daemon starts (persistent domains only).
   * @throws VirtkitError `INVALID_ARGUMENT` when `on` is not a boolean; VirtError when the domain is transient.
   */
  async setAutostart(on: boolean): Promise<void> {
    argBool('on', on);
    return this.#core.call(() => this.#n.setAutostart(on));
  }

  /**
   * The metadata element in namespace `ns` as an XML string, or undefined when there is none.
   * `live`: read the running config rather than the persistent one.
   */
  async metadata(ns: string, opts: { live?: boolean } = {}): Promise<string | undefined> {
    argString('ns', ns, { nonEmpty: true });
    argOptions('opts', opts);
    argOptBool('opts.live', opts.live);
    try {
      return await this.#core.call(() =>
        this.#n.getMetadata(C.VIR_DOMAIN_METADATA_ELEMENT, ns, opts.live ? C.VIR_DOMAIN_AFFECT_LIVE : C.VIR_DOMAIN_AFFECT_CONFIG),
      );
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_DOMAIN_METADATA')) return undefined;
      throw e;
    }
  }

  /**
   * Writes (or with `xml: null` removes) the metadata element in namespace `ns`, stored with
   * `prefix`. Affects the persistent config, and the live one too when the domain runs.
   */
  async setMetadata(ns: string, prefix: string, xml: string | null): Promise<void> {
    argString('ns', ns, { nonEmpty: true });
    argString('prefix', prefix);
    if (!isXmlPrefix(prefix)) throw invalid(`metadata prefix '${prefix}' is not an XML name`, { argument: 'prefix' });
    argNullableString('xml', xml);
    const live = await this.isActive();
    const flags = C.VIR_DOMAIN_AFFECT_CONFIG | (live ? C.VIR_DOMAIN_AFFECT_LIVE : 0);
    await this.#core.call(() => this.#n.setMetadata(C.VIR_DOMAIN_METADATA_ELEMENT, xml, xml === null ? null : prefix, ns, flags));
  }

  /** Title or description (the plain-text metadata). */
  async text(kind: 'title' | 'description'): Promise<string | undefined> {
    argEnum('kind', kind, TEXT_KINDS);
    const type = kind === 'title' ? C.VIR_DOMAIN_METADATA_TITLE : C.VIR_DOMAIN_METADATA_DESCRIPTION;
    try {
      return await this.#core.call(() => this.#n.getMetadata(type, null, C.VIR_DOMAIN_AFFECT_CONFIG));
    } catch (e) {
      if (isVirtError(e, 'VIR_ERR_NO_DOMAIN_METADATA')) return undefined;
      throw e;
    }
  }
  /** Sets the title or description in the persistent config; `null` removes it. */
  async setText(kind: 'title' | 'description', value: string | null): Promise<void> {
    argEnum('kind', kind, TEXT_KINDS);
    argNullableString('value', value);
    const type = kind === 'title' ? C.VIR_DOMAIN_METADATA_TITLE : C.VIR_DOMAIN_METADATA_DESCRIPTION;
    await this.#core.call(() => this.#n.setMetadata(type, value, null, null, C.VIR_DOMAIN_AFFECT_CONFIG));
  }

  // ---- snapshots and checkpoints (objects: src/domain/snapshot.ts; by name below) ----

  /**
   * Creates a snapshot from a typed spec (name, description, memory, per-disk choices, flags) or
   * from snapshot XML; resolves with it.
   * @throws VirtkitError `INVALID_ARGUMENT` for a bad spec or malformed XML; VirtError when libvirt refuses.
   */
  createSnapshot(spec: string | snaps.SnapshotSpec): Promise<snaps.DomainSnapshot> {
    return snaps.createSnapshot(this.#core, this.#n, spec);
  }
  /** The domain's snapshots (`roots`: only those without a parent; `leaves`: only those without children). */
  snapshots(opts?: { roots?: boolean; leaves?: boolean }): Promise<snaps.DomainSnapshot[]> {
    return snaps.listSnapshots(this.#core, this.#n, opts);
  }
  /**
   * The snapshot `name`.
   * @throws VirtError `VIR_ERR_NO_DOMAIN_SNAPSHOT` when there is no such snapshot.
   */
  snapshot(name: string): Promise<snaps.DomainSnapshot> {
    return snaps.lookupSnapshot(this.#core, this.#n, name);
  }
  /** The current snapshot, or undefined when there is none. */
  currentSnapshot(): Promise<snaps.DomainSnapshot | undefined> {
    return snaps.currentSnapshot(this.#core, this.#n);
  }
  /** Names of the domain's snapshots. */
  snapshotNames(): Promise<string[]> {
    return this.#core.call(() => this.#n.listAllSnapshots(0));
  }
  /**
   * Creates a checkpoint (dirty bitmaps, for incremental backups) from a spec or checkpoint XML.
   * A domain cannot have snapshots and checkpoints at once (libvirt's rule).
   */
  createCheckpoint(spec?: string | snaps.CheckpointSpec): Promise<snaps.DomainCheckpoint> {
    return snaps.createCheckpoint(this.#core, this.#n, spec);
  }
  /** The domain's checkpoints (`roots` / `leaves` as for snapshots). */
  checkpoints(opts?: { roots?: boolean; leaves?: boolean }): Promise<snaps.DomainCheckpoint[]> {
    return snaps.listCheckpoints(this.#core, this.#n, opts);
  }
  /**
   * The checkpoint `name`.
   * @throws VirtError `VIR_ERR_NO_DOMAIN_CHECKPOINT` when there is none.
   */
  checkpoint(name: string): Promise<snaps.DomainCheckpoint> {
    return snaps.lookupCheckpoint(this.#core, this.#n, name);
  }
  /**
   * The XML of the snapshot `name`.
   * @throws VirtError `VIR_ERR_NO_DOMAIN_SNAPSHOT` when there is no such snapshot.
   */
  async snapshotXml(name: string): Promise<string> {
    argString('name', name, { nonEmpty: true });
    return this.#core.call(() => this.#n.snapshotGetXMLDesc(name, 0));
  }
  /**
   * Reverts the domain to the snapshot `name`.
   * @throws VirtError `VIR_ERR_NO_DOMAIN_SNAPSHOT` when there is no such snapshot.
   */
  async revertToSnapshot(name: string): Promise<void> {
    argString('name', name, { nonEmpty: true });
    await this.#core.call(() => this.#n.revertToSnapshot(name, 0));
  }
  /**
   * Deletes the snapshot `name` (its children too with `children: true`).
   * @throws VirtError `VIR_ERR_NO_DOMAIN_SNAPSHOT` when there is no such snapshot.
   */
  async deleteSnapshot(name: string, opts: { children?: boolean } = {}): Promise<void> {
    argString('name', name, { nonEmpty: true });
    argOptions('opts', opts);
    argOptBool('opts.children', opts.children);
    await this.#core.call(() => this.#n.snapshotDelete(name, opts.children ? C.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN : 0));
  }

  // ---- stats (src/domain/stats.ts) ----

  /**
   * Statistics of the domain (virDomainListGetStats): state, CPU, balloon, vCPUs, and per-device
   * arrays for interfaces and disks; `groups` picks which (default: all the driver has).
   */
  stats(opts?: stats.StatsOptions): Promise<Omit<stats.DomainStats<Domain>, 'domain'>> {
    return stats.domainStatsOf(this.#core, this.#n, opts);
  }
  /** The guest's memory statistics from the balloon driver (virDomainMemoryStats), sizes in KiB. */
  memoryStats(): Promise<stats.MemoryStats> {
    return stats.memoryStats(this.#core, this.#n);
  }
  /** I/O counters of one disk, by target ('vda') or source path (virDomainBlockStats). */
  blockStats(disk: string): Promise<stats.BlockStats> {
    return stats.blockStats(this.#core, this.#n, disk);
  }
  /** Traffic counters of one interface, by host device name ('vnet0') or MAC (virDomainInterfaceStats). */
  interfaceStats(device: string): Promise<stats.InterfaceStats> {
    return stats.interfaceStats(this.#core, this.#n, device);
  }

  // ---- memory, vCPUs and devices (src/domain/resources.ts, devices.ts) ----

  /**
   * Sets the memory in KiB: the balloon target of the running domain (`live`), the persistent
   * definition (`config`), or both; neither: libvirt's current. `maximum`: the maximum instead.
   * @throws VirtError `VIR_ERR_INVALID_ARG` above the maximum.
   */
  setMemory(kib: number, opts?: resources.SetMemoryOptions): Promise<void> {
    return resources.setMemory(this.#core, this.#n, kib, opts);
  }
  /** Sets the number of vCPUs (`live`: hotplug, `config`, `maximum`, `guest`: through the agent). */
  setVcpus(count: number, opts?: resources.SetVcpusOptions): Promise<void> {
    return resources.setVcpus(this.#core, this.#n, count, opts);
  }
  /** The vCPU count (`maximum`: the most it may have) of the `live` or `config` definition. */
  vcpuCount(opts?: devices.AffectOptions & { maximum?: boolean; guest?: boolean }): Promise<number> {
    return resources.vcpuCount(this.#core, this.#n, opts);
  }
  /**
   * Attaches a device: a typed spec (`{ disk: {...} }`, `{ interface: {...} }`) or device XML
   * (checked well-formed first), `live`, `config` or both (neither: libvirt's current).
   * @throws VirtkitError `INVALID_ARGUMENT` before any call for a bad spec or XML; VirtError when libvirt refuses.
   */
  attachDevice(device: DeviceSpec | string, opts?: devices.AffectOptions): Promise<void> {
    return devices.attachDevice(this.#core, this.#n, device, opts);
  }
  /** Detaches a device given as a spec, device XML or `{ alias }`. */
  detachDevice(device: DeviceSpec | string | { alias: string }, opts?: devices.AffectOptions): Promise<void> {
    return devices.detachDevice(this.#core, this.#n, device, opts);
  }
  /** Changes a device in place (e.g. a CD-ROM's media, an interface's link state); `force` ejects a locked tray. */
  updateDevice(device: DeviceSpec | string, opts?: devices.AffectOptions & { force?: boolean }): Promise<void> {
    return devices.updateDevice(this.#core, this.#n, device, opts);
  }

  // ---- saving state (src/domain/save.ts) ----

  /** Saves the running domain's memory into libvirt's managed image and stops it; the next start resumes it. */
  managedSave(opts?: Omit<saves.SaveOptions, 'xml'>): Promise<void> {
    return saves.managedSave(this.#core, this.#n, opts);
  }
  /** Same as {@link Domain.hasManagedSaveImage}. */
  hasManagedSave(): Promise<boolean> {
    return this.hasManagedSaveImage();
  }
  /** Deletes the managed-save image: the next start boots afresh. */
  removeManagedSave(): Promise<void> {
    return saves.removeManagedSave(this.#core, this.#n);
  }
  /**
   * Saves the running domain's state to `path` (a file on the daemon's host) and stops it;
   * {@link Connection.restore} brings it back.
   */
  save(path: string, opts?: saves.SaveOptions): Promise<void> {
    return saves.save(this.#core, this.#n, path, opts);
  }

  // ---- block jobs (src/domain/blockjob.ts) ----

  /**
   * Starts pulling the backing chain of `disk` (target or path) into its top image; resolves with
   * the job once libvirt has started it. `job.wait({ onProgress, signal })` waits for the end.
   */
  blockPull(disk: string, opts?: jobs.BlockPullOptions): Promise<jobs.BlockJob> {
    return jobs.blockPull(this.#core, this.#n, this.uuid, disk, opts);
  }
  /**
   * Starts committing `top` (default: the active layer, an active commit that ends 'ready' and needs
   * a pivot: `job.wait({ pivot: true })`) into `base` (default: the bottom of the chain).
   */
  blockCommit(disk: string, opts?: jobs.BlockCommitOptions): Promise<jobs.BlockJob> {
    return jobs.blockCommit(this.#core, this.#n, this.uuid, disk, opts);
  }
  /**
   * Starts copying `disk` to `dest` (a path or `{ path, format, type }`); the job mirrors once
   * ready, until `job.pivot()` (switch to the copy) or `job.abort()` (keep the original).
   */
  blockCopy(disk: string, dest: string | { path: string; format?: string; type?: 'file' | 'block' }, opts?: jobs.BlockCopyOptions): Promise<jobs.BlockJob> {
    return jobs.blockCopy(this.#core, this.#n, this.uuid, disk, dest, opts);
  }
  /** Starts rebasing `disk` onto `base` (null: pull everything, flattening the chain). */
  blockRebase(disk: string, base: string | null, opts?: jobs.BlockRebaseOptions): Promise<jobs.BlockJob> {
    return jobs.blockRebase(this.#core, this.#n, this.uuid, disk, base, opts);
  }

  // ---- the guest agent (src/domain/agent.ts) ----

  #agent?: DomainAgent;
  /**
   * The domain's QEMU guest agent: raw `command()`, `info()`, SSH keys, passwords, fsFreeze/fsThaw.
   * Every call rejects with VirtkitError `AGENT_UNAVAILABLE` when the domain has no agent channel
   * or the agent is not connected, `DOMAIN_NOT_RUNNING` when the domain is shut off.
   */
  get agent(): DomainAgent {
    return (this.#agent ??= new DomainAgent(this.#core, () => this.#n, () => this.name));
  }
  /** Same as `agent.info(types)`. */
  guestInfo(types?: GuestInfoType[]): Promise<GuestInfo> {
    return this.agent.info(types);
  }
  /** Same as `agent.authorizedKeys(user)`. */
  authorizedKeys(user: string): Promise<string[]> {
    return this.agent.authorizedKeys(user);
  }
  /** Same as `agent.setAuthorizedKeys(user, keys, opts)`. */
  setAuthorizedKeys(user: string, keys: string[], opts?: { append?: boolean; remove?: boolean }): Promise<void> {
    return this.agent.setAuthorizedKeys(user, keys, opts);
  }
  /** Same as `agent.setUserPassword(user, password, opts)`: the password never appears in an error. */
  setUserPassword(user: string, password: string, opts?: { encrypted?: boolean }): Promise<void> {
    return this.agent.setUserPassword(user, password, opts);
  }
  /** Same as `agent.fsFreeze(mountpoints)`. */
  fsFreeze(mountpoints?: string[]): Promise<number> {
    return this.agent.fsFreeze(mountpoints);
  }
  /** Same as `agent.fsThaw(mountpoints)`. */
  fsThaw(mountpoints?: string[]): Promise<number> {
    return this.agent.fsThaw(mountpoints);
  }

  /**
   * A Duplex on the running domain's console (serial or virtio): read what the guest prints,
   * write what it should read. Resolves once the console is open; it ends when the domain stops.
   * @throws VirtkitError `DOMAIN_NOT_RUNNING` when the domain is shut off; VirtError when the
   * console is busy (another session, without `force`) or the device is not a pty.
   */
  console(opts?: ConsoleOptions): Promise<DomainConsole> {
    return openConsole(this.#core, this.#n, this.name, opts);
  }
  /**
   * A screenshot of the running domain's display: a PNG by default (QEMU's PPM converted), or
   * the daemon's PPM with `format: 'ppm'`.
   * @throws VirtkitError `DOMAIN_NOT_RUNNING` when the domain is shut off; VirtError when it has no display.
   */
  screenshot(opts?: ScreenshotOptions): Promise<Screenshot> {
    return takeScreenshot(this.#core, this.#n, this.name, opts);
  }

  /**
   * The domain's interfaces and their addresses (virDomainInterfaceAddresses): `'lease'` (default)
   * from its libvirt network's DHCP leases, `'agent'` from qemu-guest-agent, `'arp'` from the host's ARP table.
   * @throws VirtError when the domain is not running or the source is unavailable (e.g. no agent).
   */
  interfaceAddresses(opts?: { source?: addr.AddressSource }): Promise<addr.DomainInterfaceAddresses[]> {
    return addr.interfaceAddresses(this.#core, this.#n, opts);
  }
  /**
   * The domain's addresses, one entry each, loopback and IPv6 link-local left out. `'any'`
   * (default): the first of lease, agent, arp that has any; a source that is unavailable counts as empty.
   * `'reservation'`: the addresses deploy reserved for a virtkit clone (its record), known before
   * the first boot and whether or not it runs; none for other domains.
   */
  async addresses(opts?: { source?: addr.AddressSource | 'any' | 'reservation' }): Promise<addr.DomainAddress[]> {
    if (typeof opts === 'object' && opts?.source === 'reservation') return addr.reservedAddresses(await this.metadata(VIRTKIT_NS));
    return addr.addresses(this.#core, this.#n, opts as { source?: addr.AddressSource | 'any' });
  }
  /**
   * Resolves with the first address that shows (optionally of one MAC or family). Asks again at
   * once on the domain's lifecycle events and when its guest agent connects, and polls with backoff
   * (250 ms doubling to 4 s) in between: a DHCP lease raises no libvirt event.
   * @throws VirtkitError `TIMEOUT` at the deadline, `ABORTED` on the signal, `DOMAIN_NOT_RUNNING` when the domain is (or becomes) shut off.
   */
  waitForAddress(opts?: addr.WaitForAddressOptions): Promise<addr.DomainAddress> {
    return addr.waitForAddress(this.#core, this.#n, this.name, opts);
  }
  /**
   * Resolves once a TCP connection to `port` succeeds, from this process (`host` default: the
   * domain's first address, found within the same deadline). A guest in another network
   * namespace is reachable only when the caller runs in that namespace.
   * @throws VirtkitError `TIMEOUT`, `ABORTED`, `INVALID_ARGUMENT`.
   */
  waitForPort(port: number, opts?: addr.WaitForPortOptions): Promise<{ host: string; port: number }> {
    return addr.waitForPort(this.#core, this.#n, this.name, port, opts);
  }
  /**
   * The guest's SSH host keys as its first boot reported them (virtkit's first-boot script, or
   * cloud-init), to pin before the first SSH connection: through qemu-guest-agent when the domain
   * has its channel, else from the domain's serial log file (local connections). Waits for the
   * report (polling with backoff); each fingerprint is computed here from the key.
   * @throws VirtkitError `TIMEOUT`, `ABORTED`, `DOMAIN_NOT_RUNNING` (shut off with no report),
   *   `NOT_FOUND` (neither a serial log file nor an agent channel), `IO_ERROR`.
   */
  hostKeys(opts?: HostKeysOptions): Promise<HostKey[]> {
    return hostKeys(this.#core, this.#n, this.name, opts);
  }

  /**
   * Migrates the domain to another host; resolves to the Domain there. A virtkit linked clone
   * copies only its overlay, re-pointed at the template's replica on the target (see src/migrate.ts):
   * running, through QEMU's NBD mirror; shut off, streamed as a file (src/migrate-offline.ts).
   * A clone's DHCP reservations are made again (same MAC, address and host name) in the target's
   * network of the same name, and released on the source once its definition is gone.
   * @throws VirtkitError `NOT_FOUND` / `TEMPLATE_NOT_READY` when the clone's template has no ready replica on the target;
   *   `NOT_FOUND` (no network of that name there), `ADDRESS_IN_USE`, `ALREADY_EXISTS` for a reservation the target cannot take (nothing moved).
   */
  async migrate(target: MigrationTarget, opts?: MigrateOptions): Promise<Domain> {
    const run = migrator();
    this.#forget();
    return (await run(this, this.#n, target, opts)) as Domain;
  }

  /** Releases the native handle now instead of at garbage collection. Idempotent. */
  async free(): Promise<void> {
    await Promise.allSettled([...this.#core.inflight]);
    this.#n.free();
  }

  /** Short form for console.log and the REPL: name, UUID and the last state seen. */
  [inspect.custom](): string {
    let name = '?';
    try {
      name = this.name;
    } catch {
      /* freed */
    }
    const state = this.#lastState ? `, state: '${this.#lastState}'` : '';
    return `Domain { name: ${inspect(name)}, uuid: '${safe(() => this.uuid)}'${state} }`;
  }
}

function safe(f: () => string): string {
  try {
    return f();
  } catch {
    return '?';
  }
}
