// seal()'s options and every check that needs no disk: the option schema (SealOptions, with the
// customize options of customize-options.ts), the selection of operations, and their consistency.
import { invalid } from '../errors.js';
import { argOptBool, argOptEnum, argOptFunction, argOptSignal, argOptString, argStrings } from '../args.js';
import { hasCustomizations, validateCustomize, type CustomizeOptions } from './customize-options.js';
import type { DiskSpec, DomainLike } from './disks.js';
import type { SealGuest } from './guest-api.js';
import { selectOperations } from './select.js';
import { validateKeys, type LuksKey } from './luks-keys.js';
import type { SealProgress } from './types.js';

/** Options of seal(): what to seal, which operations, and the customize options. */
export interface SealOptions extends CustomizeOptions {
  /** Disk images of one guest (paths, format probed; or { path, format }). */
  disks?: ReadonlyArray<string | DiskSpec>;
  /** A shut-off libvirt domain: all its writable disks, in one appliance. */
  domain?: DomainLike;
  /** An open Guest to reuse (its drives are the guest to seal; it is not closed). */
  guest?: SealGuest;
  /** virt-sysprep's --operations syntax, e.g. "defaults,-ssh-userdir". Default "defaults". */
  operations?: string;
  /** Operations added after `operations` is applied. */
  enable?: readonly string[];
  /** Open the drives read-only and report what would be removed/changed. */
  dryRun?: boolean;
  /** Appliance acceleration. Default 'auto' (KVM, falling back to TCG). */
  accel?: 'auto' | 'kvm' | 'tcg';
  /**
   * A disk with several operating systems: 'each' seals every Linux root (virt-sysprep's
   * behaviour), 'refuse' rejects it with UNSUPPORTED_GUEST. Default 'each'.
   */
  multiboot?: 'each' | 'refuse';
  /**
   * 'auto' (default): read the guest's release files, hostname and fstab directly, as libguestfs
   * would, falling back to its inspect_os for anything unusual; 'full': always inspect_os.
   */
  inspection?: 'auto' | 'full';
  /** Called at each step: launch, inspect, every operation on every root, done. */
  onProgress?: (p: SealProgress) => void;
  /** Checked before the launch and between operations; an abort mid-way leaves a partial seal. */
  signal?: AbortSignal;
  /**
   * A filesystem in the guest's fstab that does not mount (or is not on the disks) is reported in
   * `mountFailures` and as a 'warning' progress event; when an enabled operation works below it
   * (/var, /home, /etc, …) the seal is refused with MOUNT_FAILED before anything is written,
   * unless this is true. Default false.
   */
  allowMountFailures?: boolean;
  /**
   * Passphrases for the guest's LUKS volumes, as virt-sysprep's `--key`: `{ device?, key }` or
   * `{ device?, file }` (the file's first line). `device` is the encrypted device as the guest's
   * own disks name it (`/dev/sda2`, `/dev/vg/lv`) or its LUKS UUID; without it the key is tried on
   * every encrypted device. Keys are tried in the order given. Every crypto_LUKS device with a key
   * is opened as /dev/mapper/luks-<uuid> before inspection, LVM inside it is activated (LVM-on-LUKS),
   * LVs that are LUKS are opened too (LUKS-on-LVM), and the mappings are closed before shutdown.
   * A device whose keys all fail: DECRYPT_FAILED (naming the device, never a key), before anything
   * is written; an encrypted root without a key: NO_OS_FOUND saying to pass `keys`.
   */
  keys?: readonly LuksKey[];
}

function customizeOf(o: SealOptions): CustomizeOptions {
  const { disks: _d, domain: _dm, guest: _g, operations: _o, enable: _e, dryRun: _dr, accel: _a, multiboot: _m, onProgress: _p, signal: _s, inspection: _i, allowMountFailures: _amf, keys: _k, ...c } = o;
  return c;
}

/** Everything that can be checked without touching a disk. */
export function validateSealOptions(o: SealOptions): { selected: Set<string>; customize: CustomizeOptions } {
  if (o === null || typeof o !== 'object') throw invalid('seal: options object required', { argument: 'opts' });
  const sources = [o.disks !== undefined, o.domain !== undefined, o.guest !== undefined].filter(Boolean).length;
  if (sources !== 1) throw invalid('seal: give exactly one of disks, domain, guest');
  if (o.disks !== undefined && !Array.isArray(o.disks)) throw invalid('seal: disks must be an array of paths or { path, format }', { argument: 'disks' });
  if (o.multiboot !== undefined && o.multiboot !== 'each' && o.multiboot !== 'refuse') throw invalid('seal: multiboot must be "each" or "refuse"', { argument: 'multiboot' });
  if (o.inspection !== undefined && o.inspection !== 'auto' && o.inspection !== 'full') throw invalid('seal: inspection must be "auto" or "full"', { argument: 'inspection' });
  argOptString('operations', o.operations);
  if (o.enable !== undefined) argStrings('enable', o.enable);
  argOptBool('dryRun', o.dryRun);
  argOptBool('allowMountFailures', o.allowMountFailures);
  argOptEnum('accel', o.accel, ['auto', 'kvm', 'tcg'] as const);
  argOptFunction('onProgress', o.onProgress);
  argOptSignal('signal', o.signal);
  validateKeys(o.keys);
  const selected = selectOperations(o.operations, o.enable);
  const customize = customizeOf(o);
  validateCustomize(customize);
  if (hasCustomizations(customize) && !selected.has('customize')) {
    throw invalid('seal: customize options were given but the customize operation is not selected');
  }
  if ((customize.firstbootCommands?.length ?? 0) > 0 && customize.installFirstboot === false) {
    throw invalid('seal: firstbootCommands need installFirstboot (the first-boot unit runs them)');
  }
  return { selected, customize };
}

