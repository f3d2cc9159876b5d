// virtkit's record on a template or clone domain: read and written through libvirt metadata.
import { hostname } from 'node:os';
import type { Domain } from '../domain.js';
import { memoByText } from '../util/memo.js';
import { VIRTKIT_NS, VIRTKIT_PREFIX, parseTemplateMetadata, templateMetadataXml, type TemplateRecord } from '../xml/metadata.js';

export type { TemplateRecord };

/** The record on `dom`, or undefined for a domain virtkit did not make. */
export async function readRecord(dom: Domain): Promise<TemplateRecord | undefined> {
  const md = await dom.metadata(VIRTKIT_NS);
  return md ? parsed(md) : undefined;
}

// Every deploy reads its template's record, the same text each time: parsed once, handed out as
// a copy (callers change what they get).
const parseOnce = memoByText(64, parseTemplateMetadata);
function parsed(md: string): TemplateRecord | undefined {
  const rec = parseOnce(md);
  return rec && structuredClone(rec);
}

export async function writeRecord(dom: Domain, rec: TemplateRecord): Promise<void> {
  await dom.setMetadata(VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml(rec));
}

/** Who is doing this: lets recover() tell a crashed run's leftovers from work under way. */
export function createdBy(): { pid: number; host: string } {
  return { pid: process.pid, host: hostname() };
}

/** True when the process that wrote `rec` is gone (only decidable on the same host). */
export function ownerIsGone(rec: TemplateRecord): boolean {
  const by = rec.createdBy;
  if (!by) return true;
  if (by.host !== hostname()) return false;
  if (by.pid === process.pid) return false;
  try {
    process.kill(by.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
