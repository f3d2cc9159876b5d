// The part of a libguestfs session that sealing uses, as a structural type. The real `Guest`
// (src/guest/) satisfies it; tests can pass an in-memory double, so the operations are testable
// without an appliance launch (10-25 s each here).

import type { OsRoot } from '../guest/inspect.js';

/** A value or a promise of it: the seal engine awaits every call, sync or async. */
export type Awaitable<T> = T | Promise<T>;

/** One operating system found by inspection: the Guest binding's own type (type-only import,
 * so sealing stays testable with an in-memory double). */
export type InspectedRoot = OsRoot;

/** Result of lstat, as far as sealing needs it. */
export interface GuestStat {
  mode: number;
  size: number;
  uid: number;
  gid: number;
}

/** The libguestfs calls the seal engine makes. */
export interface SealGuest {
  inspect(): Awaitable<InspectedRoot[]>;
  /** Mounts the root's mountpoints (given as an object, its `mountpoints` are used as they are). */
  mountRoot(root: InspectedRoot, opts?: { readonly?: boolean }): Awaitable<unknown>;
  umountAll(): Awaitable<unknown>;
  globExpand(pattern: string): Awaitable<string[]>;
  ls(dir: string): Awaitable<string[]>;
  exists(path: string): Awaitable<boolean>;
  isFile(path: string): Awaitable<boolean>;
  isDir(path: string): Awaitable<boolean>;
  isSymlink(path: string): Awaitable<boolean>;
  lstat(path: string): Awaitable<GuestStat>;
  readFile(path: string): Awaitable<Buffer>;
  write(path: string, data: string | Buffer): Awaitable<unknown>;
  rm(path: string): Awaitable<unknown>;
  rmF(path: string): Awaitable<unknown>;
  rmRf(path: string): Awaitable<unknown>;
  mkdir(path: string): Awaitable<unknown>;
  mkdirP(path: string): Awaitable<unknown>;
  chmod(path: string, mode: number): Awaitable<unknown>;
  chown(path: string, uid: number, gid: number): Awaitable<unknown>;
  lnSf(target: string, link: string): Awaitable<unknown>;
  readlink(path: string): Awaitable<string>;
  touch(path: string): Awaitable<unknown>;
  truncate(path: string): Awaitable<unknown>;
  upload(local: string, remote: string): Awaitable<unknown>;
  listFilesystems(): Awaitable<Record<string, string>>;
  setUuid(device: string, uuid: string): Awaitable<unknown>;
  pvs(): Awaitable<string[]>;
  vgs(): Awaitable<string[]>;
  lvs(): Awaitable<string[]>;
  listDevices(): Awaitable<string[]>;
  listPartitions(): Awaitable<string[]>;
  vfsType(device: string): Awaitable<string>;
  find(dir: string): Awaitable<string[]>;
  /** Any other libguestfs call by its C name without the prefix, e.g. call('find', '/'). */
  call(name: string, ...args: unknown[]): Awaitable<unknown>;
  /** Syncs and stops the appliance (reports write errors close() alone could hide). */
  shutdown(): Awaitable<unknown>;
  close(): Awaitable<unknown>;
}
