// A libguestfs session: drives, one appliance, and typed calls into it.
//
// Calls on one Guest run one at a time, in the order made (a promise chain; the native side also
// locks per handle). Different Guests run in parallel, each on one of virtkit's call threads (never libuv's pool).
import { inspect as utilInspect, type InspectOptions } from 'node:util';
import { VirtkitError, callNative, fromNative, invalid } from '../errors.js';
import { accelPlan, noteKvmBroken } from './accel.js';
import { inspectRoots, sortMountpoints, type OsRoot } from './inspect.js';
import { GfsEvent, guestfsCallNames, nativeGuestfs, type NativeGuestfs, type NativeGuestfsEvent } from './native.js';
import {
  checkDrives,
  normalizeOpenOptions,
  type GuestLogKind,
  type GuestOpenOptions,
  type GuestProgress,
  type NormalizedOpenOptions,
} from './options.js';
import { GuestFiles, legacyStat } from './files.js';
import { checkGuestfsArgs } from './check.js';
import { argOptBool, argOptions, argString } from '../args.js';
import { guestfsCallInfo, type GuestfsCalls, type GuestfsReturnType, type GuestfsStatns } from '../generated/guestfs-calls.js';

/** Lifecycle of a {@link Guest}: 'config' (handle made, not launched), 'launching', 'launched', 'closed'. */
export type GuestState = 'config' | 'launching' | 'launched' | 'closed';

/** What {@link Guest.mountRoot} mounted, and what failed to mount. */
export interface MountRootResult {
  /** Filesystems mounted, parents first. */
  mounted: Array<{ mountpoint: string; device: string }>;
  /** Non-root filesystems that would not mount (the root itself failing is an error). */
  failed: Array<{ mountpoint: string; device: string; error: Error }>;
}

const noop = () => {};
const LOG_KINDS: Array<[number, GuestLogKind]> = [
  [GfsEvent.LIBRARY, 'library'],
  [GfsEvent.APPLIANCE, 'appliance'],
  [GfsEvent.WARNING, 'warning'],
  [GfsEvent.TRACE, 'trace'],
];

/**
 * Names written by hand on Guest and GuestFiles (Node's argument order, defaults, option names
 * of their own): these win over the generated method of the same name, whose libguestfs form
 * stays reachable through {@link Guest.call}.
 */
type HandWritten = keyof GuestFiles | 'launch' | 'shutdown';

/** How a generated method turns the native result into its typed one. */
const RESULT: Partial<Record<GuestfsReturnType, (v: unknown) => unknown>> = {
  void: () => undefined,
  bool: (v) => v !== 0,
};

/** Calls whose struct {@link Guest.call} returns in the older camelCase shape ({@link GuestStat}). */
const LEGACY_STAT = new Set(['statns', 'lstatns', 'lstatnslist']);

// Every generated libguestfs call (src/generated/guestfs-calls.ts) is a method of Guest, installed
// on the prototype by the static block below and dispatched through invoke().
export interface Guest extends Omit<GuestfsCalls, HandWritten> {}

/**
 * A libguestfs session: drives added to one appliance (a small VM), and typed calls into it.
 * Calls on one Guest run one at a time in the order made; different Guests run in parallel. Open with {@link Guest.open}, end with {@link Guest.close} or `await using`.
 * Every call rejects with VirtkitError `CLOSED` after close (`ABORTED` after the signal aborted) and with GuestfsError when libguestfs fails.
 */
export class Guest extends GuestFiles {
  static {
    for (const [name, info] of Object.entries(guestfsCallInfo)) {
      if (info.method in Guest.prototype) continue; // written by hand (see HandWritten)
      const conv = RESULT[info.returns];
      const method = {
        [info.method](this: Guest, ...args: unknown[]): Promise<unknown> {
          const p = this.invoke(name, ...args);
          return conv ? p.then(conv) : p;
        },
      }[info.method]!;
      Object.defineProperty(Guest.prototype, info.method, { value: method, writable: true, configurable: true, enumerable: false });
    }
  }

  readonly #opts: NormalizedOpenOptions;
  readonly #onProgress: ((p: GuestProgress) => void) | undefined;
  readonly #onLog: ((line: string, kind: GuestLogKind) => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  #h: NativeGuestfs | undefined;
  #state: GuestState = 'config';
  #accel: 'kvm' | 'tcg' | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #aborted = false;
  #lastActivity = 0;
  #partial = '';
  /** While a KVM probe runs: its recent log lines, to explain a failure better than libguestfs does. */
  #probeTail: string[] | undefined;
  readonly #abortListener = () => this.#abort();

