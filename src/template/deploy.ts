// Deploying clones from a ready template: overlays or copies, a new domain with its own
// identity, all-or-nothing (a failure removes the volumes and domain the call made).
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import type { StoragePool, Volume } from '../storage.js';
import { VirtkitError, invalid, isVirtError } from '../errors.js';
import { argOptBool, argOptFunction, argOptInt, argOptSignal, argOptString, argOptions, argString } from '../args.js';
import { abortError } from '../util/abort.js';
import { checkName } from '../validate.js';
import { cloneDomain } from '../xml/clone.js';
import { PoolXml } from '../xml/pool.js';
import { checkIdentity } from '../xml/identity.js';
import { randomUUID } from 'node:crypto';
import { CloneSeed, deleteSeedVolume, planSeed, seedVolumeName } from './deploy-seed.js';
import { VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml, type TemplateRecord } from '../xml/metadata.js';
import { hashPassword } from '../crypt/index.js';
import { seal } from '../seal/index.js';
import { createdBy, readRecord } from './record.js';
import { writeQcow2Overlay } from './qcow2-overlay.js';
import { refreshPool, sharedPoolDir } from './local-pool.js';
import { unlink } from 'node:fs/promises';
import { Undo } from './undo.js';
import { memoByText } from '../util/memo.js';
import { defineNew, nvramPathOf, nvramVolumeAt, nvramVolumeNameFor, resolvePool, undefineWithNvram, volumeNameFor } from './disks.js';
import type { DeployManyOptions, DeployOptions } from './types.js';
import { newPlanContext, planBatch, planNetworks, releaseReservations, reserveAddresses, type NetworkPlan, type NetworkPlanContext } from './deploy-network.js';
import { nativeGuestfs } from '../guest/native.js';

type NvramSource = Awaited<ReturnType<typeof nvramVolumeAt>>;

export interface TemplateView {
  domain: Domain;
  record: TemplateRecord;
  xml: string;
}

async function defaultPool(conn: Connection, tpl: TemplateView, first?: Promise<Volume>): Promise<StoragePool> {
  const disk = tpl.record.disks?.[0];
  if (!disk) throw new VirtkitError('INVALID_ARGUMENT', `template '${tpl.domain.name}' has no disks`);
  return (await (first ?? conn.volumeByPath(disk.path))).pool();
}

/** Deploys one clone; see Template.deploy. */
/** What deployMany shares between its deploys: the template's VARS, and the pools to rescan once at the end. */
interface Shared {
  vars: NvramSource | undefined;
  /** Where each pool a spec names puts its clones (looked up once per batch, by pool key). */
  places?: Map<string, Promise<Place>>;
  pending?: Map<string, StoragePool>;
  /** The batch's network plans by clone name (planned in spec order, before anything was made). */
  networks?: { ctx: NetworkPlanContext; plans: Map<string, NetworkPlan> };
}

/** The target pool and what deploy needs of it and of the template's disks: the same for every clone of a batch. */
interface Place {
  pool: StoragePool;
  poolDir: string | undefined;
  fileBased: boolean;
  /** Volume paths are known before the volumes exist (a file-based pool with a directory). */
  predictable: boolean;
  /** Overlays are written by this process, not by a qemu-img libvirt forks. */
  local: boolean;
  disks: { target: string; tplVol: Volume; capacity: number | undefined }[];
}

async function findPlace(conn: Connection, tpl: TemplateView, poolOpt: DeployOptions['pool']): Promise<Place> {
  // The pool and the template's volumes are looked up side by side (independent round trips).
  const vols = (tpl.record.disks ?? []).map((d) => conn.volumeByPath(d.path));
  // Capacity from virStorageVolGetInfo: the same figure as the XML's, without parsing it.
  const disksP = Promise.all(
    (tpl.record.disks ?? []).map(async (d, i) => {
      const tplVol = await vols[i]!;
      return { target: d.target, tplVol, capacity: (await tplVol.info()).capacity };
    }),
  );
  disksP.catch(() => undefined); // awaited below; a pool failure must not leave it unhandled
  const pool = poolOpt !== undefined ? await resolvePool(conn, poolOpt, 'deploy') : await defaultPool(conn, tpl, vols[0]);
  const poolXml = poolFacts(await pool.xml());
  const poolDir = poolXml.targetPath;
  const fileBased = ['dir', 'fs', 'netfs'].includes(poolXml.type ?? '');
  const predictable = poolDir !== undefined && fileBased;
  // A pool directory this process shares with the daemon: overlays are written here.
  const local = predictable && process.env.VIRTKIT_NO_LOCAL_OVERLAYS !== '1' && (await sharedPoolDir(conn, pool)) === poolDir;
  return { pool, poolDir, fileBased, predictable, local, disks: await disksP };
}

