// The libguestfs part of the addon, as src/guest sees it. Users never see these types.
import { native } from '../native.js';

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

export function nativeGuestfs(): GuestfsAddonPart {
  return native() as unknown as GuestfsAddonPart;
}

let callNames: ReadonlySet<string> | undefined;
/** The names `Guest.call` accepts (the native table). */
export function guestfsCallNames(): ReadonlySet<string> {
  callNames ??= new Set(nativeGuestfs().guestfsCalls);
  return callNames;
}
