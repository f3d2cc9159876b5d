// Fleet: clones deployed across several libvirt hosts from one template, placed by free memory and
// pool space (or a caller's function), the template replicated to a host the first time a clone
// lands there, all or nothing. No controller database: each host's libvirt metadata is the state.
import type { Connection } from './connection.js';
import type { Domain } from './domain.js';
import { VirtkitError, invalid } from './errors.js';
import { argOptFunction, argOptInt, argOptSignal, argOptions } from './args.js';
import { abortError } from './util/abort.js';
import { DomainXml } from './xml/domain.js';
import { Template } from './template/template.js';
import { removeClone } from './template/deploy.js';
import type { DeployOptions } from './template/types.js';

/** What a placement function sees of one host. */
export interface HostLoad {
  /** Index of the host in the fleet. */
  index: number;
  connection: Connection;
  /** Host memory not assigned to running domains nor to clones placed here by this call, in KiB. */
  freeMemoryKiB: number;
  /** Free bytes in the host's pool, less what clones placed here by this call are expected to take. */
  poolAvailable: number;
  /** Clones placed on this host so far by this call. */
  placed: number;
}

/** Options of {@link Fleet.deployMany}. */
export interface FleetDeployOptions {
  /** The storage pool for replicas and clones on each host: one name for all, or per host. */
  pool: string | ((conn: Connection) => string);
  /**
   * Picks the host of each clone: returns an index into `hosts`. Default: the host with the most
   * free memory per clone (ties: most pool space, then fewest placed), so equal hosts share evenly.
   */
  placement?: (spec: DeployOptions, hosts: HostLoad[]) => number;
  /** Clones deployed at once per host (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (p: FleetProgress) => void;
}

/** Progress of {@link Fleet.deployMany}. */
export interface FleetProgress {
  step: 'place' | 'replicate' | 'deploy' | 'done';
  /** URI of the host concerned. */
  host?: string;
  /** Clone name (deploy steps). */
  name?: string;
  /** Clones deployed so far, of `count`. */
  completed: number;
  count: number;
}

/** One clone made by {@link Fleet.deployMany}. */
export interface FleetClone {
  name: string;
  domain: Domain;
  /** The host's connection. */
  connection: Connection;
}

// A linked clone's overlay is small until the guest writes; this is what placement reserves for one.
const LINKED_CLONE_BYTES = 256 * 2 ** 20;

/** Several libvirt hosts, each an open Connection, used as one place to deploy clones. */
export class Fleet {
  readonly #hosts: Connection[];

  constructor(hosts: Connection[]) {
    if (!Array.isArray(hosts) || hosts.length === 0) throw invalid('Fleet takes a non-empty array of Connections', { argument: 'hosts' });
    for (const [i, h] of hosts.entries())
      if (!h || typeof h !== 'object' || typeof (h as Connection).capabilities !== 'function') throw invalid(`hosts[${i}] is not a Connection`, { argument: `hosts[${i}]` });
    if (new Set(hosts).size !== hosts.length) throw invalid('a Connection appears twice in the fleet', { argument: 'hosts' });
    this.#hosts = [...hosts];
  }

  /** The fleet's connections, in order. */
  get hosts(): readonly Connection[] {
    return this.#hosts;
  }