// What deploy needs of a pool's XML, parsed once per text (every deploy into a pool asks the same).
const poolFacts = memoByText(32, (xml) => {
  const x = new PoolXml(xml);
  return { targetPath: x.targetPath, type: x.type };
});

function placeFor(conn: Connection, tpl: TemplateView, poolOpt: DeployOptions['pool'], shared?: Shared): Promise<Place> {
  if (!shared?.places) return findPlace(conn, tpl, poolOpt);
  const key = poolOpt === undefined ? '' : typeof poolOpt === 'string' ? `name:${poolOpt}` : `uuid:${(poolOpt as StoragePool).uuid}`;
  let p = shared.places.get(key);
  if (!p) {
    p = findPlace(conn, tpl, poolOpt);
    shared.places.set(key, p);
  }
  return p;
}

export async function deployClone(conn: Connection, tpl: TemplateView, o: DeployOptions, shared?: Shared): Promise<Domain> {
  argOptions('opts', o);
  checkName('clone', o.name, 'opts.name');
  argOptBool('opts.start', o.start);
  argOptFunction('opts.onProgress', o.onProgress);
  argOptSignal('opts.signal', o.signal);
  if (o.diskModes !== undefined) argOptions('opts.diskModes', o.diskModes);
  if (o.identity !== undefined) argOptions('opts.identity', o.identity);
  // Hashed on the host: a NUL would end the password early for crypt(3) and PAM in the guest.
  argOptString('opts.identity.rootPassword', o.identity?.rootPassword);
  if (tpl.record.state !== 'ready')
    throw new VirtkitError('TEMPLATE_NOT_READY', `template '${tpl.domain.name}' is '${tpl.record.state}', not 'ready'`);
  const mode = o.mode ?? 'linked';
  if (mode !== 'linked' && mode !== 'full') throw invalid(`mode must be 'linked' or 'full'`, { argument: 'opts.mode' });
  if (o.personalize !== undefined && o.personalize !== 'firstboot' && o.personalize !== 'offline') throw invalid(`personalize must be 'firstboot' or 'offline'`, { argument: 'opts.personalize' });
  if (o.personalize === 'offline') nativeGuestfs(); // GUESTFS_UNAVAILABLE before anything is made
  const disks = tpl.record.disks ?? [];
  for (const [t, m] of Object.entries(o.diskModes ?? {})) {
    if (!disks.some((d) => d.target === t)) throw invalid(`diskModes: the template has no disk '${t}'`);
    if (m !== 'linked' && m !== 'full') throw invalid(`diskModes.${t} must be 'linked' or 'full'`);
  }
  const title = argOptString('opts.title', o.title);
  if (title !== undefined && /[\r\n]/.test(title)) throw invalid('opts.title must be one line', { argument: 'opts.title' });
  // Identity is checked (and the password hashed) before anything is created, by the rules the
  // first-boot script applies: what the guest would drop is refused here.
  const { rootPassword, userData, networkConfig, ...given } = o.identity ?? {};
  if (rootPassword !== undefined) {
    argString('opts.identity.rootPassword', rootPassword, { nonEmpty: true });
    if (given.rootPasswordHash !== undefined)
      throw invalid('give opts.identity.rootPassword or opts.identity.rootPasswordHash, not both', { argument: 'opts.identity.rootPasswordHash' });
  }
  const identity = checkIdentity(given, 'opts.identity');
  const rootPasswordHash = rootPassword !== undefined ? hashPassword(rootPassword) : identity.rootPasswordHash;
  // Secrets (the hash, secretData) go on a seed volume, never in the definition; a cloud-init
  // guest gets everything through its NoCloud seed (instance-id: the clone's UUID).
  const cloneUuid = randomUUID();
  const seedPlan = planSeed({ ...identity, rootPasswordHash }, { cloudInit: tpl.record.cloudInit === true, instanceId: cloneUuid, extras: { userData, networkConfig } });
  const oemStrings = seedPlan.oemStrings;
  const seedName = seedVolumeName(o.name);
  // Looked up together (independent round trips); the errors keep their order.
  const [place, taken] = await Promise.all([placeFor(conn, tpl, o.pool, shared), conn.findDomain(o.name)]);
  const { pool, poolDir, fileBased, predictable, local } = place;
  if (taken) throw new VirtkitError('ALREADY_EXISTS', `a domain named '${o.name}' already exists`);
  const wanted = [...disks.map((d) => volumeNameFor(o.name, d.target)), ...(seedPlan.seed ? [seedName] : [])];
  const found = await Promise.all(wanted.map((n) => pool.findVolume(n)));
  const clash = wanted.find((_, i) => found[i]);
  if (clash !== undefined) throw new VirtkitError('ALREADY_EXISTS', `volume '${clash}' already exists in pool '${pool.name}'`);
  // Networks looked up, NICs checked, MACs chosen and addresses allocated dry: a full range or a
  // taken address is refused here, with nothing made.
  const netCtx = shared?.networks?.ctx ?? newPlanContext();
  const netPlan = shared?.networks ? shared.networks.plans.get(o.name) : await planNetworks(conn, tpl.xml, o, netCtx);
  if (o.signal?.aborted) throw abortError(o.signal);

  const undo = new Undo();
  const progress = o.onProgress;
  // UEFI: the clone gets a copy of the template's variable store (boot entries and all). The
  // template's VARS as a volume (a transient pool over its directory when it is in none);
  // deployMany resolves it once (two transient pools cannot cover one directory).
  const tplVars = shared ? shared.vars : await nvramVolumeAt(conn, nvramPathOf(tpl.xml));
  const nvramName = nvramVolumeNameFor(o.name);
  try {
    // Plan every path first. The name is claimed by defining the domain before any volume is made:
    // libvirt defines one domain per name, so of several deploys racing for a name exactly one
    // gets past this point, and the others have made nothing (ALREADY_EXISTS).
    const seed = seedPlan.seed && new CloneSeed(pool, seedName, seedPlan.seed, tpl.xml, predictable ? poolDir : undefined, fileBased);
    let wroteLocal = false;
    // QEMU opens the VARS as a file: a clone whose disks go to a block pool (logical, ...) keeps
    // its VARS copy beside the template's.
    const varsPool = tplVars && !fileBased ? await tplVars.volume.pool() : pool;
    if (tplVars && (await varsPool.findVolume(nvramName)))
      throw new VirtkitError('ALREADY_EXISTS', `volume '${nvramName}' already exists in pool '${varsPool.name}'`);
    const plan = place.disks.map((d) => {
      const name = volumeNameFor(o.name, d.target);
      return {
        target: d.target, name, tplVol: d.tplVol, format: 'qcow2',
        mode: o.diskModes?.[d.target] ?? mode,
        capacity: d.capacity,
        path: predictable ? `${poolDir}/${name}` as string | undefined : undefined,
      };
    });
    const nvram = tplVars ? { name: nvramName, path: predictable ? `${poolDir}/${nvramName}` : undefined } : undefined;
    const copyNvram = async (): Promise<void> => {
      if (!nvram || !tplVars) return;
      if (o.signal?.aborted) throw abortError(o.signal);
      const vol = await varsPool.copyVolume(tplVars.volume, { name: nvram.name, format: 'raw' });
      undo.push(() => vol.delete());
      const real = await vol.path();
      if (nvram.path !== undefined && real !== nvram.path) throw new VirtkitError('INVALID_ARGUMENT', `pool placed '${nvram.name}' at '${real}', expected '${nvram.path}'`);
      nvram.path = real;
    };
    const makeVolume = async (d: (typeof plan)[number]): Promise<string> => {
      if (o.signal?.aborted) throw abortError(o.signal);
      let vol: Volume;
      try {
        if (d.mode === 'linked' && local && d.capacity !== undefined) {
          progress?.({ step: 'overlay', name: o.name, disk: d.target });
          const path = d.path!;
          await writeQcow2Overlay(path, d.capacity, d.tplVol.key, 'qcow2').catch((e: NodeJS.ErrnoException) => {
            if (e.code === 'EEXIST') throw new VirtkitError('ALREADY_EXISTS', `volume '${d.name}' already exists in pool '${pool.name}'`, { cause: e, details: { volume: d.name, pool: pool.name } });
            throw e;
          });
          wroteLocal = true;
          undo.push(() => removeOverlay(pool, d.name, path));
          return path;
        }
        if (d.mode === 'linked') {
          progress?.({ step: 'overlay', name: o.name, disk: d.target });
          vol = await pool.createVolume({ name: d.name, format: 'qcow2', compat: '1.1', capacity: d.capacity, backing: { path: d.tplVol.key, format: 'qcow2' } });
        } else {
          vol = await pool.copyVolume(d.tplVol, {
            name: d.name, format: 'qcow2', signal: o.signal,
            onProgress: (p) => progress?.({ step: 'copy', name: o.name, disk: d.target, bytes: p.bytes, total: p.total }),
          });
        }
      } catch (e) {
        // libvirt checks the name before it makes anything (VIR_ERR_STORAGE_VOL_EXIST on create,
        // VIR_ERR_INTERNAL_ERROR "already in use" on copy): a volume there now is someone else's.
        if (isVirtError(e) && (await pool.findVolume(d.name).catch(() => undefined)))
          throw new VirtkitError('ALREADY_EXISTS', `volume '${d.name}' already exists in pool '${pool.name}'`, { cause: e, details: { volume: d.name, pool: pool.name } });
        throw e;
      }
      undo.push(() => vol.delete());
      const real = await vol.path();
      if (d.path !== undefined && real !== d.path) throw new VirtkitError('INVALID_ARGUMENT', `pool placed '${d.name}' at '${real}', expected '${d.path}'`);
      return real;
    };
    const cloneXml = (withDisks: boolean, same?: { uuid: string; macs: string[] }) => {
      const made = withDisks ? plan.map((d) => ({ target: d.target, path: d.path!, format: d.format })) : [];
      const byTarget = new Map(plan.map((d) => [d.target, d]));
      const rec: TemplateRecord = {
        role: 'clone', state: withDisks ? 'ready' : 'creating', version: tpl.record.version,
        template: { name: tpl.domain.name, uuid: tpl.domain.uuid, version: tpl.record.version },
        disks: made,
        createdBy: createdBy(),
        ...(seed?.record ? { seed: seed.record } : {}),
        ...(reservations.length ? { reservations } : {}),
      };
      const cloned = cloneDomain(tpl.xml, {
        name: o.name, uuid: same?.uuid ?? cloneUuid, macs: same?.macs ?? netPlan?.macs, nicNetworks: netPlan?.nicNetworks, title,
        nvramPath: withDisks ? nvram?.path : undefined,
        diskMap: (d) => {
          const m = byTarget.get(d.target ?? '');
          if (m) return withDisks ? { path: m.path!, format: m.format } : 'drop';
          // A template made before writable floppies were cloned does not list them: shared, as then.
          return d.device === 'floppy' || d.device === 'cdrom' ? 'share' : 'drop';
        },
        oemStrings,
        metadata: { uri: VIRTKIT_NS, prefix: VIRTKIT_PREFIX, xml: templateMetadataXml(rec) },
      });
      // The seed CD-ROM (read-only), once its path is known.
      return seed ? { ...cloned, xml: seed.attach(cloned.xml) } : cloned;
    };
    // Reserved before the clone is defined, so its record (written in that define) lists them;
    // the undo releases them on any later failure or abort.
    if (netPlan?.nics.some((n) => n.addrs.length > 0)) progress?.({ step: 'reserve', name: o.name });
    const reservations = netPlan ? await reserveAddresses(netPlan, o.name, netCtx, undo, o.signal) : [];
    // Predictable paths: the final definition claims the name. Otherwise (e.g. logical pools) a
    // definition without the disks claims it, and is completed once the volumes exist.
    const first = cloneXml(predictable);
    progress?.({ step: 'define', name: o.name });
    // The XML is libvirt's own (the template's) through a DOM transform, so the RNG schema pass
    // is skipped (it costs more than the define itself); libvirt still parses and checks it.
    const dom = await defineNew(conn, first.xml, o.name, first.uuid, { validate: false });
    undo.push(() => undefineWithNvram(conn, dom));
    if (predictable) {
      // allSettled: every volume is made or failed (and registered for undo) before undo runs.
      const results = await Promise.allSettled([...plan.map(makeVolume), copyNvram(), ...(seed ? [seed.make(undo, o.signal)] : [])]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      // The pool learns of overlays written here by a rescan: now, or once for a whole deployMany.
      if (wroteLocal) {
        if (shared?.pending) shared.pending.set(pool.uuid, pool);
        else await refreshPool(pool);
      }
    } else {
      for (const d of plan) d.path = await makeVolume(d);
      await copyNvram();
      await seed?.make(undo, o.signal);
      await conn.defineDomain(cloneXml(true, { uuid: first.uuid, macs: first.macs }).xml, { validate: false });
    }
    const made = plan.map((d) => ({ target: d.target, path: d.path!, format: d.format }));
    if (o.personalize === 'offline' && (identity.hostname || identity.sshAuthorizedKeys || rootPassword !== undefined)) {
      progress?.({ step: 'personalize', name: o.name });
      await seal({
        disks: made.map((d) => ({ path: d.path, format: d.format })),
        operations: 'customize',
        hostname: identity.hostname,
        sshAuthorizedKeys: identity.sshAuthorizedKeys,
        rootPassword: rootPasswordHash !== undefined ? { hash: rootPasswordHash } : undefined,
        installFirstboot: false,
        signal: o.signal,
      });
    }
    if (o.start) {
      progress?.({ step: 'start', name: o.name });
      await dom.start();
      undo.push(() => dom.destroy());
    }
    undo.clear();
    progress?.({ step: 'done', name: o.name });
    return dom;
  } catch (e) {
    await undo.run();
    throw e;
  } finally {
    if (!shared) await tplVars?.release();
  }
}

/** Undoes an overlay written beside libvirt: through the pool when it lists it already, else the file. */
async function removeOverlay(pool: StoragePool, name: string, path: string): Promise<void> {
  const v = await pool.findVolume(name).catch(() => undefined);
  if (v && (await v.path()) === path) await v.delete();
  else await unlink(path).catch(() => undefined);
}

/** Removes a clone virtkit made: stops it, releases the DHCP reservations deploy made for it, undefines it (with its NVRAM), deletes its volumes. */
export async function removeClone(conn: Connection, dom: Domain): Promise<void> {
  const rec = await readRecord(dom);
  if (rec?.role !== 'clone') throw new VirtkitError('INVALID_ARGUMENT', `'${dom.name}' is not a virtkit clone`);
  if (await dom.isActive()) await dom.destroy();
  // Before the undefine: a release that fails leaves the clone (and its record) to retry with.
  await releaseReservations(conn, rec.reservations);
  await undefineWithNvram(conn, dom);
  for (const d of rec.disks ?? []) {
    const v = await conn.volumeByPath(d.path).catch(() => undefined);
    await v?.delete();
  }
  await deleteSeedVolume(conn, rec.seed);
}

/**
 * Deploys many clones with bounded concurrency. All or nothing: when one fails, the others are
 * aborted and every clone this call made is removed; the first error is rethrown.
 */
export async function deployMany(conn: Connection, tpl: TemplateView, specs: DeployOptions[], o: DeployManyOptions = {}): Promise<Domain[]> {
  if (!Array.isArray(specs) || specs.length === 0) throw invalid('deployMany takes a non-empty array of deploy options');
  const names = specs.map((s) => s?.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw invalid(`clone name '${dup}' appears twice`);
  argOptions('opts', o);
  const concurrency = argOptInt('opts.concurrency', o.concurrency, { min: 1, max: 256 }) ?? 4;
  argOptFunction('opts.onProgress', o.onProgress);
  argOptSignal('opts.signal', o.signal);
  // Every clone's network checked and its addresses allocated (dry, in spec order, each excluding
  // those promised before it) before any clone is made.
  const networks = await planBatch(conn, tpl.xml, specs);
  const inner = new AbortController();
  const onOuter = () => inner.abort(o.signal?.reason);
  o.signal?.addEventListener('abort', onOuter, { once: true });
  const made: (Domain | undefined)[] = new Array(specs.length);
  let next = 0;
  let completed = 0;
  let failure: unknown;
  const shared: Shared = { vars: undefined, pending: new Map(), networks, places: new Map() };
  const worker = async () => {
    while (next < specs.length && !inner.signal.aborted) {
      const index = next++;
      const spec = specs[index]!;
      try {
        made[index] = await deployClone(conn, tpl, {
          ...spec,
          signal: inner.signal,
          onProgress: (p) => o.onProgress?.({ ...p, index, completed, count: specs.length }),
        }, shared);
        completed++;
        o.onProgress?.({ step: 'done', name: spec.name, index, completed, count: specs.length });
      } catch (e) {
        failure ??= e;
        inner.abort(e);
      }
    }
  };
  try {
    shared.vars = await nvramVolumeAt(conn, nvramPathOf(tpl.xml));
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onOuter);
    await shared.vars?.release();
  }
  // One rescan per pool for every overlay written beside libvirt (before a rollback too, so that
  // removeClone finds their volumes).
  for (const p of shared.pending!.values()) {
    try {
      await refreshPool(p);
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined || o.signal?.aborted) {
    for (const d of made) if (d) await removeClone(conn, d).catch(() => undefined);
    throw failure ?? abortError(o.signal!);
  }
  return made as Domain[];
}
