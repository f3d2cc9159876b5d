// Loads the libvirt addon (a local build first, then a prebuild) and types its surface.
// Nothing outside src/ sees these types: public classes hold native objects in private fields.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { VirtkitError } from './errors.js';
import type { NativeConnect, NativeDomain, NativeStoragePool, NativeStorageVol } from './generated/libvirt-native.js';

// The native libvirt classes are typed in src/generated/libvirt-native.ts (generated from
// libvirt-api.xml); the hand-written methods of native/connect.cc, domain.cc, storage_pool.cc
// and storage_vol.cc are merged into those interfaces here.
export type * from './generated/libvirt-native.js';
export { LONG_CALLS } from './generated/libvirt-native.js';

declare module './generated/libvirt-native.js' {
  interface NativeConnect {
    /** Resolves with the number of domain event callbacks registered (0: no events from this driver). */
    open(uri: string | null, flags: number, channels: number): Promise<number>;
    /** With an auth handler: each credential request reaches `onauth`, answered by {@link authReply} within `authTimeoutMs` (0: no bound). */
    open(
      uri: string | null,
      flags: number,
      channels: number,
      onauth: (creds: { type: number; prompt: string; challenge?: string; defresult?: string }[], id: number) => void,
      credTypes: number[],
      authTimeoutMs: number,
    ): Promise<number>;
    /** Answers auth request `id` (null: refuse); false when it was no longer waiting. */
    authReply(id: number, answers: string[] | null): boolean;
    close(): Promise<number>;
    /** Shuts the sockets of every channel (no RPC): calls blocked on a hung daemon fail now. */
    abort(): void;
    isOpen(): boolean;
    isAlive(): boolean;
    getURI(): Promise<string>;
    getHostname(): Promise<string>;
    getType(): Promise<string>;
    getVersion(): Promise<number>;
    getLibVersion(): Promise<number>;
    getCapabilities(): Promise<string>;
    getDomainCapabilities(emulator: string | null, arch: string | null, machine: string | null, virtType: string | null, flags: number): Promise<string>;
    nodeGetInfo(): Promise<{ model: string; memoryKiB: number; cpus: number; mhz: number; nodes: number; sockets: number; cores: number; threads: number }>;
    listAllDomains(flags: number): Promise<NativeDomain[]>;
    domainLookupByName(name: string): Promise<NativeDomain>;
    domainLookupByUUIDString(uuid: string): Promise<NativeDomain>;
    domainLookupByID(id: number): Promise<NativeDomain>;
    domainDefineXML(xml: string, flags: number): Promise<NativeDomain>;
    domainCreateXML(xml: string, flags: number): Promise<NativeDomain>;
    listAllStoragePools(flags: number): Promise<NativeStoragePool[]>;
    storagePoolLookupByName(name: string): Promise<NativeStoragePool>;
    storagePoolLookupByUUIDString(uuid: string): Promise<NativeStoragePool>;
    storagePoolDefineXML(xml: string, flags: number): Promise<NativeStoragePool>;
    storagePoolCreateXML(xml: string, flags: number): Promise<NativeStoragePool>;
    storageVolLookupByPath(path: string): Promise<NativeStorageVol>;
    storageVolLookupByKey(key: string): Promise<NativeStorageVol>;
    setEventHandler(fn: (ev: NativeEvent) => void): number;
  }

  interface NativeDomain {
    free(): void;
    /** Another wrapper of the same libvirt object, with its own reference (no RPC). */
    dup(): NativeDomain;
    getName(): string;
    getUUIDString(): string;
    getID(): Promise<number>;
    isActive(): Promise<boolean>;
    isPersistent(): Promise<boolean>;
    hasManagedSaveImage(): Promise<boolean>;
    getInfo(): Promise<{ state: number; maxMemKiB: number; memoryKiB: number; vcpus: number; cpuTimeNs: bigint }>;
    getState(): Promise<{ state: number; reason: number }>;
    getXMLDesc(flags: number): Promise<string>;
    create(flags: number): Promise<void>;
    shutdown(flags: number): Promise<void>;
    reboot(flags: number): Promise<void>;
    destroy(flags: number): Promise<void>;
    suspend(): Promise<void>;
    resume(): Promise<void>;
    undefine(flags: number): Promise<void>;
    rename(name: string, flags: number): Promise<void>;
    getAutostart(): Promise<boolean>;
    setAutostart(on: boolean): Promise<void>;
    getMetadata(type: number, uri: string | null, flags: number): Promise<string>;
    setMetadata(type: number, metadata: string | null, key: string | null, uri: string | null, flags: number): Promise<void>;
    snapshotCreateXML(xml: string, flags: number): Promise<string>;
    listAllSnapshots(flags: number): Promise<string[]>;
    snapshotCurrent(): Promise<string>;
    snapshotGetXMLDesc(name: string, flags: number): Promise<string>;
    revertToSnapshot(name: string, flags: number): Promise<string>;
    snapshotDelete(name: string, flags: number): Promise<string>;
  }