  private constructor(opts: NormalizedOpenOptions, raw: GuestOpenOptions) {
    super();
    this.#opts = opts;
    this.#onProgress = raw.onProgress;
    this.#onLog = raw.onLog;
    this.#signal = raw.signal;
    this.#signal?.addEventListener('abort', this.#abortListener, { once: true });
  }

  /**
   * Validates the options (missing drive: NOT_FOUND, before anything starts), adds the drives and
   * launches the appliance (unless `launch: false`).
   */
  static async open(opts: GuestOpenOptions): Promise<Guest> {
    const n = normalizeOpenOptions(opts);
    nativeGuestfs(); // GUESTFS_UNAVAILABLE before any drive is touched
    await checkDrives(n.drives);
    if (opts.signal?.aborted) throw new VirtkitError('ABORTED', 'Guest.open aborted before it started');
    const g = new Guest(n, opts);
    try {
      if (n.launch) await g.launch();
      else {
        const mode = accelPlan(n.accel)[0]!;
        await g.#fresh(mode, n.accel === 'auto' && mode === 'kvm');
      }
    } catch (e) {
      await g.close().catch(noop);
      throw e;
    }
    return g;
  }

  /** Where the session is in its lifecycle (see {@link GuestState}). */
  get state(): GuestState {
    return this.#state;
  }
  /** The accelerator the appliance runs on, once launched. */
  get accel(): 'kvm' | 'tcg' | undefined {
    return this.#accel;
  }
  /** The drives as added: absolute paths, with `readonly` resolved (default false) and `name` as '/dev/...'. */
  get drives(): ReadonlyArray<{ path: string; format?: string; readonly: boolean; name?: string }> {
    return this.#opts.drives;
  }

