// Saving a running domain's memory to disk and restoring it: managed save (libvirt keeps the image
// and the next start resumes from it), and save/restore to a file the caller names.
import type { NativeDomain } from '../native.js';
import type { Core } from '../core.js';
import { argOptBool, argOptions, argOptString } from '../args.js';
import { invalid } from '../errors.js';
import { validateAbsolutePath } from '../validate.js';
import { childText, parseRoot } from '../xml/doc.js';
import { virDomainSaveRestoreFlags as SR } from '../generated/libvirt-enums.js';

/** Options of {@link Domain.save}, {@link Domain.managedSave} and {@link Connection.restore}. */
export interface SaveOptions {
  /** Resume paused (`paused`) or running (`running`) when restored, whatever the state at save. */
  paused?: boolean;
  running?: boolean;
  /** Write (or read) the image with O_DIRECT, leaving the host page cache alone. */
  bypassCache?: boolean;
  /** The domain XML to use when restored (same guest ABI; e.g. other disk paths). Not for managed save. */
  xml?: string;
}

function saveFlags(o: SaveOptions): number {
  const paused = argOptBool('opts.paused', o.paused);
  const running = argOptBool('opts.running', o.running);
  if (paused && running) throw invalid('opts.paused and opts.running are exclusive', { argument: 'opts.paused' });
  return (paused ? SR.VIR_DOMAIN_SAVE_PAUSED : 0) | (running ? SR.VIR_DOMAIN_SAVE_RUNNING : 0) | (argOptBool('opts.bypassCache', o.bypassCache) ? SR.VIR_DOMAIN_SAVE_BYPASS_CACHE : 0);
}

function domainXmlArg(v: unknown): string | null {
  const xml = argOptString('opts.xml', v, { nonBlank: true });
  if (xml === undefined) return null;
  parseRoot(xml, 'domain', 'opts.xml');
  return xml;
}

/** @internal Stops the domain, its memory kept by libvirt; the next start resumes it. */
export async function managedSave(core: Core, n: NativeDomain, opts?: Omit<SaveOptions, 'xml'>): Promise<void> {
  const o = argOptions('opts', opts);
  if ((o as SaveOptions).xml !== undefined) throw invalid('opts.xml is not an option of managedSave', { argument: 'opts.xml' });
  const flags = saveFlags(o);
  await core.call(() => n.managedSave(flags), { long: true });
}

/** @internal */
export async function removeManagedSave(core: Core, n: NativeDomain): Promise<void> {
  await core.call(() => n.managedSaveRemove(0));
}

/** @internal Saves the running domain's state to `path` (on the daemon's host) and stops it. */
export async function save(core: Core, n: NativeDomain, path: string, opts?: SaveOptions): Promise<void> {
  validateAbsolutePath(path, 'path');
  const o = argOptions('opts', opts);
  const flags = saveFlags(o);
  const xml = domainXmlArg(o.xml);
  await core.call(() => n.saveFlags(path, xml, flags), { long: true });
}

/** @internal Restores a saved image; resolves with the UUID of the domain it held. */
export async function restore(core: Core, path: string, opts?: SaveOptions): Promise<string> {
  validateAbsolutePath(path, 'path');
  const o = argOptions('opts', opts);
  const flags = saveFlags(o);
  const xml = domainXmlArg(o.xml);
  // The image's own definition names the domain (restore itself returns nothing).
  const def = xml ?? (await core.call(() => core.native.domainSaveImageGetXMLDesc(path, 0)));
  const uuid = childText(parseRoot(def, 'domain').documentElement!, 'uuid')?.trim();
  if (!uuid) throw invalid(`the saved image at ${path} names no domain UUID`, { argument: 'path' });
  await core.call(() => core.native.domainRestoreFlags(path, xml, flags), { long: true });
  return uuid;
}

/** @internal The domain XML stored in a saved image (`secure`: with secrets). */
export async function saveImageXml(core: Core, path: string, opts?: { secure?: boolean }): Promise<string> {
  validateAbsolutePath(path, 'path');
  const secure = argOptBool('opts.secure', argOptions('opts', opts).secure);
  return core.call(() => core.native.domainSaveImageGetXMLDesc(path, secure ? 1 : 0));
}

