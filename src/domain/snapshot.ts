// Snapshots and checkpoints as objects (virDomainSnapshotPtr / virDomainCheckpointPtr handles):
// list, look up, create from a typed spec (XML from src/xml/snapshot.ts) or XML, parent, children,
// revert, delete. Each object holds its own libvirt reference (free() or the GC drops it).
import { inspect } from 'node:util';
import type { NativeDomain, NativeDomainCheckpoint, NativeDomainSnapshot } from '../native.js';
import type { Core } from '../core.js';
import { argOptBool, argOptions, argOptString, argString } from '../args.js';
import { invalid, isVirtError } from '../errors.js';
import { checkName } from '../validate.js';
import { parseRoot } from '../xml/doc.js';
import { type SnapshotDiskSpec, checkpointXml, snapshotXml } from '../xml/snapshot.js';
import {
  virDomainCheckpointCreateFlags as CC, virDomainCheckpointDeleteFlags as CD, virDomainCheckpointListFlags as CL,
  virDomainSnapshotCreateFlags as SC, virDomainSnapshotDeleteFlags as SD, virDomainSnapshotListFlags as SL,
  virDomainSnapshotRevertFlags as SRV,
} from '../generated/libvirt-enums.js';

/** What {@link Domain.createSnapshot} takes besides snapshot XML. */
export interface SnapshotSpec {
  /** Default: libvirt's (the creation time in seconds). */
  name?: string;
  description?: string;
  /** Memory state: 'no' (disks only), 'internal', or an external file. Default: libvirt's. */
  memory?: 'no' | 'internal' | { file: string };
  /** Per-disk choices, e.g. `[{ name: 'vda', snapshot: 'external', file: '/var/lib/x/vda.snap1' }]`. */
  disks?: SnapshotDiskSpec[];
  /** Disks only (`VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY`): external overlays, no memory. */
  diskOnly?: boolean;
  /** All disks or none (a failure leaves nothing). */
  atomic?: boolean;
  /** Freeze the guest's file systems through the guest agent while the disks are snapshotted. */
  quiesce?: boolean;
  /** Take the snapshot of a running domain without pausing it (external memory snapshots). */
  live?: boolean;
  /** Stop the domain once the snapshot is taken. */
  halt?: boolean;
  /** Only make the images; libvirt keeps no record of the snapshot (nothing is returned). */
  noMetadata?: boolean;
}

/** What {@link Domain.createCheckpoint} takes besides checkpoint XML. */
export interface CheckpointSpec {
  name?: string;
  description?: string;
  /** Which disks get a dirty bitmap (default: every qcow2 disk). */
  disks?: { name: string; checkpoint: 'bitmap' | 'no' }[];
  /** Freeze the guest's file systems through the guest agent while the checkpoint is made. */
  quiesce?: boolean;
}

/** The native calls snapshots and checkpoints share (their own type N for parent and children). */
interface TreeNative<N> {
  getName(): string;
  getXMLDesc(flags?: number): Promise<string>;
  getParent(flags?: number): Promise<N>;
  listAllChildren(flags?: number): Promise<N[]>;
  delete(flags?: number): Promise<void>;
  free(): void;
}

/** What tells the two kinds apart: libvirt's constants, the public class, whether delete is long. */
interface TreeKind<N, S> {
  /** The class name inspect shows. */
  label: string;
  /** The error of a root's parent. */
  noSuch: 'VIR_ERR_NO_DOMAIN_SNAPSHOT' | 'VIR_ERR_NO_DOMAIN_CHECKPOINT';
  descendants: number;
  deleteFlags: { children: number; childrenOnly: number; metadataOnly: number };
  longDelete: boolean;
  wrap(core: Core, n: N): S;
}

/**
 * @internal The body DomainSnapshot and DomainCheckpoint share: a node of a domain's tree
 * (name, XML, parent, children, delete, free), told apart by its {@link TreeKind}.
 */
