// Snapshot XML (virDomainSnapshotCreateXML's input) and checkpoint XML (virDomainCheckpointCreateXML's),
// built through the XML layer: text escaped, never concatenated.
import { createElement, parseRoot, serialize } from './doc.js';
import type { Element } from './doc.js';
import { invalid } from '../errors.js';
import { checkImageFormat, validateAbsolutePath } from '../validate.js';

/** How one disk takes part in a snapshot. */
export interface SnapshotDiskSpec {
  /** Target (e.g. 'vda') or source path of the disk. */
  name: string;
  /** 'internal' (inside the qcow2), 'external' (a new overlay file), 'manual' or 'no'. */
  snapshot: 'internal' | 'external' | 'manual' | 'no';
  /** The new overlay's path (external only; default: libvirt's choice beside the image). */
  file?: string;
  /** The new overlay's format (external only; default qcow2). */
  format?: string;
}

/** What a snapshot holds: name, description, memory and per-disk choices. */
export interface SnapshotXmlSpec {
  name?: string;
  description?: string;
  /** Memory state: 'no' (disks only), 'internal', or an external file path. */
  memory?: 'no' | 'internal' | { file: string };
  disks?: SnapshotDiskSpec[];
}

const add = (parent: Element, name: string, attrs: Record<string, string | undefined> = {}, text?: string): Element => {
  const el = createElement(parent.ownerDocument!, name, attrs, text);
  parent.appendChild(el);
  return el;
};

function checkDisks(disks: unknown, at: string): SnapshotDiskSpec[] {
  if (!Array.isArray(disks)) throw invalid(`${at} must be an array`, { argument: at });
  return disks.map((d: SnapshotDiskSpec, i) => {
    const here = `${at}[${i}]`;
    if (d === null || typeof d !== 'object') throw invalid(`${here} must be an object`, { argument: here });
    if (typeof d.name !== 'string' || d.name === '' || d.name.includes('\0')) throw invalid(`${here}.name must be a disk target or path`, { argument: `${here}.name` });
    if (!['internal', 'external', 'manual', 'no'].includes(d.snapshot)) throw invalid(`${here}.snapshot must be 'internal', 'external', 'manual' or 'no'`, { argument: `${here}.snapshot` });
    if ((d.file !== undefined || d.format !== undefined) && d.snapshot !== 'external') throw invalid(`${here}: file and format are for external snapshots`, { argument: here });
    if (d.file !== undefined) validateAbsolutePath(d.file, `${here}.file`);
    if (d.format !== undefined) checkImageFormat(d.format, `${here}.format`);
    return d;
  });
}

/** `<domainsnapshot>` with optional `<name>`, `<description>`, `<memory>` and `<disks>`. */
export function snapshotXml(o: SnapshotXmlSpec): string {
  const doc = parseRoot('<domainsnapshot/>', 'domainsnapshot');
  const root = doc.documentElement!;
  if (o.name !== undefined) add(root, 'name', {}, o.name);
  if (o.description !== undefined) add(root, 'description', {}, o.description);
  if (o.memory !== undefined) {
    if (o.memory === 'no' || o.memory === 'internal') add(root, 'memory', { snapshot: o.memory });
    else if (o.memory && typeof o.memory === 'object') add(root, 'memory', { snapshot: 'external', file: validateAbsolutePath(o.memory.file, 'spec.memory.file') });
    else throw invalid(`spec.memory must be 'no', 'internal' or { file }`, { argument: 'spec.memory' });
  }
  if (o.disks !== undefined) {
    const disks = add(root, 'disks');
    for (const d of checkDisks(o.disks, 'spec.disks')) {
      const disk = add(disks, 'disk', { name: d.name, snapshot: d.snapshot });
      if (d.snapshot === 'external') {
        if (d.format !== undefined || d.file !== undefined) add(disk, 'driver', { type: d.format ?? 'qcow2' });
        if (d.file !== undefined) add(disk, 'source', { file: d.file });
      }
    }
  }
  return serialize(root);
}

/** `<domaincheckpoint>` with optional `<name>`, `<description>` and the disks it covers (`bitmap` or 'no'). */
export function checkpointXml(o: { name?: string; description?: string; disks?: { name: string; checkpoint: 'bitmap' | 'no' }[] }): string {
  const doc = parseRoot('<domaincheckpoint/>', 'domaincheckpoint');
  const root = doc.documentElement!;
  if (o.name !== undefined) add(root, 'name', {}, o.name);
  if (o.description !== undefined) add(root, 'description', {}, o.description);
  if (o.disks !== undefined) {
    if (!Array.isArray(o.disks)) throw invalid('spec.disks must be an array', { argument: 'spec.disks' });
    const disks = add(root, 'disks');
    for (const [i, d] of o.disks.entries()) {
      if (!d || typeof d.name !== 'string' || d.name === '' || (d.checkpoint !== 'bitmap' && d.checkpoint !== 'no'))
        throw invalid(`spec.disks[${i}] must be { name, checkpoint: 'bitmap' | 'no' }`, { argument: `spec.disks[${i}]` });
      add(disks, 'disk', { name: d.name, checkpoint: d.checkpoint });
    }
  }
  return serialize(root);
}
