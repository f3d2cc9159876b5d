// Making a template: copy the source VM's disks (or take the VM in place), seal, mark ready.
// Every step that creates something registers its undo; a failure runs them in reverse.
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import type { Volume } from '../storage.js';
import { VirtkitError } from '../errors.js';
import { argOptFunction, argOptSignal, argOptions } from '../args.js';
import { abortError } from '../util/abort.js';
import { checkName } from '../validate.js';
import { cloneDomain } from '../xml/clone.js';
import { PoolXml } from '../xml/pool.js';
import { VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml, type TemplateRecord } from '../xml/metadata.js';
import { seal, validateSealOptions, type SealReport } from '../seal/index.js';
import { createdBy, readRecord, writeRecord } from './record.js';
import { assertSealableHere } from './local-pool.js';
import { defineNew, undefineWithNvram, nvramPathOf, nvramVolumeAt, nvramVolumeNameFor, resolvePool, setReadOnly, volumeAt, volumeNameFor, writableDisks } from './disks.js';
import type { ConvertOptions, CreateTemplateOptions, TemplateProgress, TemplateSealOptions } from './types.js';
import { Undo } from './undo.js';
import { nativeGuestfs } from '../guest/native.js';



export async function assertShutOff(dom: Domain, what: string): Promise<void> {
  const { state } = await dom.state();
  if (state !== 'shutoff')
    throw new VirtkitError('DOMAIN_RUNNING', `${what} '${dom.name}' must be shut off (it is ${state})`, { details: { domain: dom.name, state } });
}