  /** Launches the appliance (done by open unless `launch: false`). See accel.ts for 'auto'. */
  launch(): Promise<void> {
    return callNative(() => {
      if (this.#state !== 'config') {
        if (this.#state === 'closed') throw this.#closedError();
        throw new VirtkitError('INVALID_ARGUMENT', `cannot launch: the appliance is ${this.#state}`);
      }
      this.#state = 'launching';
      return this.#enqueue(() => this.#launchAll());
    });
  }

  async #launchAll(): Promise<void> {
    const plan = accelPlan(this.#opts.accel);
    let firstError: Error | undefined;
    for (let i = 0; i < plan.length; i++) {
      const mode = plan[i]!;
      const probe = this.#opts.accel === 'auto' && mode === 'kvm';
      try {
        // A handle whose launch failed is not reused: start from a fresh one.
        if (i > 0 || !this.#h || this.#probeOrModeChanged(mode, probe)) await this.#fresh(mode, probe);
        await this.#launchOnce(probe);
        this.#accel = mode;
        this.#state = 'launched';
        if (firstError) noteKvmBroken(firstError.message);
        if (probe) {
          await callNative(() => this.#h!.call('set_verbose', [false]));
          await callNative(() => this.#h!.setEvents(this.#eventMask(false)));
        }
        return;
      } catch (e) {
        const err = fromNative(e);
        if (this.#aborted) throw new VirtkitError('ABORTED', 'launch aborted', { cause: err });
        if (i === plan.length - 1) {
          await this.#h?.close().catch(noop);
          this.#state = 'closed';
          if (err instanceof VirtkitError && err.code === 'TIMEOUT') throw err;
          throw new VirtkitError('LAUNCH_FAILED', `appliance launch failed (${mode}): ${err.message}`, {
            cause: err,
            details: { accel: mode, ...(firstError ? { kvmError: firstError.message } : {}) },
          });
        }
        const why = (this.#probeTail ?? []).filter((l) => /error|abort|fail/i.test(l) && !/see earlier error/.test(l)).slice(-3);
        firstError = why.length ? new Error(`${firstLine(err.message)}: ${why.join(' | ')}`, { cause: err }) : err;
        this.#log(`virtkit: KVM launch failed (${firstError.message}); retrying with TCG`, 'library');
      }
    }
  }

  #configured: { mode: 'kvm' | 'tcg'; probe: boolean } | undefined;
  #probeOrModeChanged(mode: 'kvm' | 'tcg', probe: boolean): boolean {
    return this.#configured?.mode !== mode || this.#configured.probe !== probe;
  }

  /** A new native handle, configured and with the drives added (the old one, if any, closed). */
  async #fresh(mode: 'kvm' | 'tcg', probe: boolean): Promise<void> {
    if (this.#h) await this.#h.close();
    const h = new (nativeGuestfs().Guestfs)();
    this.#h = h;
    this.#configured = { mode, probe };
    h.setEventHandler((ev) => this.#onEvent(ev));
    const c = (name: string, ...args: unknown[]) => callNative(() => h.call(name, args));
    const o = this.#opts;
    h.setLaunchNice(o.nice);
    await c('set_backend', o.backend);
    for (const s of o.backendSettings) {
      const eq = s.indexOf('=');
      await c('set_backend_setting', eq < 0 ? s : s.slice(0, eq), eq < 0 ? '1' : s.slice(eq + 1));
    }
    // Settings from LIBGUESTFS_BACKEND_SETTINGS may say the opposite: clear it first.
    await c('clear_backend_setting', mode === 'tcg' ? 'force_kvm' : 'force_tcg');
    await c('set_backend_setting', mode === 'tcg' ? 'force_tcg' : 'force_kvm', '1');
    if (o.memsizeMiB !== undefined) await c('set_memsize', o.memsizeMiB);
    if (o.smp !== undefined) await c('set_smp', o.smp);
    if (o.trace) await c('set_trace', true);
    // The KVM probe needs the appliance's console to tell "slow" from "hung".
    if (probe) await c('set_verbose', true);
    await callNative(() => h.setEvents(this.#eventMask(probe)));
    for (const d of o.drives) {
      await c('add_drive', d.path, {
        readonly: d.readonly,
        ...(d.format !== undefined ? { format: d.format } : {}),
        ...(d.name !== undefined ? { name: d.name } : {}),
      });
    }
  }

  #eventMask(probe: boolean): number {
    let mask = 0;
    if (this.#onProgress) mask |= GfsEvent.PROGRESS;
    if (this.#onLog || probe) mask |= GfsEvent.LIBRARY | GfsEvent.APPLIANCE | GfsEvent.WARNING;
    if (this.#onLog && this.#opts.trace) mask |= GfsEvent.TRACE;
    return mask;
  }

  async #launchOnce(probe: boolean): Promise<void> {
    const h = this.#h!;
    const { launchTimeoutMs, kvmProbeSilenceMs } = this.#opts;
    const started = Date.now();
    this.#lastActivity = started;
    let timedOut: string | undefined;
    this.#probeTail = probe ? [] : undefined;
    const timer = setInterval(() => {
      const now = Date.now();
      if (launchTimeoutMs !== undefined && now - started > launchTimeoutMs) timedOut = `launch took longer than ${launchTimeoutMs} ms`;
      else if (probe && now - this.#lastActivity > kvmProbeSilenceMs) timedOut = `KVM launch silent for ${kvmProbeSilenceMs} ms (hung?)`;
      // Before qemu has started there is nothing to kill yet: try again on the next tick.
      if (timedOut) h.killAppliance();
    }, 250);
    timer.unref();
    try {
      await h.call('launch', []);
    } catch (e) {
      if (timedOut) throw new VirtkitError('TIMEOUT', timedOut, { cause: fromNative(e) });
      throw e;
    } finally {
      clearInterval(timer);
    }
    this.#probeTail = undefined;
  }

  #onEvent(ev: NativeGuestfsEvent): void {
    this.#lastActivity = Date.now();
    try {
      if (ev.event === GfsEvent.PROGRESS) {
        this.#onProgress?.({ position: ev.position ?? 0, total: ev.total ?? 0, procNr: ev.procNr ?? 0, serial: ev.serial ?? 0 });
        return;
      }
      const kind = LOG_KINDS.find(([bit]) => bit === ev.event)?.[1];
      if (this.#probeTail && ev.buf) {
        this.#probeTail.push(...ev.buf.split('\n').filter(Boolean));
        this.#probeTail.splice(0, Math.max(0, this.#probeTail.length - 50));
      }
      if (!kind || !this.#onLog || ev.buf === undefined) return;
      if (kind === 'appliance') {
        // Console output arrives in arbitrary chunks: deliver whole lines.
        const text = this.#partial + ev.buf.replace(/\r/g, '');
        const lines = text.split('\n');
        this.#partial = lines.pop() ?? '';
        for (const l of lines) this.#onLog(l, kind);
      } else {
        for (const l of ev.buf.replace(/\r/g, '').replace(/\n$/, '').split('\n')) this.#onLog(l, kind);
      }
    } catch {
      // A listener's exception must not break the call that produced the event.
    }
  }

  #log(line: string, kind: GuestLogKind): void {
    try {
      this.#onLog?.(line, kind);
    } catch {
      /* ignored, as for events */
    }
  }

  // ---- calls ----

  #closedError(): VirtkitError {
    return this.#aborted ? new VirtkitError('ABORTED', 'the guest session was aborted') : new VirtkitError('CLOSED', 'the guest session is closed');
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(job);
    this.#tail = p.then(noop, noop);
    return p;
  }

  /**
   * The one path of every libguestfs call: arguments checked against the C signature (before
   * anything is queued, in any state), queued, typed errors with the caller's stack.
   */
  protected override invoke(name: string, ...args: unknown[]): Promise<unknown> {
    return callNative(() => {
      checkGuestfsArgs(name, args);
      if (this.#state === 'closed') throw this.#closedError();
      return this.#enqueue(async () => {
        // Queued before close(): still runs, unless the session was aborted meanwhile.
        if (this.#aborted || !this.#h || this.#h.isClosed()) throw this.#closedError();
        try {
          return await this.#h.call(name, args);
        } catch (e) {
          if (this.#aborted) throw new VirtkitError('ABORTED', `${name} aborted`, { cause: fromNative(e) });
          throw e;
        }
      });
    });
  }

  /**
   * Escape hatch: any call of the native table by its libguestfs name and argument order; the
   * result as the native layer gives it (booleans and void as numbers). statns, lstatns and
   * lstatnslist keep the older camelCase shape here ({@link GuestStat}); their typed methods
   * return the C field names.
   */
  async call(name: string, ...args: unknown[]): Promise<unknown> {
    argString('name', name, { nonEmpty: true });
    if (!guestfsCallNames().has(name)) throw invalid(`unknown libguestfs call '${name}'`, { argument: 'name', name });
    const r = await this.invoke(name, ...args);
    if (!LEGACY_STAT.has(name)) return r;
    return Array.isArray(r) ? r.map((s: GuestfsStatns) => legacyStat(s)) : legacyStat(r as GuestfsStatns);
  }

  /** Finds operating systems; [] when none. */
  inspect(): Promise<OsRoot[]> {
    return inspectRoots((name, ...args) => this.invoke(name, ...args));
  }

  /** Mounts a root's filesystems, parents first. The root filesystem must mount; others may fail. */
  async mountRoot(root: OsRoot | string, opts: { readonly?: boolean } = {}): Promise<MountRootResult> {
    if (typeof root === 'string') argString('root', root, { nonEmpty: true });
    else if (!root || typeof root !== 'object' || !Array.isArray(root.mountpoints))
      throw invalid('root must be an OsRoot (from inspect()) or a root device name', { argument: 'root' });
    argOptions('opts', opts);
    argOptBool('opts.readonly', opts.readonly);
    const mps =
      typeof root === 'string'
        ? sortMountpoints((await this.invoke('inspect_get_mountpoints', root)) as Record<string, string>)
        : root.mountpoints;
    if (!mps.some((m) => m.mountpoint === '/')) throw invalid('this root has no / mountpoint', { root: typeof root === 'string' ? root : root.root });
    const result: MountRootResult = { mounted: [], failed: [] };
    for (const m of mps) {
      try {
        if (opts.readonly) await this.invoke('mount_ro', m.device, m.mountpoint);
        else await this.invoke('mount', m.device, m.mountpoint);
        result.mounted.push(m);
      } catch (e) {
        if (m.mountpoint === '/') throw e;
        result.failed.push({ ...m, error: e as Error });
      }
    }
    return result;
  }

  /** Flushes and stops the appliance, surfacing write-back errors, then closes. */
  async shutdown(): Promise<void> {
    try {
      if (this.#state === 'launched') await this.invoke('shutdown');
    } finally {
      await this.close();
    }
  }

  /** Idempotent. Waits for calls already queued, then closes the handle (qemu is stopped). */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#state = 'closed';
      this.#signal?.removeEventListener('abort', this.#abortListener);
      this.#closing = this.#tail.then(async () => {
        await this.#h?.close();
        if (this.#partial) this.#log(this.#partial, 'appliance');
        this.#partial = '';
      });
    }
    return this.#closing;
  }

  /** Same as {@link Guest.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #abort(): void {
    if (this.#aborted || this.#state === 'closed') return;
    this.#aborted = true;
    // Killing qemu makes the running call fail at once; close() then waits only for that.
    this.#h?.killAppliance();
    void this.close().catch(noop);
  }

  /** Short form for console.log and the REPL: state, accelerator and drives. */
  [utilInspect.custom](_depth: number, options: InspectOptions, fmt: typeof utilInspect): string {
    const drives = this.#opts.drives.map((d) => `${d.path} (${d.format ?? 'auto'}${d.readonly ? ', ro' : ''})`);
    return `Guest ${fmt({ state: this.#state, accel: this.#accel, drives }, options)}`;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
