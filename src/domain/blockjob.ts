// Block jobs (pull, commit, copy, rebase) as handles: progress() reads virDomainGetBlockJobInfo;
// wait() learns the outcome from the block-job event (src/domain/block-job-events.ts) and polls
// only for onProgress, or when the driver sends no events; an AbortSignal cancels the job.
import { existsSync } from 'node:fs';
import { inspect } from 'node:util';
import { rm } from 'node:fs/promises';
import type { NativeDomain } from '../native.js';
import type { Core } from '../core.js';
import { VirtkitError, invalid, isVirtError } from '../errors.js';
import { argOptBool, argOptFunction, argOptInt, argOptions, argOptSignal, argOptString, argOptTimeout, argString, argUint64, SAFE_UINT, UINT32 } from '../args.js';
import { abortError, sleep } from '../util/abort.js';
import { DomainXml } from '../xml/domain.js';
import { copyDestXml } from '../xml/device-spec.js';
import { type BlockJobNotice, blockJobEvents } from './block-job-events.js';
import {
  virDomainBlockCommitFlags as BC, virDomainBlockCopyFlags as BY, virDomainBlockJobAbortFlags as BA,
  virDomainBlockPullFlags as BP, virDomainBlockRebaseFlags as BR,
} from '../generated/libvirt-enums.js';

/** The kind of a block job, as libvirt's events name it. */
export type BlockJobType = 'pull' | 'copy' | 'commit' | 'active_commit';

/** Where a job is: `cur` of `end` units (bytes for QEMU), `fraction` 0..1. */
export interface BlockJobProgress {
  disk: string;
  type: BlockJobType;
  cur: bigint;
  end: bigint;
  fraction: number;
  /** Speed limit, bytes/s (0: none). */
  bandwidth: number;
}

/** Options of {@link BlockJob.wait}. */
export interface BlockJobWaitOptions {
  /** Cancels the job (virDomainBlockJobAbort) and rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Called with the job's progress every `intervalMs` while it runs. */
  onProgress?: (p: BlockJobProgress) => void;
  /** How often progress is read (and, without events, the job polled), ms; default 250. */
  intervalMs?: number;
  /** Give up waiting (the job goes on) with `TIMEOUT`; default: no limit. */
  timeoutMs?: number;
  /**
   * For a copy or an active commit, which reach 'ready' and then mirror until told: pivot to the
   * new image once ready and wait for completion. Default false: resolve at 'ready'.
   */
  pivot?: boolean;
}

/** How {@link BlockJob.wait} ended. */
export interface BlockJobResult {
  disk: string;
  type: BlockJobType;
  /** 'completed' (the job ended, its work done) or 'ready' (a copy or active commit now mirrors). */
  status: 'completed' | 'ready';
}

/** Speed limit of a job in bytes per second (0 or absent: none). */
export interface BandwidthOption {
  bandwidth?: number;
}

/** Options of {@link Domain.blockPull}. */
export interface BlockPullOptions extends BandwidthOption {
  /** Pull only the layers above this backing image (a path or `vda[2]`); default: all. */
  base?: string;
}
/** Options of {@link Domain.blockCommit}. */
export interface BlockCommitOptions extends BandwidthOption {
  /** The image to commit into (path or `vda[N]`); default: the bottom of the chain. */
  base?: string;
  /** The top of what is committed; default: the active layer (an active commit). */
  top?: string;
  /** Commit only `top` into its own backing file. */
  shallow?: boolean;
  /** Delete the committed images once the job completes. */
  delete?: boolean;
  /** Keep the backing file names relative. */
  relative?: boolean;
}
/** Options of {@link Domain.blockCopy}. */
export interface BlockCopyOptions extends BandwidthOption {
  /** Copy only the top image (the destination gets the same backing chain). */
  shallow?: boolean;
  /** The destination exists already (made by the caller, with the right size and format). */
  reuseExisting?: boolean;
  /** A job that need not survive a restart of the domain (lets a persistent domain copy). */
  transient?: boolean;
  /** Granularity of the dirty bitmap, bytes (a power of two from 512 to 64 MiB). */
  granularity?: number;
  /** Copy buffer size, bytes. */
  bufSize?: number;
  /** Guest writes go to both images before they complete. */
  syncWrites?: boolean;
}
/** Options of {@link Domain.blockRebase}. */
export interface BlockRebaseOptions extends BandwidthOption {
  shallow?: boolean;
  relative?: boolean;
}

