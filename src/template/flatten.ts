// Turning a linked clone into a full one, offline: each overlay is copied flattened (libvirt
// runs qemu-img convert), the domain re-pointed at the copies, the overlays deleted.
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import { VirtkitError } from '../errors.js';
import { argOptFunction, argOptSignal, argOptions } from '../args.js';
import { DomainXml } from '../xml/domain.js';
import { VolumeXml } from '../xml/volume.js';
import { readRecord, writeRecord } from './record.js';
import { assertShutOff } from './create.js';
import { Undo } from './undo.js';
import type { TemplateProgress } from './types.js';

/**
 * Turns a shut-off linked clone into a full one: each qcow2 overlay is copied flattened into its pool as '<volume>-full.qcow2', the domain re-pointed at the copies, and the overlays deleted. Resolves with the same domain; a clone with no overlays is left as it is.
 * @throws VirtkitError `DOMAIN_RUNNING` when the clone is not shut off; `INVALID_ARGUMENT` when the domain is not a virtkit clone; `ABORTED` when `opts.signal` aborts (copies made so far are removed).
 */
export async function flattenClone(
  conn: Connection,
  dom: Domain,
  opts: { onProgress?: (p: TemplateProgress) => void; signal?: AbortSignal } = {},
): Promise<Domain> {
  argOptions('opts', opts);
  argOptFunction('opts.onProgress', opts.onProgress);
  argOptSignal('opts.signal', opts.signal);
  await assertShutOff(dom, 'clone');
  const rec = await readRecord(dom);
  if (rec?.role !== 'clone') throw new VirtkitError('INVALID_ARGUMENT', `'${dom.name}' is not a virtkit clone`);
  const undo = new Undo();
  const replaced: { from: string; to: string }[] = [];
  try {
    for (const d of rec.disks ?? []) {
      const vol = await conn.volumeByPath(d.path);
      if (!new VolumeXml(await vol.xml()).backing) continue;
      const pool = await vol.pool();
      const name = vol.name.replace(/\.qcow2$/, '') + '-full.qcow2';
      const copy = await pool.copyVolume(vol, {
        name, format: 'qcow2', signal: opts.signal,
        onProgress: (p) => opts.onProgress?.({ step: 'copy', name: dom.name, disk: d.target, bytes: p.bytes, total: p.total }),
      });
      undo.push(() => copy.delete());
      replaced.push({ from: d.path, to: await copy.path() });
    }
    if (!replaced.length) return dom;
    const x = new DomainXml(await dom.xml({ inactive: true, secure: true }));
    for (const disk of x.disks) {
      const r = replaced.find((p) => p.from === disk.path);
      if (r) {
        disk.setSource({ type: 'file', path: r.to });
        disk.format = 'qcow2';
      }
    }
    await conn.defineDomain(x.toString());
    undo.clear();
  } catch (e) {
    await undo.run();
    throw e;
  }
  await writeRecord(dom, {
    ...rec,
    disks: (rec.disks ?? []).map((d) => ({ ...d, path: replaced.find((p) => p.from === d.path)?.to ?? d.path })),
  });
  for (const r of replaced) await (await conn.volumeByPath(r.from)).delete();
  return dom;
}
