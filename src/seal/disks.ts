// Which disks to seal: given paths (format probed on the host), or the writable disks of a
// shut-off libvirt domain. Everything here runs before any appliance starts.
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { DOMParser } from '@xmldom/xmldom';
import { VirtkitError, invalid } from '../errors.js';
import { argString } from '../args.js';

/** A disk image to open. */
export interface DiskSpec {
  /** Host path of the image file. */
  path: string;
  /** 'qcow2', 'raw', … Probed from the file header when absent. */
  format?: string;
}

/** What seal() needs of a libvirt domain (virtkit's Domain fits; any object with these works). */
export interface DomainLike {
  /** The domain XML (its `<disk>` elements say which images to seal). */
  xml(): string | Promise<string>;
  /** True while the domain runs; seal() then refuses with VirtkitError `DOMAIN_RUNNING`. */
  isActive(): boolean | Promise<boolean>;
  /** Used in messages only. */
  name?: string | (() => string);
}

/** A disk resolved for the appliance. */
export interface ResolvedDisk {
  path: string;
  format: string;
}

const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

/** 'qcow2' when the file starts with the qcow2 magic, else 'raw'. Never trusts guest data for more. */
export function probeFormat(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const n = readSync(fd, head, 0, 4, 0);
    return n === 4 && head.equals(QCOW2_MAGIC) ? 'qcow2' : 'raw';
  } finally {
    closeSync(fd);
  }
}

/** Checks that each disk exists and is a file or block device, and fills in its format. */
export function resolveDisks(disks: ReadonlyArray<string | DiskSpec>): ResolvedDisk[] {
  if (disks.length === 0) throw invalid('seal: no disks given');
  return disks.map((d) => {
    const spec = typeof d === 'string' ? { path: d } : d;
    if (spec === null || typeof spec !== 'object') throw invalid('seal: each disk is a path or { path, format }', { argument: 'disks' });
    if (typeof spec.path !== 'string' || spec.path === '') throw invalid('seal: a disk path is empty', { argument: 'disks' });
    argString('disks[].path', spec.path);
    let st;
    try {
      st = statSync(spec.path);
    } catch (e) {
      throw new VirtkitError('NOT_FOUND', `seal: disk ${spec.path} does not exist`, { cause: e, details: { path: spec.path } });
    }
    if (!st.isFile() && !st.isBlockDevice()) throw invalid(`seal: ${spec.path} is not a file or block device`, { path: spec.path });
    if (spec.format !== undefined && !/^[a-z0-9_-]+$/.test(spec.format)) throw invalid(`seal: invalid format ${JSON.stringify(spec.format)}`);
    return { path: spec.path, format: spec.format ?? probeFormat(spec.path) };
  });
}

function domainName(d: DomainLike): string {
  const n = d.name;
  return typeof n === 'function' ? n.call(d) : (n ?? 'domain');
}

/**
 * The disks of a shut-off domain that sealing may write: device='disk', not readonly, not
 * shareable (another VM may use it). CD-ROMs, floppies and LUN passthrough are skipped.
 * @throws VirtkitError('DOMAIN_RUNNING') when the domain is active.
 */
export async function domainDisks(d: DomainLike): Promise<DiskSpec[]> {
  if (await d.isActive()) {
    throw new VirtkitError('DOMAIN_RUNNING', `seal: domain ${domainName(d)} is running; shut it down first (sealing a live disk corrupts it)`);
  }
  const doc = new DOMParser().parseFromString(await d.xml(), 'text/xml');
  const out: DiskSpec[] = [];
  const disks = doc.getElementsByTagName('disk');
  for (let i = 0; i < disks.length; i++) {
    const disk = disks.item(i)!;
    if ((disk.getAttribute('device') ?? 'disk') !== 'disk') continue;
    if (disk.getElementsByTagName('readonly').length > 0 || disk.getElementsByTagName('shareable').length > 0) continue;
    const source = disk.getElementsByTagName('source').item(0);
    const path = source?.getAttribute('file') || source?.getAttribute('dev') || '';
    if (!path) {
      throw invalid(`seal: domain ${domainName(d)} has a ${disk.getAttribute('type') ?? ''} disk without a local path (network/volume disks: pass disks: [...] instead)`);
    }
    const format = disk.getElementsByTagName('driver').item(0)?.getAttribute('type') || undefined;
    out.push(format ? { path, format } : { path });
  }
  if (out.length === 0) throw invalid(`seal: domain ${domainName(d)} has no writable disk`);
  return out;
}
