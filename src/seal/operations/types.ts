// The shape of one seal operation: metadata plus a declarative effect, with an escape hatch
// (`run`) for what cannot be said declaratively.
import type { Effects } from '../effects.js';
import type { InspectedRoot, SealGuest } from '../guest-api.js';
import type { CustomizeOptions } from '../customize-options.js';
import type { FirstbootHook } from '../../firstboot/install.js';

/** Which guests an operation touches. Absent fields match everything. */
export interface AppliesTo {
  /** Inspection types, e.g. ['linux']. */
  types?: readonly string[];
  /** Inspection distros, e.g. the Red Hat family. */
  distros?: readonly string[];
  packageManagement?: readonly string[];
  packageFormat?: readonly string[];
}

/** What an operation's code can see and do. All mutations go through `fx`. */
export interface OperationContext {
  /** Read-only queries (glob, isFile, readFile, …). Never mutate through it: use `fx`. */
  g: SealGuest;
  fx: Effects;
  root: InspectedRoot;
  /** Devices (whole disks, partitions, LVs) that belong to this guest: device ops stay inside them. */
  devices: readonly string[];
  /** False when the appliance has no LVM at all (saves the slow pvs/vgs calls). */
  hasLvm: boolean;
  customize: CustomizeOptions;
  dryRun: boolean;
  /** Work left for the guest itself at first boot (e.g. rebuilding the CA store). */
  sideEffects: SideEffects;
  /** The guest's opened LUKS volumes, when `keys` opened some. */
  luks?: LuksMappings;
}

/** What operations may ask of the opened LUKS volumes (seal/luks.ts's session). */
export interface LuksMappings {
  /** Runs `fn` with the mappings on LVs of `vgs` closed (LVM cannot deactivate them otherwise), reopened after. */
  releasing<T>(vgs: readonly string[], fn: () => Promise<T>): Promise<T>;
}

/** What operations ask of later steps. */
export interface SideEffects {
  /** The system CA store must be rebuilt (certificates were removed). */
  updateCaStore: boolean;
  /** The first-boot hook customize installed (or would install, in a dry run). */
  firstboot?: FirstbootHook;
  /** customize found cloud-init in the guest (and reset its instance state). */
  cloudInit?: boolean;
}

/** A line filter applied to every file matching `glob`. */
export interface LineEdit {
  glob: string;
  /** Lines starting with any of these prefixes are dropped. */
  dropPrefixes: readonly string[];
}

/** One sealing operation, named and defaulted as in virt-sysprep. */
export interface Operation {
  name: string;
  description: string;
  enabledByDefault: boolean;
  appliesTo: AppliesTo;
  /**
   * 'filesystem' runs with the guest's filesystems mounted; 'device' after they are unmounted
   * (changing UUIDs). Default 'filesystem'.
   */
  phase?: 'filesystem' | 'device';
  /** Lower runs first; virt-sysprep runs customize (99) and lvm-uuids (99) last. Default 0. */
  order?: number;
  /** Globs whose matches are removed recursively (rm -rf). */
  removeTrees?: readonly string[];
  /** Globs whose matches are removed when they are not directories (rm; a directory is left). */
  removeFiles?: readonly string[];
  /** Paths never removed, even when a glob matches them. */
  keep?: readonly string[];
  /** Regular files emptied in place (not deleted: the emptiness means "regenerate me"). */
  truncate?: readonly string[];
  lineEdits?: readonly LineEdit[];
  /** Everything not expressible above. Runs after the declarative effects. */
  run?: (ctx: OperationContext) => Promise<void>;
  /** Extra note for listOperations(), e.g. how virtkit differs from virt-sysprep. */
  notes?: string;
}