  /**
   * Deploys `specs` across the fleet from `template` (a ready template on one of its hosts).
   * Each clone is placed (see {@link FleetDeployOptions.placement}), the template is replicated to
   * each host that gets a clone and has no replica yet, and the clones are deployed per host with
   * bounded concurrency. All or nothing: on a failure or abort, every clone this call made on any
   * host is removed, and so is every replica it made; the call rejects with the first error.
   * A spec's own `pool` is ignored: each clone goes to its host's pool.
   */
  async deployMany(template: Template, specs: DeployOptions[], opts: FleetDeployOptions): Promise<FleetClone[]> {
    if (!(template instanceof Template)) throw invalid('deployMany: template must be a Template', { argument: 'template' });
    if (!Array.isArray(specs) || specs.length === 0) throw invalid('deployMany takes a non-empty array of deploy options', { argument: 'specs' });
    const names = specs.map((s) => s?.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw invalid(`clone name '${dup}' appears twice`, { argument: 'specs' });
    argOptions('opts', opts);
    if (opts === undefined) throw invalid('deployMany: options with a pool are required', { argument: 'opts' });
    if (typeof opts.pool !== 'string' && typeof opts.pool !== 'function') throw invalid('opts.pool must be a pool name or a function of the host', { argument: 'opts.pool' });
    argOptFunction('opts.placement', opts.placement);
    argOptFunction('opts.onProgress', opts.onProgress);
    argOptSignal('opts.signal', opts.signal);
    const concurrency = argOptInt('opts.concurrency', opts.concurrency, { min: 1, max: 256 }) ?? 4;
    if (opts.signal?.aborted) throw abortError(opts.signal);
    await template.refresh();
    if (template.state !== 'ready') throw new VirtkitError('TEMPLATE_NOT_READY', `template '${template.name}' is '${template.state}'`);
    const home = this.#hosts.indexOf(template.connection);
    if (home < 0) throw invalid(`template '${template.name}' is not on a host of this fleet`, { argument: 'template' });
    const poolOf = (c: Connection) => (typeof opts.pool === 'string' ? opts.pool : opts.pool(c));
    const count = specs.length;
    let completed = 0;
    const progress = (p: Omit<FleetProgress, 'completed' | 'count'>) => opts.onProgress?.({ ...p, completed, count });

    // 1. Place every clone.
    const loads = await Promise.all(this.#hosts.map((c, index) => loadOf(c, index, poolOf(c))));
    const memKiB = new DomainXml(await template.domain.xml({ inactive: true })).memoryKiB ?? 0;
    // What one clone is expected to take in its pool: an overlay per disk, or a full copy.
    let fullCopy = 0;
    for (const d of template.disks) fullCopy += (await (await template.connection.volumeByPath(d.path)).info()).capacity;
    const linked = template.disks.length * LINKED_CLONE_BYTES;
    const place = opts.placement ?? balanced;
    const byHost = new Map<number, { index: number; spec: DeployOptions }[]>();
    for (const [i, spec] of specs.entries()) {
      const at = place(spec, loads.map((l) => ({ ...l })));
      if (!Number.isInteger(at) || at < 0 || at >= loads.length) throw invalid(`placement returned ${String(at)} for '${spec.name}': not a host index`, { argument: 'opts.placement' });
      const l = loads[at]!;
      l.freeMemoryKiB -= memKiB;
      l.poolAvailable -= spec.mode === 'full' ? fullCopy : linked;
      l.placed++;
      if (!byHost.has(at)) byHost.set(at, []);
      byHost.get(at)!.push({ index: i, spec });
    }
    progress({ step: 'place' });

    // 2. Replicate where needed, then deploy per host; any failure aborts the rest.
    const inner = new AbortController();
    const onOuter = () => inner.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onOuter, { once: true });
    const replicasMade: Template[] = [];
    const made: (FleetClone | undefined)[] = new Array(count);
    let failure: unknown;
    try {
      await Promise.all(
        [...byHost.entries()].map(async ([at, items]) => {
          const conn = this.#hosts[at]!;
          try {
            let tpl = template;
            if (at !== home) {
              const found = await Template.get(conn, template.name).catch(() => undefined);
              if (found && found.state === 'ready' && found.replicaOf?.uuid === template.uuid) tpl = found;
              else {
                progress({ step: 'replicate', host: conn.uri });
                tpl = await template.replicate(conn, { pool: poolOf(conn), signal: inner.signal, keepPartial: false });
                replicasMade.push(tpl);
              }
            }
            const pool = poolOf(conn);
            let hostDone = 0; // deployMany's own count on this host (its per-clone steps repeat 'done')
            const doms = await tpl.deployMany(items.map((x) => ({ ...x.spec, pool })), {
              concurrency,
              signal: inner.signal,
              onProgress: (p) => {
                if (p.completed <= hostDone) return;
                completed += p.completed - hostDone;
                hostDone = p.completed;
                progress({ step: 'deploy', host: conn.uri, name: p.name });
              },
            });
            doms.forEach((d, k) => (made[items[k]!.index] = { name: d.name, domain: d, connection: conn }));
          } catch (e) {
            failure ??= e;
            inner.abort(e);
          }
        }),
      );
    } finally {
      opts.signal?.removeEventListener('abort', onOuter);
    }
    if (failure !== undefined || opts.signal?.aborted) {
      for (const c of made) if (c) await removeClone(c.connection, c.domain).catch(() => undefined);
      for (const r of replicasMade) await r.delete({ localOnly: true }).catch(() => undefined);
      throw failure ?? abortError(opts.signal!);
    }
    progress({ step: 'done' });
    return made as FleetClone[];
  }
}

/** The default placement: most free memory, then most pool space, then fewest placed; first host on a tie. */
function balanced(_spec: DeployOptions, hosts: HostLoad[]): number {
  let best = 0;
  for (let i = 1; i < hosts.length; i++) {
    const a = hosts[i]!;
    const b = hosts[best]!;
    const key = (h: HostLoad) => [h.freeMemoryKiB, h.poolAvailable, -h.placed];
    const ka = key(a);
    const kb = key(b);
    for (let k = 0; k < ka.length; k++) {
      if (ka[k]! > kb[k]!) {
        best = i;
        break;
      }
      if (ka[k]! < kb[k]!) break;
    }
  }
  return best;
}

/** A host's free memory (total less what running domains hold) and its pool's free space. */
async function loadOf(c: Connection, index: number, poolName: string): Promise<HostLoad> {
  const [node, pool, running] = await Promise.all([c.nodeInfo(), c.findPool(poolName), c.domains({ active: true })]);
  if (!pool) throw new VirtkitError('NOT_FOUND', `storage pool '${poolName}' does not exist on ${c.uri}`, { details: { uri: c.uri, pool: poolName } });
  let held = 0;
  for (const d of running) held += (await d.info().catch(() => undefined))?.memoryKiB ?? 0;
  return { index, connection: c, freeMemoryKiB: node.memoryKiB - held, poolAvailable: (await pool.info()).available, placed: 0 };
}
