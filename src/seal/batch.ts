// sealMany(): several guests, sharing appliances where that is safe. One appliance launch costs
// 10-25 s here, sealing a guest inside it about a second, so sharing is where the time goes.
// Not safe: guests whose LVM names or PV UUIDs clash (clones of one template have identical
// ones), because LVM in the appliance then shows only one of them. Such a group is detected right
// after launch, before any write, and its guests are sealed one appliance each.
import { VirtkitError, invalid } from '../errors.js';
import { argOptEnum, argOptFunction, argOptInt, argOptSignal, argOptions } from '../args.js';
import type { ResolvedDisk } from './disks.js';
import { mapDevices, pinMountpoints } from './devices.js';
import { openAppliance } from './appliance.js';
import type { InspectedRoot, SealGuest } from './guest-api.js';
import { checkAborted, checkRoots, mergeRecords, noOsFound, sealRoots } from './run.js';
import type { SealReport } from './types.js';
import { validateSealOptions, type SealOptions } from './options.js';
import { inspectRoots, jobDisks, seal } from './seal.js';
import { probeCache } from './fast-inspect/probe-cache.js';
import { loadKeys, wipeKeys, type LoadedKey } from './luks-keys.js';
import { unlockLuks, type LuksSession, type OpenedVolume } from './luks.js';

/** Options of sealMany(). */
export interface SealManyOptions {
  /** Appliances running at once. Default 2 (each takes a core and ~1 GiB here). */
  concurrency?: number;
  /** Most guests per shared appliance. Default 8; 1 disables sharing. Jobs are spread over at least `concurrency` appliances. */
  perAppliance?: number;
  accel?: 'auto' | 'kvm' | 'tcg';
  signal?: AbortSignal;
  /** Called as each guest finishes. */
  onResult?: (index: number, result: SealManyResult) => void;
}

/** One guest's outcome; a failure of one guest does not stop the others. */
export type SealManyResult = { ok: true; report: SealReport } | { ok: false; error: Error };

interface Job {
  index: number;
  opts: SealOptions;
  disks: ResolvedDisk[];
  selected: Set<string>;
  customize: ReturnType<typeof validateSealOptions>['customize'];
  /** `opts.keys`, read before any launch. */
  keys: LoadedKey[];
}