  interface NativeStoragePool {
    free(): void;
    getName(): string;
    getUUIDString(): string;
    isActive(): Promise<boolean>;
    isPersistent(): Promise<boolean>;
    getInfo(): Promise<{ state: number; capacity: number; allocation: number; available: number }>;
    getXMLDesc(flags: number): Promise<string>;
    build(flags: number): Promise<void>;
    create(flags: number): Promise<void>;
    destroy(): Promise<void>;
    undefine(): Promise<void>;
    refresh(flags: number): Promise<void>;
    delete(flags: number): Promise<void>;
    getAutostart(): Promise<boolean>;
    setAutostart(on: boolean): Promise<void>;
    listAllVolumes(flags: number): Promise<NativeStorageVol[]>;
    storageVolLookupByName(name: string): Promise<NativeStorageVol>;
    storageVolCreateXML(xml: string, flags: number): Promise<NativeStorageVol>;
    storageVolCreateXMLFrom(xml: string, source: NativeStorageVol, flags: number): Promise<NativeStorageVol>;
  }

  interface NativeStorageVol {
    free(): void;
    getName(): string;
    getKey(): string;
    getPath(): Promise<string>;
    getInfo(): Promise<{ type: number; capacity: number; allocation: number }>;
    getXMLDesc(flags: number): Promise<string>;
    delete(flags: number): Promise<void>;
    wipe(flags: number): Promise<void>;
    resize(capacity: number, flags: number): Promise<void>;
    lookupPool(): Promise<NativeStoragePool>;
    /** Opens `stream` for virStorageVolUpload / virStorageVolDownload (a VolStream is opened once). */
    upload(stream: NativeVolStream, offset: number, length: number, flags: number): Promise<void>;
    download(stream: NativeVolStream, offset: number, length: number, flags: number): Promise<void>;
  }
}

export interface NativeEvent {
  kind:
    | 'domain-lifecycle' | 'domain-reboot' | 'domain-io-error' | 'domain-block-job' | 'domain-agent-lifecycle' | 'pool-lifecycle' | 'pool-refresh'
    | 'network-lifecycle' | 'node-device-lifecycle' | 'node-device-update' | 'secret-lifecycle' | 'secret-value-changed' | 'close';
  name?: string;
  uuid?: string;
  event: number;
  detail: number;
  /** The kind's own fields (native/connect.cc EventMsg), present when libvirt gave them. */
  path?: string;
  device?: string;
  reason?: string;
  disk?: string;
  usageType?: number;
  usageId?: string;
}

/** A virStreamPtr for one volume transfer (native/stream.h); made by `new addon.VolStream()`. */
export interface NativeVolStream {
  /** Whole transfer from/to a local file, then finish (abort on failure). Rejects with native 'io' or 'cancelled'. */
  sendFile(path: string, sparse: boolean, sha256: boolean, limit?: number, start?: number): Promise<{ bytes: number; position: number; sha256?: string }>;
  recvFile(path: string, sparse: boolean, sha256: boolean, segment?: number): Promise<{ bytes: number; position: number; sha256?: string; segments?: string[] }>;
  send(data: Buffer): Promise<void>;
  sendHole(length: number): Promise<void>;
  /** Data, a hole's length (stopAtHole only), or null at the end. */
  recv(max: number, stopAtHole: boolean): Promise<Buffer | number | null>;
  finish(): Promise<void>;
  /** Idempotent virStreamAbort (on a call thread). */
  abort(): Promise<void>;
  /** No RPC: a sendFile/recvFile in progress stops at its next chunk. */
  cancel(): void;
  /** Called with (bytes, position) during sendFile/recvFile, at most every 100 ms. */
  _onprogress?: (bytes: number, position: number) => void;
}

export interface NativeAddon {
  Connect: new () => NativeConnect;
  VolStream: new () => NativeVolStream;
  libvirtVersion: number;
  /** virGetVersion: the libvirt library loaded at run time (libvirtVersion: the one built against). */
  getVersion(): number | null;
  /** virtkit's own call threads (never libuv's pool). */
  poolStats(): { threads: number; idle: number; queued: number };
}

/** The package root: dist/.. when bundled, src/.. when run from source. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('virtkit: cannot find the package root (binding.gyp)');
}

let addon: NativeAddon | undefined;

/**
 * The libvirt addon, loaded once by node-gyp-build: a local build (build/Release) when there is
 * one, else the prebuilt binary in prebuilds/<platform>-<arch>/. The libguestfs addon is another
 * binary (guestfs-addon/), loaded by src/guest/native.ts on first use of Guest or seal.
 */
export function native(): NativeAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  const root = packageRoot();
  try {
    addon = require('node-gyp-build')(root) as NativeAddon;
  } catch (e) {
    const msg = (e as Error).message;
    throw new VirtkitError(
      'ADDON_NOT_LOADED',
      `the native addon could not be loaded (${msg}).\n` +
        'Build it with `npm rebuild virtkit` (needs: apt-get install libvirt-dev pkg-config g++ make python3; ' +
        'with npm 11, first `npm install-scripts approve virtkit`), or on Debian run `bash node_modules/virtkit/scripts/setup-host.sh`.',
      { cause: e },
    );
  }
  return addon;
}
