// The libguestfs addon (guestfs-addon/, a binary of its own), loaded on first use: libvirt work
// never needs libguestfs installed. Users never see these types.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { VirtkitError } from '../errors.js';
import { packageRoot } from '../native.js';

/** GUESTFS_EVENT_* bits (guestfs.h). */
export const GfsEvent = {
  CLOSE: 0x0001,
  SUBPROCESS_QUIT: 0x0002,
  LAUNCH_DONE: 0x0004,
  PROGRESS: 0x0008,
  APPLIANCE: 0x0010,
  LIBRARY: 0x0020,
  TRACE: 0x0040,
  ENTER: 0x0080,
  LIBVIRT_AUTH: 0x0100,
  WARNING: 0x0200,
} as const;

export interface NativeGuestfsEvent {
  event: number;
  /** Log text (every event but PROGRESS). */
  buf?: string;
  /** PROGRESS only. */
  procNr?: number;
  serial?: number;
  position?: number;
  total?: number;
}

export interface NativeGuestfs {
  /** One entry of the native call table, e.g. call('mkdir_p', ['/a/b']). libguestfs argument order. */
  call(name: string, args?: unknown[]): Promise<unknown>;
  has(name: string): boolean;
  /** Idempotent; waits for qemu to exit. */
  close(): Promise<void>;
  isClosed(): boolean;
  /** Once per handle; events then flow per setEvents' mask. */
  setEventHandler(fn: (ev: NativeGuestfsEvent) => void): void;
  setEvents(mask: number): Promise<void>;
  /** SIGKILLs this handle's qemu without taking the handle lock; returns how many died. */
  killAppliance(): number;
  /** The kernel argument that identifies this handle's appliance in /proc. */
  marker(): string;
  /** The appliance's qemu starts this many steps nicer (0-19) than the process. */
  setLaunchNice(n: number): void;
}

interface GuestfsAddonPart {
  Guestfs: new () => NativeGuestfs;
  guestfsCalls: string[];
}

/** Debian packages: what the appliance needs at run time, and what building the addon needs. */
export const GUESTFS_RUNTIME_PACKAGES = 'libguestfs0 linux-image-amd64';
export const GUESTFS_BUILD_PACKAGES = 'libguestfs-dev';

let part: GuestfsAddonPart | undefined;

/**
 * The libguestfs addon, loaded once. Throws VirtkitError `GUESTFS_UNAVAILABLE` when it is not
 * built or libguestfs cannot be loaded; a failed load is not remembered, so installing
 * libguestfs (and `npm rebuild virtkit`) fixes a long-running process on its next try.
 */
export function nativeGuestfs(): GuestfsAddonPart {
  if (part) return part;
  const dir = join(packageRoot(), 'guestfs-addon');
  try {
    part = createRequire(import.meta.url)('node-gyp-build')(dir) as GuestfsAddonPart;
  } catch (e) {
    const msg = (e as Error).message;
    const notBuilt = /No native build was found/.test(msg);
    throw new VirtkitError(
      'GUESTFS_UNAVAILABLE',
      `libguestfs is not available, so Guest, seal and template sealing cannot run (${notBuilt ? 'the libguestfs addon was not built' : msg.split('\n')[0]}). ` +
        `Everything that needs only libvirt works. On Debian: apt-get install ${GUESTFS_RUNTIME_PACKAGES}` +
        `${notBuilt ? ` ${GUESTFS_BUILD_PACKAGES}, then npm rebuild virtkit` : ''}.`,
      { cause: e, details: { addon: dir, packages: notBuilt ? `${GUESTFS_RUNTIME_PACKAGES} ${GUESTFS_BUILD_PACKAGES}` : GUESTFS_RUNTIME_PACKAGES } },
    );
  }
  return part;
}

/** Resolves when libguestfs can be used; rejects with `GUESTFS_UNAVAILABLE` otherwise. */
export async function requireGuestfs(): Promise<void> {
  nativeGuestfs();
}

/** True when the libguestfs addon loads (Guest, seal and sealed templates work). */
export function guestfsAvailable(): boolean {
  try {
    nativeGuestfs();
    return true;
  } catch {
    return false;
  }
}

let callNames: ReadonlySet<string> | undefined;
/** The names `Guest.call` accepts (the native table). */
export function guestfsCallNames(): ReadonlySet<string> {
  callNames ??= new Set(nativeGuestfs().guestfsCalls);
  return callNames;
}