/** Seals each job inside one shared appliance; returns null when the group must be split. */
async function sealGroup(group: Job[], o: SealManyOptions): Promise<Map<number, SealManyResult> | null> {
  const t0 = performance.now();
  const drives = group.flatMap((j) => j.disks.map((d) => ({ ...d, readonly: j.opts.dryRun ?? false })));
  const g: SealGuest = await openAppliance({ drives, ...(o.accel ? { accel: o.accel } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const results = new Map<number, SealManyResult>();
  let unlocked: Awaited<ReturnType<typeof unlockGroup>> | undefined;
  try {
    const t1 = performance.now();
    let probe = probeCache(g);
    let map = await mapDevices(probe);
    if (map.lvmClash) return null;
    unlocked = await unlockGroup(g, group, map, o.signal);
    if (unlocked.opened.length > 0) {
      // Mappings and the VGs inside them are new devices: probe and map again.
      probe = probeCache(g);
      map = await mapDevices(probe, unlocked.opened);
      if (map.lvmClash) return null;
    }
    const found = await inspectRoots(probe, group.some((j) => j.opts.inspection === 'full') ? 'full' : 'auto');
    const roots = found.roots;
    const t2 = performance.now();
    let first = 0;
    const rootsOf = new Map<number, InspectedRoot[]>();
    const drivesOf = new Map<number, Set<number>>();
    for (const j of group) {
      const mine = new Set(j.disks.map((_, i) => first + i));
      first += j.disks.length;
      drivesOf.set(j.index, mine);
      const own = roots.filter((r) => map.driveOf(r.root).some((i) => mine.has(i)));
      const pinned = own.map((r) => pinMountpoints(r, map, mine, first - j.disks.length));
      // A mountpoint that cannot be attributed to this guest: split the group before any write.
      if (pinned.some((r) => r === undefined)) return null;
      rootsOf.set(j.index, pinned as InspectedRoot[]);
    }
    for (const j of group) {
      const started = performance.now();
      try {
        checkAborted(o.signal ?? j.opts.signal);
        const refused = unlocked.refused.get(j.index);
        if (refused) throw refused;
        const luks = unlocked.sessions.get(j.index);
        const rs = rootsOf.get(j.index)!;
        if (rs.length === 0) throw await noOsFound(probe, map.devicesOf(drivesOf.get(j.index)!), j.disks.map((d) => d.path).join(', '), luks?.opened.map((v) => v.device));
        checkRoots(rs, j.opts.multiboot ?? 'each', j.disks.map((d) => d.path).join(', '));
        const dryRun = j.opts.dryRun ?? false;
        const rootReports = await sealRoots(g, rs, {
          selected: j.selected, customize: j.customize, dryRun, multiboot: j.opts.multiboot ?? 'each',
          hasLvm: map.hasLvm,
          devices: map.devicesOf(drivesOf.get(j.index)!),
          ...(j.opts.allowMountFailures ? { allowMountFailures: true } : {}),
          ...(j.opts.signal ?? o.signal ? { signal: (j.opts.signal ?? o.signal)! } : {}),
          ...(luks && luks.opened.length > 0 ? { luks } : {}),
        });
        const report: SealReport = {
          guest: rootReports[0]!.guest, operations: mergeRecords(rootReports), roots: rootReports, dryRun,
          mountFailures: rootReports.flatMap((r) => r.mountFailures),
          ...(rootReports[0]!.firstboot ? { firstboot: rootReports[0]!.firstboot } : {}),
          ...(rootReports[0]!.cloudInit ? { cloudInit: true } : {}),
          disks: j.disks.map((d) => d.path),
          ...(luks && luks.opened.length > 0 ? { luks: [...luks.opened] } : {}),
          inspection: found.path,
          // Launch and inspection are shared: each guest is charged its share.
          timings: {
            launchMs: Math.round((t1 - t0) / group.length), inspectMs: Math.round((t2 - t1) / group.length),
            operationsMs: Math.round(performance.now() - started), totalMs: Math.round((t2 - t0) / group.length + performance.now() - started),
          },
        };
        results.set(j.index, { ok: true, report });
      } catch (e) {
        results.set(j.index, { ok: false, error: e instanceof Error ? e : new Error(String(e)) });
      }
      o.onResult?.(j.index, results.get(j.index)!);
    }
    for (const s of [...unlocked.sessions.values()].reverse()) await s.close();
    await g.shutdown();
    return results;
  } finally {
    for (const s of unlocked?.sessions.values() ?? []) s.discard();
    await Promise.resolve(g.close()).catch(() => undefined);
  }
}

/**
 * Opens the LUKS volumes of each guest of a shared appliance with that guest's own keys, on its
 * own drives only (key device names shifted to where its drives sit). A guest whose key fails
 * (DECRYPT_FAILED) is refused alone; the others go on.
 */
async function unlockGroup(g: SealGuest, group: readonly Job[], map0: Awaited<ReturnType<typeof mapDevices>>, signal: AbortSignal | undefined) {
  const sessions = new Map<number, LuksSession>();
  const refused = new Map<number, Error>();
  const opened: OpenedVolume[] = [];
  const taken = new Set<string>();
  let first = 0;
  for (const j of group) {
    const firstDrive = first;
    const mine = new Set(j.disks.map((_, i) => firstDrive + i));
    first += j.disks.length;
    if (j.keys.length === 0) continue;
    try {
      const s = await unlockLuks(g, j.keys, {
        readonly: j.opts.dryRun ?? false,
        firstDrive,
        taken,
        candidates: async (round, own) => (round === 0 ? map0 : await mapDevices(g, [...opened, ...own])).devicesOf(mine),
        ...(signal ?? j.opts.signal ? { signal: (signal ?? j.opts.signal)! } : {}),
      });
      sessions.set(j.index, s);
      opened.push(...s.opened);
    } catch (e) {
      if (!(e instanceof VirtkitError && e.code === 'DECRYPT_FAILED')) {
        for (const s of sessions.values()) s.discard();
        throw e;
      }
      refused.set(j.index, e);
    }
  }
  return { sessions, refused, opened };
}

/**
 * Seals several guests with bounded parallelism, sharing one appliance among up to
 * `perAppliance` guests when their LVM names do not clash. Jobs are checked (operations,
 * customize input, disks exist, domains shut off) before any appliance starts; a job that fails
 * those checks fails alone. Results come back in job order.
 */
export async function sealMany(jobs: readonly SealOptions[], o: SealManyOptions = {}): Promise<SealManyResult[]> {
  if (!Array.isArray(jobs)) throw invalid('sealMany takes an array of seal options', { argument: 'jobs' });
  argOptions('opts', o);
  const concurrency = argOptInt('opts.concurrency', o.concurrency, { min: 1, max: 256 }) ?? 2;
  const per = argOptInt('opts.perAppliance', o.perAppliance, { min: 1, max: 256 }) ?? 8;
  argOptEnum('opts.accel', o.accel, ['auto', 'kvm', 'tcg'] as const);
  argOptSignal('opts.signal', o.signal);
  argOptFunction('opts.onResult', o.onResult);
  const results: SealManyResult[] = new Array(jobs.length);
  const ready: Job[] = [];
  for (const [index, opts] of jobs.entries()) {
    try {
      if (opts.guest) throw new VirtkitError('INVALID_ARGUMENT', 'sealMany: jobs take disks or domain, not guest');
      const { selected, customize } = validateSealOptions(opts);
      ready.push({ index, opts, disks: await jobDisks(opts), selected, customize, keys: await loadKeys(opts.keys) });
    } catch (e) {
      results[index] = { ok: false, error: e as Error };
      o.onResult?.(index, results[index]);
    }
  }
  // Spread the jobs over at least `concurrency` appliances: under TCG an appliance runs on one
  // host core, so two half-size groups in parallel beat one full group.
  const groupCount = Math.min(ready.length, Math.max(concurrency, Math.ceil(ready.length / per)));
  const groups: Job[][] = Array.from({ length: groupCount }, () => []);
  ready.forEach((j, i) => groups[i % groupCount]!.push(j));

  const runAlone = async (j: Job) => {
    try {
      const report = await seal({ ...j.opts, ...(o.accel && !j.opts.accel ? { accel: o.accel } : {}) });
      results[j.index] = { ok: true, report };
    } catch (e) {
      results[j.index] = { ok: false, error: e as Error };
    }
    o.onResult?.(j.index, results[j.index]!);
  };
  const runGroup = async (group: Job[]) => {
    if (group.length === 1) return runAlone(group[0]!);
    let shared: Map<number, SealManyResult> | null;
    try {
      shared = await sealGroup(group, o);
    } catch (e) {
      // The shared launch itself failed (e.g. one corrupt image): retry each guest alone so the
      // failure is charged to the guest that caused it.
      shared = null;
      if (o.signal?.aborted) throw e;
    }
    if (shared) for (const [i, r] of shared) results[i] = r;
    else for (const j of group) await runAlone(j);
  };

  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, groups.length) }, async () => {
    while (next < groups.length) await runGroup(groups[next++]!);
  });
  try {
    await Promise.all(workers);
  } finally {
    for (const j of ready) wipeKeys(j.keys);
  }
  return results;
}