export abstract class DomainTreeNode<N extends TreeNative<N>, S> {
  readonly #core: Core;
  readonly #n: N;
  readonly #kind: TreeKind<N, S>;
  /** @internal */
  protected constructor(core: Core, n: N, kind: TreeKind<N, S>) {
    this.#core = core;
    this.#n = n;
    this.#kind = kind;
  }
  /** The object's name. */
  get name(): string {
    return this.#n.getName();
  }
  /** @internal The XML with libvirt's flags (each kind checks its own options). */
  protected xmlDesc(flags: number): Promise<string> {
    return this.#core.call(() => this.#n.getXMLDesc(flags));
  }
  /** The parent, or undefined for a root. */
  async parent(): Promise<S | undefined> {
    try {
      return this.#kind.wrap(this.#core, await this.#core.call(() => this.#n.getParent(0)));
    } catch (e) {
      if (isVirtError(e, this.#kind.noSuch)) return undefined;
      throw e;
    }
  }
  /** The direct children (every descendant with `descendants: true`). */
  async children(opts: { descendants?: boolean } = {}): Promise<S[]> {
    const all = argOptBool('opts.descendants', argOptions('opts', opts).descendants);
    const list = await this.#core.call(() => this.#n.listAllChildren(all ? this.#kind.descendants : 0));
    return list.map((c) => this.#kind.wrap(this.#core, c));
  }
  /**
   * Deletes the object; `children`: with its descendants, `childrenOnly`: only them,
   * `metadataOnly`: forget it in libvirt and leave the images.
   */
  async delete(opts: { children?: boolean; childrenOnly?: boolean; metadataOnly?: boolean } = {}): Promise<void> {
    const o = argOptions('opts', opts);
    const children = argOptBool('opts.children', o.children);
    const only = argOptBool('opts.childrenOnly', o.childrenOnly);
    if (children && only) throw invalid('opts.children and opts.childrenOnly are exclusive', { argument: 'opts.children' });
    const f = this.#kind.deleteFlags;
    const flags = (children ? f.children : 0) | (only ? f.childrenOnly : 0) | (argOptBool('opts.metadataOnly', o.metadataOnly) ? f.metadataOnly : 0);
    await this.#core.call(() => this.#n.delete(flags), this.#kind.longDelete ? { long: true } : {});
  }
  /** Releases the native handle now instead of at garbage collection. Idempotent. */
  free(): void {
    this.#n.free();
  }
  [inspect.custom](): string {
    return `${this.#kind.label} { name: ${inspect(safeName(this.#n))} }`;
  }
}

const SNAPSHOT: TreeKind<NativeDomainSnapshot, DomainSnapshot> = {
  label: 'DomainSnapshot',
  noSuch: 'VIR_ERR_NO_DOMAIN_SNAPSHOT',
  descendants: SL.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS,
  deleteFlags: {
    children: SD.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN, childrenOnly: SD.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY,
    metadataOnly: SD.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY,
  },
  longDelete: true,
  wrap: (core, n) => new DomainSnapshot(core, n),
};

const CHECKPOINT: TreeKind<NativeDomainCheckpoint, DomainCheckpoint> = {
  label: 'DomainCheckpoint',
  noSuch: 'VIR_ERR_NO_DOMAIN_CHECKPOINT',
  descendants: CL.VIR_DOMAIN_CHECKPOINT_LIST_DESCENDANTS,
  deleteFlags: {
    children: CD.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN, childrenOnly: CD.VIR_DOMAIN_CHECKPOINT_DELETE_CHILDREN_ONLY,
    metadataOnly: CD.VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY,
  },
  longDelete: false,
  wrap: (core, n) => new DomainCheckpoint(core, n),
};

/** A snapshot of a domain. Obtain it from a Domain; never construct it yourself. */
export class DomainSnapshot extends DomainTreeNode<NativeDomainSnapshot, DomainSnapshot> {
  // Its own references for what only snapshots have (revert, isCurrent): the base keeps its fields private.
  readonly #core: Core;
  readonly #n: NativeDomainSnapshot;
  /** @internal */
  constructor(core: Core, n: NativeDomainSnapshot) {
    super(core, n, SNAPSHOT);
    this.#core = core;
    this.#n = n;
  }
  /** The snapshot's XML (`secure`: with secrets). */
  async xml(opts: { secure?: boolean } = {}): Promise<string> {
    const secure = argOptBool('opts.secure', argOptions('opts', opts).secure);
    return this.xmlDesc(secure ? 1 : 0);
  }
  /** Whether this is the domain's current snapshot. */
  isCurrent(): Promise<boolean> {
    return this.#core.call(() => this.#n.isCurrent(0));
  }
  /**
   * Reverts the domain to this snapshot. `running` / `paused`: the state to end in, whatever the
   * snapshot's; `force`: also where libvirt calls it risky (e.g. a running domain to another ABI).
   */
  async revert(opts: { running?: boolean; paused?: boolean; force?: boolean } = {}): Promise<void> {
    const o = argOptions('opts', opts);
    const running = argOptBool('opts.running', o.running);
    const paused = argOptBool('opts.paused', o.paused);
    if (running && paused) throw invalid('opts.running and opts.paused are exclusive', { argument: 'opts.running' });
    const flags =
      (running ? SRV.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING : 0) | (paused ? SRV.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED : 0) |
      (argOptBool('opts.force', o.force) ? SRV.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE : 0);
    await this.#core.call(() => this.#n.revertToSnapshot(flags), { long: true });
  }
}

/** A checkpoint of a domain (dirty bitmaps for incremental backup). Obtain it from a Domain. */
export class DomainCheckpoint extends DomainTreeNode<NativeDomainCheckpoint, DomainCheckpoint> {
  /** @internal */
  constructor(core: Core, n: NativeDomainCheckpoint) {
    super(core, n, CHECKPOINT);
  }
  /** The checkpoint's XML. */
  xml(): Promise<string> {
    return this.xmlDesc(0);
  }
}

function safeName(n: { getName(): string }): string {
  try {
    return n.getName();
  } catch {
    return '?';
  }
}

// ---- the Domain side (internal; Domain delegates here) ----

/** @internal */
export async function listSnapshots(core: Core, n: NativeDomain, opts: { roots?: boolean; leaves?: boolean; current?: boolean } = {}): Promise<DomainSnapshot[]> {
  const o = argOptions('opts', opts);
  const flags = (argOptBool('opts.roots', o.roots) ? SL.VIR_DOMAIN_SNAPSHOT_LIST_ROOTS : 0) | (argOptBool('opts.leaves', o.leaves) ? SL.VIR_DOMAIN_SNAPSHOT_LIST_LEAVES : 0);
  const list = await core.call(() => n.listAllSnapshotObjects(flags));
  return list.map((s) => new DomainSnapshot(core, s));
}

/** @internal @throws VirtError VIR_ERR_NO_DOMAIN_SNAPSHOT */
export async function lookupSnapshot(core: Core, n: NativeDomain, name: string): Promise<DomainSnapshot> {
  argString('name', name, { nonEmpty: true });
  return new DomainSnapshot(core, await core.call(() => n.snapshotLookupByName(name, 0)));
}

/** @internal The current snapshot, or undefined. */
export async function currentSnapshot(core: Core, n: NativeDomain): Promise<DomainSnapshot | undefined> {
  try {
    return new DomainSnapshot(core, await core.call(() => n.currentSnapshot(0)));
  } catch (e) {
    if (isVirtError(e, 'VIR_ERR_NO_DOMAIN_SNAPSHOT')) return undefined;
    throw e;
  }
}

/** @internal */
export async function createSnapshot(core: Core, n: NativeDomain, spec: string | SnapshotSpec): Promise<DomainSnapshot> {
  let xml: string;
  let flags = 0;
  if (typeof spec === 'string') {
    xml = argString('spec', spec, { nonBlank: true });
    parseRoot(xml, 'domainsnapshot', 'spec');
  } else {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
      throw invalid(`spec must be snapshot XML or an options object (got ${spec === null ? 'null' : Array.isArray(spec) ? 'an array' : typeof spec})`, { argument: 'spec' });
    argOptString('spec.description', spec.description);
    if (spec.name !== undefined) checkName('snapshot', spec.name, 'spec.name');
    const bits: [keyof SnapshotSpec, number][] = [
      ['diskOnly', SC.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY], ['atomic', SC.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC],
      ['quiesce', SC.VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE], ['live', SC.VIR_DOMAIN_SNAPSHOT_CREATE_LIVE],
      ['halt', SC.VIR_DOMAIN_SNAPSHOT_CREATE_HALT], ['noMetadata', SC.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA],
    ];
    for (const [k, bit] of bits) if (argOptBool(`spec.${k}`, spec[k])) flags |= bit;
    xml = snapshotXml({
      ...(spec.name !== undefined ? { name: spec.name } : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.memory !== undefined ? { memory: spec.memory } : {}),
      ...(spec.disks !== undefined ? { disks: spec.disks } : {}),
    });
  }
  return new DomainSnapshot(core, await core.call(() => n.snapshotCreate(xml, flags), { long: true }));
}

/** @internal */
export async function listCheckpoints(core: Core, n: NativeDomain, opts: { roots?: boolean; leaves?: boolean } = {}): Promise<DomainCheckpoint[]> {
  const o = argOptions('opts', opts);
  const flags = (argOptBool('opts.roots', o.roots) ? CL.VIR_DOMAIN_CHECKPOINT_LIST_ROOTS : 0) | (argOptBool('opts.leaves', o.leaves) ? CL.VIR_DOMAIN_CHECKPOINT_LIST_LEAVES : 0);
  const list = await core.call(() => n.listAllCheckpoints(flags));
  return list.map((c) => new DomainCheckpoint(core, c));
}

/** @internal @throws VirtError VIR_ERR_NO_DOMAIN_CHECKPOINT */
export async function lookupCheckpoint(core: Core, n: NativeDomain, name: string): Promise<DomainCheckpoint> {
  argString('name', name, { nonEmpty: true });
  return new DomainCheckpoint(core, await core.call(() => n.checkpointLookupByName(name, 0)));
}

/** @internal */
export async function createCheckpoint(core: Core, n: NativeDomain, spec: string | CheckpointSpec = {}): Promise<DomainCheckpoint> {
  let xml: string;
  let flags = 0;
  if (typeof spec === 'string') {
    xml = argString('spec', spec, { nonBlank: true });
    parseRoot(xml, 'domaincheckpoint', 'spec');
  } else {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalid('spec must be checkpoint XML or an options object', { argument: 'spec' });
    argOptString('spec.description', spec.description);
    if (spec.name !== undefined) checkName('checkpoint', spec.name, 'spec.name');
    if (argOptBool('spec.quiesce', spec.quiesce)) flags |= CC.VIR_DOMAIN_CHECKPOINT_CREATE_QUIESCE;
    xml = checkpointXml({
      ...(spec.name !== undefined ? { name: spec.name } : {}),
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.disks !== undefined ? { disks: spec.disks } : {}),
    });
  }
  return new DomainCheckpoint(core, await core.call(() => n.checkpointCreateXML(xml, flags), { long: true }));
}
