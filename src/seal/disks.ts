// Which disks to seal: given paths (format probed on the host), or the writable disks of a
// shut-off libvirt domain. Everything here runs before any appliance starts.
import { statSync } from 'node:fs';
import { backingChain, checkQcow2, imageLocked, probeImageFormat } from '../guest/image.js';
import { DomainXml } from '../xml/domain.js';
import { ownDisks } from '../xml/clone.js';
import { VirtkitError, invalid } from '../errors.js';
import { argString } from '../args.js';
import { checkImageFormat } from '../validate.js';

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

/** 'qcow2' when the file starts with the qcow2 magic, else 'raw'. Never trusts guest data for more. */
export function probeFormat(path: string): string {
  return probeImageFormat(path);
}

/**
 * Checks that each disk exists and is a file or block device, fills in its format, and checks
 * what libguestfs would otherwise report only as "appliance failed to start": a declared format
 * the file is not in (FORMAT_MISMATCH), a missing file in the qcow2 backing chain
 * (BACKING_MISSING, naming it), damaged qcow2 metadata (IMAGE_CORRUPT), the same image given
 * twice (INVALID_ARGUMENT). Runs on the host, before any appliance starts; writes nothing.
 */
export function resolveDisks(disks: ReadonlyArray<string | DiskSpec>): ResolvedDisk[] {
  if (disks.length === 0) throw invalid('seal: no disks given');
  const seen = new Map<string, string>();
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
    if (spec.format !== undefined) checkImageFormat(spec.format, 'seal: disks[].format', 'disks[].format');
    // Two drives on one image would be written through two caches: qemu's lock refuses it anyway.
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) throw invalid(`seal: disk ${spec.path} is given twice (also as ${seen.get(id)})`, { argument: 'disks', path: spec.path });
    seen.set(id, spec.path);
    const onDisk = probeImageFormat(spec.path);
    if ((spec.format === 'raw' || spec.format === 'qcow2') && spec.format !== onDisk) {
      throw new VirtkitError('FORMAT_MISMATCH', `seal: disk ${spec.path} is declared ${spec.format} but is ${onDisk}${onDisk === 'qcow2' ? ' (writing to it as raw would destroy its qcow2 metadata)' : ''}`, {
        details: { path: spec.path, declared: spec.format, found: onDisk },
      });
    }
    if (st.isFile() && imageLocked(spec.path)) {
      throw new VirtkitError('IMAGE_IN_USE', `seal: disk ${spec.path} is open in another process (a running qemu or qemu-nbd holds its lock); stop it first`, { details: { path: spec.path } });
    }
    const format = spec.format ?? onDisk;
    const chain = backingChain(spec.path, format);
    for (const link of chain) if (link.format === 'qcow2') checkQcow2(link.path);
    return { path: spec.path, format };
  });
}

function domainName(d: DomainLike): string {
  const n = d.name;
  return typeof n === 'function' ? n.call(d) : (n ?? 'domain');
}

/**
 * The disks of a shut-off domain that sealing may write: the ones it owns (xml/clone.ts ownDisks,
 * the rule templates and clones follow too): not read-only, shareable (another VM may use it),
 * empty, transient over a shared backing image, or LUN passthrough.
 * @throws VirtkitError('DOMAIN_RUNNING') when the domain is active.
 */
export async function domainDisks(d: DomainLike): Promise<DiskSpec[]> {
  if (await d.isActive()) {
    throw new VirtkitError('DOMAIN_RUNNING', `seal: domain ${domainName(d)} is running; shut it down first (sealing a live disk corrupts it)`);
  }
  const out: DiskSpec[] = [];
  for (const disk of ownDisks(new DomainXml(await d.xml()))) {
    const path = disk.type === 'dir' ? undefined : disk.path;
    if (!path) {
      throw invalid(`seal: domain ${domainName(d)} has a ${disk.type ?? ''} disk without a local path (network/volume disks: pass disks: [...] instead)`);
    }
    const format = disk.format || undefined;
    out.push(format ? { path, format } : { path });
  }
  if (out.length === 0) throw invalid(`seal: domain ${domainName(d)} has no writable disk`);
  return out;
}