async function runSeal(
  paths: { path: string; format: string }[],
  opts: TemplateSealOptions | false | undefined,
  name: string,
  onProgress: ((p: TemplateProgress) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<SealReport | undefined> {
  if (opts === false) return undefined;
  return seal({
    ...(opts ?? {}),
    disks: paths,
    signal,
    onProgress: (p) => onProgress?.({ step: 'seal', name, ...(p.operation ? { operation: p.operation } : {}), steps: { done: p.done, total: p.total } }),
  });
}

/**
 * `seal: false` skips sealing; anything else but an options object is refused (a typo must not
 * skip it), and the options are checked now, before anything is copied or marked.
 */
function checkSealChoice(name: string, v: unknown): void {
  if (v === false) return;
  if (v !== undefined) validateSealOptions({ ...argOptions(name, v as TemplateSealOptions), disks: [] });
  nativeGuestfs(); // GUESTFS_UNAVAILABLE now, before anything is copied

}

function sealedRecord(base: TemplateRecord, report: SealReport | undefined): TemplateRecord {
  return {
    ...base,
    state: 'ready',
    ...(report ? { sealedAt: new Date().toISOString() } : {}),
    operations: report ? report.operations.map((o) => o.name) : [],
    // Clones of a cloud-init guest are personalized through its NoCloud seed.
    ...(report?.cloudInit ? { cloudInit: true } : {}),
  };
}

/** Template.create: see Template.create for the contract. */
export async function createTemplate(conn: Connection, o: CreateTemplateOptions): Promise<Domain> {
  argOptions('opts', o);
  checkName('template', o.name, 'opts.name');
  if (!o.from || typeof o.from.xml !== 'function') throw new VirtkitError('INVALID_ARGUMENT', 'from: a Domain is required', { details: { argument: 'opts.from' } });
  checkSealChoice('opts.seal', o.seal);
  argOptFunction('opts.onProgress', o.onProgress);
  argOptSignal('opts.signal', o.signal);
  const pool = await resolvePool(conn, o.pool, 'Template.create');
  if (o.seal !== false) await assertSealableHere(conn, pool, 'Template.create');
  if (o.signal?.aborted) throw abortError(o.signal);
  await assertShutOff(o.from, 'source VM');
  if (await readRecord(o.from).then((r) => r?.role === 'template'))
    throw new VirtkitError('INVALID_ARGUMENT', `'${o.from.name}' is already a template; deploy from it instead`);
  if (await conn.findDomain(o.name)) throw new VirtkitError('ALREADY_EXISTS', `a domain named '${o.name}' already exists`);
  const srcXml = await o.from.xml({ inactive: true, secure: true });
  const disks = writableDisks(srcXml);
  for (const d of disks)
    if (await pool.findVolume(volumeNameFor(o.name, d.target)))
      throw new VirtkitError('ALREADY_EXISTS', `volume '${volumeNameFor(o.name, d.target)}' already exists in pool '${pool.name}'`);
  // UEFI: the template keeps a copy of the source's variable store (its boot entries), which
  // every clone copies in turn. A source that never started has none: libvirt's default then.
  const nvramName = nvramVolumeNameFor(o.name);
  const srcVars = await nvramVolumeAt(conn, nvramPathOf(srcXml));
  if (srcVars && (await pool.findVolume(nvramName))) {
    await srcVars.release();
    throw new VirtkitError('ALREADY_EXISTS', `volume '${nvramName}' already exists in pool '${pool.name}'`);
  }

  const undo = new Undo();
  const progress = o.onProgress;
  try {
    // 1. Define the template first, marked 'creating': a crash from here on leaves a record
    //    that recover() can find, listing the volumes to remove.
    const poolDir = new PoolXml(await pool.xml()).targetPath;
    if (!poolDir) throw new VirtkitError('INVALID_ARGUMENT', `pool '${pool.name}' has no target directory`);
    const planned = disks.map((d) => ({ ...d, volume: volumeNameFor(o.name, d.target), newPath: `${poolDir}/${volumeNameFor(o.name, d.target)}` }));
    const rec: TemplateRecord = {
      role: 'template', state: 'creating', version: 1,
      origin: { name: o.from.name, uuid: o.from.uuid },
      disks: planned.map((d) => ({ target: d.target, path: d.newPath, format: 'qcow2' })),
      createdBy: createdBy(),
    };
    const byTarget = new Map(planned.map((d) => [d.target, d]));
    const nvramPath = srcVars ? `${poolDir}/${nvramName}` : undefined;
    const { xml, uuid } = cloneDomain(srcXml, {
      name: o.name,
      nvramPath,
      diskMap: (d) => ({ path: byTarget.get(d.target ?? '')!.newPath, format: 'qcow2' }),
      metadata: { uri: VIRTKIT_NS, prefix: VIRTKIT_PREFIX, xml: templateMetadataXml(rec) },
    });
    progress?.({ step: 'define', name: o.name });
    const tpl = await defineNew(conn, xml, o.name, uuid);
    undo.push(() => undefineWithNvram(conn, tpl));

    // 2. Copy every disk (libvirt flattens backing chains while copying).
    for (const d of planned) {
      if (o.signal?.aborted) throw abortError(o.signal);
      const src = await volumeAt(conn, d.path);
      let copy: Volume;
      try {
        copy = await pool.copyVolume(src.volume, {
          name: d.volume, format: 'qcow2', signal: o.signal,
          onProgress: (p) => progress?.({ step: 'copy', name: o.name, disk: d.target, bytes: p.bytes, total: p.total }),
        });
      } finally {
        await src.release();
      }
      undo.push(() => copy.delete());
      const real = await copy.path();
      if (real !== d.newPath) throw new VirtkitError('INVALID_ARGUMENT', `pool placed '${d.volume}' at '${real}', expected '${d.newPath}'`);
    }
    if (srcVars) {
      if (o.signal?.aborted) throw abortError(o.signal);
      const vars = await pool.copyVolume(srcVars.volume, { name: nvramName, format: 'raw' });
      undo.push(() => vars.delete());
      const real = await vars.path();
      if (real !== nvramPath) throw new VirtkitError('INVALID_ARGUMENT', `pool placed '${nvramName}' at '${real}', expected '${nvramPath}'`);
    }

    // 3. Seal the copies, then mark ready and make the disks read-only.
    await writeRecord(tpl, { ...rec, state: 'sealing' });
    const report = await runSeal(planned.map((d) => ({ path: d.newPath, format: 'qcow2' })), o.seal, o.name, progress, o.signal);
    await setReadOnly(planned.map((d) => d.newPath), true);
    await writeRecord(tpl, sealedRecord({ ...rec, state: 'ready' }, report));
    undo.clear();
    progress?.({ step: 'done', name: o.name });
    return tpl;
  } catch (e) {
    await undo.run();
    throw e;
  } finally {
    await srcVars?.release();
  }
}

/** Template.convert: the VM itself becomes the template (Proxmox's way). */
export async function convertTemplate(dom: Domain, o: ConvertOptions = {}): Promise<Domain> {
  argOptions('opts', o);
  checkSealChoice('opts.seal', o.seal);
  argOptFunction('opts.onProgress', o.onProgress);
  argOptSignal('opts.signal', o.signal);
  await assertShutOff(dom, 'VM');
  const existing = await readRecord(dom);
  if (existing?.role === 'template') throw new VirtkitError('INVALID_ARGUMENT', `'${dom.name}' is already a template`);
  const disks = writableDisks(await dom.xml({ inactive: true }));
  const rec: TemplateRecord = {
    role: 'template', state: 'sealing', version: 1,
    origin: { name: dom.name, uuid: dom.uuid },
    disks: disks.map((d) => ({ target: d.target, path: d.path, format: d.format })),
    createdBy: createdBy(),
  };
  await writeRecord(dom, rec);
  let report: SealReport | undefined;
  try {
    report = await runSeal(disks.map((d) => ({ path: d.path, format: d.format })), o.seal, dom.name, o.onProgress, o.signal);
  } catch (e) {
    // Refused before writing (typed VirtkitError): the VM is as it was, so drop the mark.
    // Anything else may have written part of a seal: leave it marked broken for recover().
    if (e instanceof VirtkitError && e.code !== 'ABORTED') await dom.setMetadata(VIRTKIT_NS, VIRTKIT_PREFIX, null);
    else await writeRecord(dom, { ...rec, state: 'broken' });
    throw e;
  }
  await setReadOnly(disks.map((d) => d.path), true);
  await writeRecord(dom, sealedRecord(rec, report));
  o.onProgress?.({ step: 'done', name: dom.name });
  return dom;
}
