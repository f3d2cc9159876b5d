// Options and progress of template operations.
import type { Domain } from '../domain.js';
import type { StoragePool } from '../storage.js';
import type { SealOptions } from '../seal/index.js';
import type { CloneIdentity } from '../xml/identity.js';

/** Progress of a long template operation. */
export interface TemplateProgress {
  step: 'check' | 'copy' | 'define' | 'seal' | 'overlay' | 'personalize' | 'start' | 'done';
  /** The domain being worked on (a template or a clone). */
  name: string;
  disk?: string;
  bytes?: number;
  total?: number;
  /** Sealing's own progress, when step is 'seal'. */
  operation?: string;
}

/** What sealing does while a template is made (the options of seal(), minus the disks). */
export type TemplateSealOptions = Omit<SealOptions, 'disks' | 'domain' | 'guest' | 'dryRun' | 'onProgress' | 'signal'>;

export interface CreateTemplateOptions {
  /** The source VM; it must be shut off and is never modified. */
  from: Domain;
  /** The template's domain name. */
  name: string;
  /** Pool the template disks are copied into. */
  pool: StoragePool | string;
  /** Sealing options, or false to skip sealing (not recommended: clones would share identity). */
  seal?: TemplateSealOptions | false;
  onProgress?: (p: TemplateProgress) => void;
  signal?: AbortSignal;
}

export interface ConvertOptions {
  seal?: TemplateSealOptions | false;
  onProgress?: (p: TemplateProgress) => void;
  signal?: AbortSignal;
}

/** A clone's identity, applied at its first boot (or offline). */
export interface Identity extends CloneIdentity {
  /** A clear-text root password, hashed on the host (SHA-512 crypt); never stored or logged. */
  rootPassword?: string;
}

export interface DeployOptions {
  name: string;
  /** 'linked': qcow2 overlays on the template disks; 'full': independent copies. Default 'linked'. */
  mode?: 'linked' | 'full';
  /** Per-disk choice by target (e.g. { vdb: 'full' }), overriding `mode`. */
  diskModes?: Record<string, 'linked' | 'full'>;
  /** Pool for the clone's disks. Default: the template's pool. */
  pool?: StoragePool | string;
  identity?: Identity;
  /**
   * 'firstboot' (default): the identity travels in the domain definition (SMBIOS OEM strings)
   * and the unit sealing installed applies it at first boot, no appliance launch.
   * 'offline': also written into the clone's disk now through libguestfs.
   */
  personalize?: 'firstboot' | 'offline';
  /** Start the clone once defined. */
  start?: boolean;
  onProgress?: (p: TemplateProgress) => void;
  signal?: AbortSignal;
}

export interface DeployManyOptions {
  /** Clones deployed at once (default 4). */
  concurrency?: number;
  onProgress?: (p: TemplateProgress & { index: number; completed: number; count: number }) => void;
  signal?: AbortSignal;
}
