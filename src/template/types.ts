// Options and progress of template operations.
import type { Domain } from '../domain.js';
import type { StoragePool } from '../storage.js';
import type { SealOptions } from '../seal/index.js';
import type { CloneIdentity } from '../xml/identity.js';

/** Progress of a long template operation. */
export interface TemplateProgress {
  /** The phase under way. */
  step: 'check' | 'copy' | 'reserve' | 'define' | 'seal' | 'overlay' | 'personalize' | 'start' | 'done';
  /** The domain being worked on (a template or a clone). */
  name: string;
  /** The disk being copied, by target name (e.g. 'vda'), during 'copy'. */
  disk?: string;
  /** Bytes copied so far, during 'copy'. */
  bytes?: number;
  /** Bytes to copy in all for this disk, during 'copy'. */
  total?: number;
  /** The seal operation under way, during 'seal'. */
  operation?: string;
  /** Sealing's steps, during 'seal': `done` of `total` (launch, inspect, one per operation per root). */
  steps?: { done: number; total: number };
}

/** What sealing does while a template is made (the options of seal(), minus the disks). */
export type TemplateSealOptions = Omit<SealOptions, 'disks' | 'domain' | 'guest' | 'dryRun' | 'onProgress' | 'signal'>;

/** Options of {@link Template.create}. */
export interface CreateTemplateOptions {
  /** The source VM; it must be shut off and is never modified. */
  from: Domain;
  /** The template's domain name. */
  name: string;
  /** Pool the template disks are copied into. */
  pool: StoragePool | string;
  /** Sealing options, or false to skip sealing (not recommended: clones would share identity). */
  seal?: TemplateSealOptions | false;
  /** Called as the operation moves through its steps, and with copy progress in bytes. */
  onProgress?: (p: TemplateProgress) => void;
  /** Aborts the operation: it rejects with VirtkitError `ABORTED` and what it created is removed. */
  signal?: AbortSignal;
}

/** Options of {@link Template.convert}. */
export interface ConvertOptions {
  /** Sealing options, or false to skip sealing (not recommended: clones would share identity). */
  seal?: TemplateSealOptions | false;
  /** Called as the conversion moves through its steps. */
  onProgress?: (p: TemplateProgress) => void;
  /** Aborts the conversion: it rejects with VirtkitError `ABORTED`. */
  signal?: AbortSignal;
}

/** A clone's identity, applied at its first boot (or offline). */
export interface Identity extends CloneIdentity {
  /** A clear-text root password, hashed on the host (SHA-512 crypt); never stored or logged. */
  rootPassword?: string;
  /**
   * cloud-init templates only (the seal found cloud-init): extra top-level #cloud-config keys for
   * the clone's NoCloud user-data (e.g. { packages: ['nginx'] }). Refused on other templates.
   */
  userData?: Record<string, unknown>;
  /** cloud-init templates only: the NoCloud network-config (network config version 1 or 2). Refused on other templates. */
  networkConfig?: Record<string, unknown>;
}

/** A clone NIC's network at deploy ({@link DeployOptions.network}). */
export interface DeployNetwork {
  /** The libvirt network, by name or UUID. */
  name: string;
  /**
   * 'auto' (default): the lowest free address of the network's IPv4 DHCP ranges (deployMany: in
   * spec order, so a batch gets distinct addresses); an IPv4 address inside a DHCP range: that
   * one, or `ADDRESS_IN_USE`; 'none': connect the NIC and reserve nothing (e.g. a network
   * without DHCP).
   */
  ip?: 'auto' | 'none' | (string & {});
  /**
   * The NIC's IPv6 reservation, in the network's IPv6 DHCP range: 'none' (default: keeps deploys
   * on dual-stack networks as they were), 'auto' (the lowest free address, as `ip`) or an IPv6
   * address. The host entry names the clone MAC's DUID-LL (`00:03:00:01:<mac>`): the guest's
   * DHCPv6 client must identify by its MAC (docs/NETWORK.md). With `ip: 'none'` an IPv6-only network.
   */
  ip6?: 'auto' | 'none' | (string & {});
}

/** Options of {@link Template.deploy}. */
export interface DeployOptions {
  /**
   * The clone's domain name. Rejected with VirtkitError `ALREADY_EXISTS` when a domain has it,
   * also when another deploy takes it at the same time (exactly one of them wins; the others make
   * nothing).
   */
  name: string;
  /** 'linked': qcow2 overlays on the template disks; 'full': independent copies. Default 'linked'. */
  mode?: 'linked' | 'full';
  /** Per-disk choice by target (e.g. { vdb: 'full' }), overriding `mode`. */
  diskModes?: Record<string, 'linked' | 'full'>;
  /** Pool for the clone's disks. Default: the template's pool. */
  pool?: StoragePool | string;
  /** The clone's `<title>` (one line). Default: none (the template's title is not copied). */
  title?: string;
  /** The clone's identity (hostname, root password, SSH keys, ...), applied as `personalize` says. Default: none. */
  identity?: Identity;
  /**
   * 'firstboot' (default): the public identity (hostname, SSH public keys, `data`) travels in
   * the domain definition (SMBIOS OEM strings), the secrets (root password hash, `secretData`)
   * on a seed volume of the clone's own (`<clone>-seed.iso`, mode 0600, a read-only CD-ROM;
   * see consumeSeed), and the unit sealing installed applies both at first boot, no appliance
   * launch. A template whose guest has cloud-init gets everything through a NoCloud seed instead.
   * 'offline': also written into the clone's disk now through libguestfs.
   */
  personalize?: 'firstboot' | 'offline';
  /**
   * Puts the template's first NIC (document order) on a libvirt network and reserves an address
   * for the clone's new MAC there before the clone is defined (a static DHCP host entry named
   * after the clone when its name is a host name label). The reservation is in the clone's
   * record (`addresses({ source: 'reservation' })` gives it at once); removeClone, a failed or
   * aborted deploy and Template.recover release it. Checked before anything is made:
   * VirtkitError `NOT_FOUND` (no such network), `INVALID_ARGUMENT` (the template has no NIC, the
   * network has no IPv4 DHCP range), `ADDRESS_RANGE_FULL`, `ADDRESS_IN_USE`.
   */
  network?: DeployNetwork;
  /**
   * Like `network`, per NIC of a template with several: keyed by the NIC's index in document
   * order (from 0) or by the template NIC's MAC. NICs not named keep their template source and get
   * no reservation. Give `network` or `networks`, not both.
   */
  networks?: Record<string | number, DeployNetwork>;
  /** Start the clone once defined. */
  start?: boolean;
  /** Called as the deployment moves through its steps, and with copy progress in bytes for full clones. */
  onProgress?: (p: TemplateProgress) => void;
  /** Aborts the deployment: it rejects with VirtkitError `ABORTED` and the half-made clone is removed. */
  signal?: AbortSignal;
}

/** Options of {@link Template.deployMany}. */
export interface DeployManyOptions {
  /** Clones deployed at once (default 4). */
  concurrency?: number;
  /** Progress of every clone, with its `index` in the spec list, and how many of `count` have `completed`. */
  onProgress?: (p: TemplateProgress & { index: number; completed: number; count: number }) => void;
  /** Aborts the whole batch: it rejects with VirtkitError `ABORTED` and every clone this call made is removed. */
  signal?: AbortSignal;
}