/** A block job on one disk. Obtain it from a Domain (blockPull, blockCommit, blockCopy, blockRebase). */
export class BlockJob {
  readonly #core: Core;
  readonly #n: NativeDomain;
  /** The disk's target, e.g. 'vda' (the name events carry). */
  readonly disk: string;
  readonly type: BlockJobType;
  #off?: () => void;
  #terminal?: string; // completed | failed | canceled
  #ready = false;
  #lost = false;
  #wake?: () => void;
  /** A destination file this job's start made (a copy on a local daemon): removed when the job is cancelled. */
  #made?: string;

  /** @internal Subscribed before the job starts, so no event can come first. */
  constructor(core: Core, n: NativeDomain, uuid: string, disk: string, type: BlockJobType) {
    this.#core = core;
    this.#n = n;
    this.disk = disk;
    this.type = type;
    if (core.domains.enabled) {
      this.#off = blockJobEvents(core).subscribe(uuid, (e) => this.#notice(e));
    }
  }

  #notice(e: BlockJobNotice | 'lost'): void {
    if (e === 'lost') this.#lost = true;
    else if (e.disk === this.disk) {
      if (e.status === 'ready') this.#ready = true;
      else if (e.status === 'completed' || e.status === 'failed' || e.status === 'canceled') {
        this.#terminal = e.status;
        this.#stop();
      }
    }
    this.#wake?.();
  }
  #stop(): void {
    this.#off?.();
    this.#off = undefined;
  }
  /** Events tell this job's outcome. */
  get #evented(): boolean {
    return this.#off !== undefined || (this.#terminal !== undefined && !this.#lost);
  }

  /** @internal Stops listening (the start call failed) and removes what the start made. */
  async _dispose(): Promise<void> {
    this.#stop();
    await this.#removeMade();
  }
  /** @internal */
  _made(path: string): void {
    this.#made = path;
  }
  async #removeMade(): Promise<void> {
    const p = this.#made;
    this.#made = undefined;
    if (p) await rm(p, { force: true }).catch(() => undefined);
  }

  /** Where the job is now, or undefined once it has ended. */
  async progress(): Promise<BlockJobProgress | undefined> {
    const i = await this.#core.call(() => this.#n.getBlockJobInfo(this.disk, 1 /* BANDWIDTH_BYTES */));
    if (!i) return undefined;
    const end = i.end;
    return { disk: this.disk, type: this.type, cur: i.cur, end, fraction: end > 0n ? Number((i.cur * 10000n) / end) / 10000 : 0, bandwidth: i.bandwidth };
  }

  /**
   * Resolves when the job has completed (pull, commit) or is ready (copy, active commit; with
   * `pivot`, once pivoted and completed). Rejects with `BLOCK_JOB_FAILED` when the job fails or is
   * canceled by someone else, `ABORTED` (after cancelling the job) on the signal, `TIMEOUT`.
   */
  async wait(opts: BlockJobWaitOptions = {}): Promise<BlockJobResult> {
    const o = argOptions('opts', opts);
    const signal = argOptSignal('opts.signal', o.signal);
    const onProgress = argOptFunction<(p: BlockJobProgress) => void>('opts.onProgress', o.onProgress);
    const intervalMs = argOptTimeout('opts.intervalMs', o.intervalMs, 250, { min: 10, max: 60_000 });
    const timeoutMs = argOptTimeout('opts.timeoutMs', o.timeoutMs, 0);
    const pivot = argOptBool('opts.pivot', o.pivot) ?? false;
    const mirrors = this.type === 'copy' || this.type === 'active_commit';
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    let pivoted = false;
    let goneAt: number | undefined;
    const onAbort = () => this.#wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (signal?.aborted) {
          await this.abort().catch(() => undefined); // the job may have ended meanwhile
          throw abortError(signal);
        }
        if (this.#terminal === 'completed') return { disk: this.disk, type: this.type, status: 'completed' };
        if (this.#terminal) throw this.#failure(this.#terminal);
        if (this.#ready && mirrors && !pivoted) {
          if (!pivot) return { disk: this.disk, type: this.type, status: 'ready' };
          pivoted = true;
          try {
            await this.abort({ pivot: true });
          } catch (e) {
            // Polling guessed 'ready' from cur === end; libvirt knows better: keep waiting.
            if (this.#evented || !isVirtError(e)) throw e;
            pivoted = false;
            this.#ready = false;
            await sleep(intervalMs, signal).catch(() => undefined);
            continue;
          }
          if (!this.#evented) return { disk: this.disk, type: this.type, status: 'completed' };
          continue;
        }
        const p = await this.progress();
        if (p) {
          goneAt = undefined;
          onProgress?.(p);
          // Without events, a mirroring job is ready once it has caught up.
          if (!this.#evented && mirrors && p.end > 0n && p.cur === p.end) this.#ready = true;
        } else {
          // The job is gone. With events its outcome is on the way (give it a moment);
          // without, a job that vanished has completed (libvirt keeps a failed one reported).
          if (!this.#evented || (goneAt !== undefined && Date.now() - goneAt > 2000)) {
            this.#stop();
            return { disk: this.disk, type: this.type, status: 'completed' };
          }
          goneAt ??= Date.now();
        }
        if (Date.now() >= deadline) throw new VirtkitError('TIMEOUT', `the ${this.type} job on ${this.disk} did not finish within ${timeoutMs} ms`, { details: { disk: this.disk, timeoutMs } });
        if (this.#terminal || signal?.aborted || (this.#ready && mirrors && !pivoted)) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, Math.max(1, Math.min(intervalMs, deadline - Date.now())));
          function done() {
            clearTimeout(t);
            resolve();
          }
          this.#wake = done;
        });
        this.#wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #failure(status: string): VirtkitError {
    return new VirtkitError('BLOCK_JOB_FAILED', `the ${this.type} job on ${this.disk} ${status === 'canceled' ? 'was canceled' : 'failed'}`, {
      details: { disk: this.disk, type: this.type, status },
    });
  }

  /**
   * Ends the job: cancels it, or with `pivot` (a ready copy or active commit) switches the disk to
   * the new image. libvirt waits for the job to end before this resolves.
   */
  async abort(opts: { pivot?: boolean } = {}): Promise<void> {
    const pivot = argOptBool('opts.pivot', argOptions('opts', opts).pivot);
    await this.#core.call(() => this.#n.blockJobAbort(this.disk, pivot ? BA.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT : 0));
    if (!this.#evented) this.#stop();
    if (pivot) this.#made = undefined; // the disk now lives on it
    else await this.#removeMade();
  }
  /** Same as `abort({ pivot: true })`. */
  pivot(): Promise<void> {
    return this.abort({ pivot: true });
  }
  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    const state = this.#terminal ?? (this.#ready ? 'ready' : 'running');
    return `BlockJob { disk: '${this.disk}', type: '${this.type}', state: '${state}' }`;
  }
  /** Changes the job's speed limit, bytes/s (0: none). */
  async setSpeed(bytesPerSecond: number): Promise<void> {
    argUint64('bytesPerSecond', bytesPerSecond);
    await this.#core.call(() => this.#n.blockJobSetSpeed(this.disk, bytesPerSecond, 1 /* BANDWIDTH_BYTES */));
  }
}

// The target name of `disk` (a target or a source path), which is what block-job events carry.
async function targetOf(core: Core, n: NativeDomain, disk: string): Promise<string> {
  if (!disk.includes('/')) return disk.replace(/\[\d+\]$/, '');
  const xml = new DomainXml(await core.call(() => n.getXMLDesc(0)));
  const d = xml.disks.find((x) => x.path === disk);
  if (!d?.target) throw invalid(`the domain has no disk with source ${JSON.stringify(disk)}`, { argument: 'disk' });
  return d.target;
}

async function start(core: Core, n: NativeDomain, uuid: string, disk: string, type: BlockJobType, run: (target: string) => Promise<void>, makes?: string): Promise<BlockJob> {
  const target = await targetOf(core, n, disk);
  const job = new BlockJob(core, n, uuid, target, type);
  // A file the daemon creates for this job, on this machine: cancelling the job removes it.
  if (makes !== undefined && core.isLocal && !existsSync(makes)) job._made(makes);
  try {
    await core.call(() => run(target), { long: type === 'copy' });
  } catch (e) {
    await job._dispose();
    throw e;
  }
  return job;
}

function bandwidthOf(o: BandwidthOption): number {
  return argOptInt('opts.bandwidth', o.bandwidth, SAFE_UINT) ?? 0;
}

/** @internal */
export async function blockPull(core: Core, n: NativeDomain, uuid: string, disk: string, opts?: BlockPullOptions): Promise<BlockJob> {
  argString('disk', disk, { nonEmpty: true });
  const o = argOptions('opts', opts);
  const base = argOptString('opts.base', o.base, { nonEmpty: true });
  const bw = bandwidthOf(o);
  return start(core, n, uuid, disk, 'pull', (t) =>
    base === undefined ? n.blockPull(t, bw, BP.VIR_DOMAIN_BLOCK_PULL_BANDWIDTH_BYTES) : n.blockRebase(t, base, bw, BR.VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES),
  );
}

/** @internal */
export async function blockRebase(core: Core, n: NativeDomain, uuid: string, disk: string, base: string | null, opts?: BlockRebaseOptions): Promise<BlockJob> {
  argString('disk', disk, { nonEmpty: true });
  if (base !== null) argString('base', base, { nonEmpty: true });
  const o = argOptions('opts', opts);
  const flags =
    BR.VIR_DOMAIN_BLOCK_REBASE_BANDWIDTH_BYTES |
    (argOptBool('opts.shallow', o.shallow) ? BR.VIR_DOMAIN_BLOCK_REBASE_SHALLOW : 0) |
    (argOptBool('opts.relative', o.relative) ? BR.VIR_DOMAIN_BLOCK_REBASE_RELATIVE : 0);
  const bw = bandwidthOf(o);
  return start(core, n, uuid, disk, 'pull', (t) => n.blockRebase(t, base, bw, flags));
}

/** @internal An active commit (of the top layer) unless `top` names a lower one. */
export async function blockCommit(core: Core, n: NativeDomain, uuid: string, disk: string, opts?: BlockCommitOptions): Promise<BlockJob> {
  argString('disk', disk, { nonEmpty: true });
  const o = argOptions('opts', opts);
  const base = argOptString('opts.base', o.base, { nonEmpty: true }) ?? null;
  const top = argOptString('opts.top', o.top, { nonEmpty: true }) ?? null;
  const bw = bandwidthOf(o);
  const active = top === null;
  const flags =
    BC.VIR_DOMAIN_BLOCK_COMMIT_BANDWIDTH_BYTES |
    (active ? BC.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE : 0) |
    (argOptBool('opts.shallow', o.shallow) ? BC.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW : 0) |
    (argOptBool('opts.delete', o.delete) ? BC.VIR_DOMAIN_BLOCK_COMMIT_DELETE : 0) |
    (argOptBool('opts.relative', o.relative) ? BC.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE : 0);
  return start(core, n, uuid, disk, active ? 'active_commit' : 'commit', (t) => n.blockCommit(t, base, top, bw, flags));
}

/** @internal `dest`: a path (format: libvirt's choice, raw unless told) or `{ path, format, type }`. */
export async function blockCopy(
  core: Core, n: NativeDomain, uuid: string, disk: string,
  dest: string | { path: string; format?: string; type?: 'file' | 'block' }, opts?: BlockCopyOptions,
): Promise<BlockJob> {
  argString('disk', disk, { nonEmpty: true });
  const d = typeof dest === 'string' ? { path: dest } : dest;
  const destXml = copyDestXml(d, 'dest');
  const o = argOptions('opts', opts);
  const params: Record<string, number> = {};
  const bw = bandwidthOf(o);
  if (bw) params.bandwidth = bw;
  const gran = argOptInt('opts.granularity', o.granularity, { min: 512, max: 64 * 2 ** 20 });
  if (gran !== undefined) {
    if ((gran & (gran - 1)) !== 0) throw invalid('opts.granularity must be a power of two', { argument: 'opts.granularity' });
    params.granularity = gran;
  }
  const buf = argOptInt('opts.bufSize', o.bufSize, { min: 1, max: UINT32.max });
  if (buf !== undefined) params['buf-size'] = buf;
  const flags =
    (argOptBool('opts.shallow', o.shallow) ? BY.VIR_DOMAIN_BLOCK_COPY_SHALLOW : 0) |
    (argOptBool('opts.reuseExisting', o.reuseExisting) ? BY.VIR_DOMAIN_BLOCK_COPY_REUSE_EXT : 0) |
    (argOptBool('opts.transient', o.transient) ? BY.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB : 0) |
    (argOptBool('opts.syncWrites', o.syncWrites) ? BY.VIR_DOMAIN_BLOCK_COPY_SYNCHRONOUS_WRITES : 0);
  const makes = (d.type ?? 'file') === 'file' && !o.reuseExisting ? d.path : undefined;
  return start(core, n, uuid, disk, 'copy', (t) => n.blockCopy(t, destXml, params, flags), makes);
}

