// Domain statistics: virConnectGetAllDomainStats / virDomainListGetStats records (flat typed
// parameters such as `block.0.rd.bytes`) turned into typed objects with per-device arrays, and the
// older per-call stats (virDomainMemoryStats, virDomainBlockStats, virDomainInterfaceStats).
// Generic over the domain wrapper so that this file needs nothing of domain.ts (no import cycle).
import type { DomainStatsRecord, NativeConnect, NativeDomain, TypedParams } from '../native.js';
import type { Core } from '../core.js';
import { argEnum, argOptBool, argOptions, argString } from '../args.js';
import { invalid } from '../errors.js';
import { domainStates, pausedReasons, runningReasons, shutoffReasons } from '../generated/libvirt-tables.js';
import { virConnectGetAllDomainStatsFlags as SF, virConnectListAllDomainsFlags as LF, virDomainMemoryStatTags as MT, virDomainStatsTypes as G } from '../generated/libvirt-enums.js';

/** A stats group (VIR_DOMAIN_STATS_*), lower-case. */
export type StatsGroup = 'state' | 'cpu' | 'balloon' | 'vcpu' | 'interface' | 'block' | 'perf' | 'iothread' | 'memory' | 'dirtyrate' | 'vm';
/** Every group, in libvirt's order. */
export const STATS_GROUPS: readonly StatsGroup[] = ['state', 'cpu', 'balloon', 'vcpu', 'interface', 'block', 'perf', 'iothread', 'memory', 'dirtyrate', 'vm'];
const GROUP_BITS: Record<StatsGroup, number> = {
  state: G.VIR_DOMAIN_STATS_STATE,
  cpu: G.VIR_DOMAIN_STATS_CPU_TOTAL,
  balloon: G.VIR_DOMAIN_STATS_BALLOON,
  vcpu: G.VIR_DOMAIN_STATS_VCPU,
  interface: G.VIR_DOMAIN_STATS_INTERFACE,
  block: G.VIR_DOMAIN_STATS_BLOCK,
  perf: G.VIR_DOMAIN_STATS_PERF,
  iothread: G.VIR_DOMAIN_STATS_IOTHREAD,
  memory: G.VIR_DOMAIN_STATS_MEMORY,
  dirtyrate: G.VIR_DOMAIN_STATS_DIRTYRATE,
  vm: G.VIR_DOMAIN_STATS_VM,
};

/** Options of {@link Domain.stats}. */
export interface StatsOptions {
  /** The groups to collect (default: every group the driver supports). */
  groups?: StatsGroup[];
  /** Fail (VirtError) when the driver does not support one of `groups`, instead of leaving it out. */
  enforce?: boolean;
  /** Also report each disk's backing chain (more `block` entries, with `backingIndex`). */
  backing?: boolean;
  /** Do not wait for a domain job in progress (QEMU): stats that need the monitor may be missing. */
  nowait?: boolean;
}

/** Options of {@link Connection.domainStats}: which groups, and which domains when none are given. */
export interface DomainStatsOptions extends StatsOptions {
  /** Only running, paused, ... domains (several: any of them). Default: all. */
  active?: boolean;
  inactive?: boolean;
  persistent?: boolean;
  transient?: boolean;
  running?: boolean;
  paused?: boolean;
  shutoff?: boolean;
  /** Domains in another state (shutdown, crashed, ...). */
  other?: boolean;
}

/** One vCPU in the `vcpu` group. */
export interface VcpuStats {
  index: number;
  /** 0 offline, 1 running, 2 blocked (virVcpuState). */
  state?: number;
  /** Host CPU time, ns. */
  timeNs?: bigint;
  /** Time waiting for a host CPU, ns. */
  waitNs?: bigint;
  /** The vCPU is halted (idle in the guest). */
  halted?: boolean;
  /** Time spent waiting on a run queue, ns. */
  delayNs?: bigint;
}

/** One network interface in the `interface` group. */
export interface InterfaceStatsEntry {
  /** Host-side device name (e.g. vnet0). */
  name: string;
  rxBytes?: bigint;
  rxPackets?: bigint;
  rxErrs?: bigint;
  rxDrop?: bigint;
  txBytes?: bigint;
  txPackets?: bigint;
  txErrs?: bigint;
  txDrop?: bigint;
}

/** One disk (or one layer of its backing chain) in the `block` group. */
export interface BlockStatsEntry {
  /** Target name, e.g. 'vda'. */
  name: string;
  /** Host path of the image. */
  path?: string;
  /** Index in the backing chain (0: the top image); only with `backing`. */
  backingIndex?: number;
  rdReqs?: bigint;
  rdBytes?: bigint;
  rdTimesNs?: bigint;
  wrReqs?: bigint;
  wrBytes?: bigint;
  wrTimesNs?: bigint;
  flReqs?: bigint;
  flTimesNs?: bigint;
  errors?: bigint;
  /** Bytes allocated (highest written offset for a qcow2 on a block device). */
  allocation?: bigint;
  /** Logical size, bytes. */
  capacity?: bigint;
  /** Host file or device size, bytes. */
  physical?: bigint;
  /** Write threshold event level, bytes. */
  threshold?: bigint;
}

/** A domain's statistics. A group the driver did not report (or was not asked) is absent. */
export interface DomainStats<D> {
  /** The domain these stats are of. */
  domain: D;
  state?: { state: string; reason: string };
  /** Total CPU time of the domain, ns (`cpu.time`), and its user and system parts. */
  cpu?: { timeNs?: bigint; userNs?: bigint; systemNs?: bigint };
  /** Balloon: current and maximum memory in KiB, plus the guest's own memory stats when it reports them. */
  balloon?: MemoryStats & { currentKiB?: number; maximumKiB?: number };
  vcpu?: { current?: number; maximum?: number; vcpus: VcpuStats[] };
  interfaces?: InterfaceStatsEntry[];
  block?: BlockStatsEntry[];
  /** Every parameter as libvirt sent it, typed keys included (perf.*, iothread.*, memory.*, dirtyrate.*, vm.*). */
  raw: TypedParams;
}

/** The guest's memory statistics (virDomainMemoryStats; the balloon driver reports them). Sizes in KiB. */
export interface MemoryStats {
  /** Memory the balloon gives the guest now. */
  actualKiB?: number;
  swapInKiB?: number;
  swapOutKiB?: number;
  majorFaults?: number;
  minorFaults?: number;
  /** Memory the guest leaves unused. */
  unusedKiB?: number;
  /** Memory the guest sees. */
  availableKiB?: number;
  /** Resident set size of the host process. */
  rssKiB?: number;
  /** What the guest could use without swapping. */
  usableKiB?: number;
  /** When the guest last updated these, seconds since the epoch. */
  lastUpdate?: number;
  diskCachesKiB?: number;
  hugetlbPgalloc?: number;
  hugetlbPgfail?: number;
}

/** Per-disk counters (virDomainBlockStats). -1 from libvirt (not supported) is left out. */
export interface BlockStats {
  rdReqs?: bigint;
  rdBytes?: bigint;
  wrReqs?: bigint;
  wrBytes?: bigint;
  errors?: bigint;
}

/** Per-interface counters (virDomainInterfaceStats). -1 from libvirt (not supported) is left out. */
export interface InterfaceStats {
  rxBytes?: bigint;
  rxPackets?: bigint;
  rxErrs?: bigint;
  rxDrop?: bigint;
  txBytes?: bigint;
  txPackets?: bigint;
  txErrs?: bigint;
  txDrop?: bigint;
}

function argEnumList<T extends string>(name: string, v: unknown, allowed: readonly T[]): T[] {
  if (!Array.isArray(v)) throw invalid(`${name} must be an array`, { argument: name });
  return v.map((g, i) => argEnum(`${name}[${i}]`, g, allowed));
}

/** @internal The `stats` bits and the flags for the native call. */
export function statsFlags(opts: DomainStatsOptions | undefined, withFilter: boolean): { stats: number; flags: number } {
  const o = argOptions('opts', opts);
  const groups = o.groups === undefined ? undefined : argEnumList('opts.groups', o.groups, STATS_GROUPS);
  const stats = (groups ?? []).reduce((acc, g) => acc | GROUP_BITS[g], 0);
  let flags = 0;
  const bit = (k: keyof DomainStatsOptions, v: number) => {
    if (argOptBool(`opts.${k}`, o[k])) flags |= v;
  };
  bit('enforce', SF.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS);
  bit('backing', SF.VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING);
  bit('nowait', SF.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT);
  // The filter bits of virConnectGetAllDomainStats are the virConnectListAllDomains ones.
  const filters = [
    ['active', LF.VIR_CONNECT_LIST_DOMAINS_ACTIVE], ['inactive', LF.VIR_CONNECT_LIST_DOMAINS_INACTIVE],
    ['persistent', LF.VIR_CONNECT_LIST_DOMAINS_PERSISTENT], ['transient', LF.VIR_CONNECT_LIST_DOMAINS_TRANSIENT],
    ['running', LF.VIR_CONNECT_LIST_DOMAINS_RUNNING], ['paused', LF.VIR_CONNECT_LIST_DOMAINS_PAUSED],
    ['shutoff', LF.VIR_CONNECT_LIST_DOMAINS_SHUTOFF], ['other', LF.VIR_CONNECT_LIST_DOMAINS_OTHER],
  ] as const;
  for (const [k, v] of filters) {
    if (!withFilter) {
      if (o[k] !== undefined) argOptBool(`opts.${k}`, o[k]);
      continue;
    }
    bit(k, v);
  }
  return { stats, flags: flags >>> 0 };
}

const big = (v: unknown): bigint | undefined =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function lower(name: string | undefined, prefix: RegExp, fallback: number): string {
  return name ? name.replace(prefix, '').toLowerCase() : String(fallback);
}
function stateOf(state: number, reason: number): { state: string; reason: string } {
  const table = state === 1 ? runningReasons : state === 5 ? shutoffReasons : state === 3 ? pausedReasons : undefined;
  return {
    state: lower(domainStates[state], /^VIR_DOMAIN_/, state),
    reason: lower(table?.[reason], /^VIR_DOMAIN_(RUNNING|SHUTOFF|PAUSED)_/, reason),
  };
}

/** Drops the fields left undefined (a counter libvirt did not send). */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** `prefix.<i>.<rest>` keys grouped by index, in index order (count from `prefix.count` when given). */
function indexed(p: TypedParams, prefix: string): Map<number, Record<string, unknown>> {
  const out = new Map<number, Record<string, unknown>>();
  const re = new RegExp(`^${prefix}\\.(\\d+)\\.(.+)$`);
  for (const [k, v] of Object.entries(p)) {
    const m = re.exec(k);
    if (!m) continue;
    const i = Number(m[1]);
    let e = out.get(i);
    if (!e) out.set(i, (e = {}));
    e[m[2]!] = v;
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

const MEMORY_KEYS: Record<string, keyof MemoryStats> = {
  actual: 'actualKiB', swap_in: 'swapInKiB', swap_out: 'swapOutKiB', major_fault: 'majorFaults', minor_fault: 'minorFaults',
  unused: 'unusedKiB', available: 'availableKiB', rss: 'rssKiB', usable: 'usableKiB', 'last-update': 'lastUpdate',
  disk_caches: 'diskCachesKiB', hugetlb_pgalloc: 'hugetlbPgalloc', hugetlb_pgfail: 'hugetlbPgfail',
};

/** Parses one record's flat parameters (exported for tests: pure). */
export function parseStatsParams<D>(domain: D, p: TypedParams): DomainStats<D> {
  const out: DomainStats<D> = { domain, raw: p };
  const has = (prefix: string) => Object.keys(p).some((k) => k.startsWith(prefix));
  if (p['state.state'] !== undefined) out.state = stateOf(num(p['state.state']) ?? 0, num(p['state.reason']) ?? 0);
  if (has('cpu.')) out.cpu = defined({ timeNs: big(p['cpu.time']), userNs: big(p['cpu.user']), systemNs: big(p['cpu.system']) });
  if (has('balloon.')) {
    const b: DomainStats<D>['balloon'] = { currentKiB: num(p['balloon.current']), maximumKiB: num(p['balloon.maximum']) };
    for (const [k, f] of Object.entries(MEMORY_KEYS)) if (k !== 'actual') b[f] = num(p[`balloon.${k}`]);
    out.balloon = defined(b);
  }
  if (has('vcpu.')) {
    const vcpus = [...indexed(p, 'vcpu').entries()].map(([index, e]) =>
      defined<VcpuStats>({ index, state: num(e.state), timeNs: big(e.time), waitNs: big(e.wait), halted: typeof e.halted === 'boolean' ? e.halted : undefined, delayNs: big(e.delay) }),
    );
    out.vcpu = defined({ current: num(p['vcpu.current']), maximum: num(p['vcpu.maximum']), vcpus });
  }
  if (has('net.')) {
    out.interfaces = [...indexed(p, 'net').values()].map((e) =>
      defined<InterfaceStatsEntry>({
        name: str(e.name) ?? '',
        rxBytes: big(e['rx.bytes']), rxPackets: big(e['rx.pkts']), rxErrs: big(e['rx.errs']), rxDrop: big(e['rx.drop']),
        txBytes: big(e['tx.bytes']), txPackets: big(e['tx.pkts']), txErrs: big(e['tx.errs']), txDrop: big(e['tx.drop']),
      }),
    );
  }
  if (has('block.')) {
    out.block = [...indexed(p, 'block').values()].map((e) =>
      defined<BlockStatsEntry>({
        name: str(e.name) ?? '', path: str(e.path), backingIndex: num(e.backingIndex),
        rdReqs: big(e['rd.reqs']), rdBytes: big(e['rd.bytes']), rdTimesNs: big(e['rd.times']),
        wrReqs: big(e['wr.reqs']), wrBytes: big(e['wr.bytes']), wrTimesNs: big(e['wr.times']),
        flReqs: big(e['fl.reqs']), flTimesNs: big(e['fl.times']), errors: big(e.errors),
        allocation: big(e.allocation), capacity: big(e.capacity), physical: big(e.physical), threshold: big(e.threshold),
      }),
    );
  }
  return out;
}

/** @internal dom.stats(): one record for one domain (its native handle). */
export async function domainStatsOf(core: Core, n: NativeDomain, opts?: StatsOptions): Promise<Omit<DomainStats<never>, 'domain'>> {
  const { stats, flags } = statsFlags(opts, false);
  const recs = await core.call(() => core.native.domainListGetStats([n], stats, flags));
  for (const r of recs) r.domain.free();
  const { domain: _d, ...rest } = parseStatsParams(undefined as never, recs[0]?.params ?? {});
  return rest;
}

/** @internal conn.domainStats(): records for `domains` (native handles), or for every domain the filter picks. */
export async function connectionStats<D>(core: Core, wrap: (n: NativeDomain) => D, domains: NativeDomain[] | undefined, opts?: DomainStatsOptions): Promise<DomainStats<D>[]> {
  const { stats, flags } = statsFlags(opts, domains === undefined);
  const c: NativeConnect = core.native;
  const recs: DomainStatsRecord[] = await core.call(() => (domains ? c.domainListGetStats(domains, stats, flags) : c.getAllDomainStats(stats, flags)));
  return recs.map((r) => parseStatsParams(wrap(r.domain), r.params));
}

const MEM_TAGS: Record<number, keyof MemoryStats> = {
  [MT.VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON]: 'actualKiB', [MT.VIR_DOMAIN_MEMORY_STAT_SWAP_IN]: 'swapInKiB',
  [MT.VIR_DOMAIN_MEMORY_STAT_SWAP_OUT]: 'swapOutKiB', [MT.VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT]: 'majorFaults',
  [MT.VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT]: 'minorFaults', [MT.VIR_DOMAIN_MEMORY_STAT_UNUSED]: 'unusedKiB',
  [MT.VIR_DOMAIN_MEMORY_STAT_AVAILABLE]: 'availableKiB', [MT.VIR_DOMAIN_MEMORY_STAT_RSS]: 'rssKiB',
  [MT.VIR_DOMAIN_MEMORY_STAT_USABLE]: 'usableKiB', [MT.VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE]: 'lastUpdate',
  [MT.VIR_DOMAIN_MEMORY_STAT_DISK_CACHES]: 'diskCachesKiB', [MT.VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC]: 'hugetlbPgalloc',
  [MT.VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL]: 'hugetlbPgfail',
};

/** @internal virDomainMemoryStats, by name. */
export async function memoryStats(core: Core, n: NativeDomain): Promise<MemoryStats> {
  const list = await core.call(() => n.memoryStats(0));
  const out: MemoryStats = {};
  for (const { tag, val } of list) {
    const k = MEM_TAGS[tag];
    if (k) out[k] = Number(val);
  }
  return out;
}

// libvirt reports -1 for a counter the hypervisor does not have.
const known = (v: bigint): bigint | undefined => (v < 0n ? undefined : v);

/** @internal virDomainBlockStats for one disk (target name or source path). */
export async function blockStats(core: Core, n: NativeDomain, disk: string): Promise<BlockStats> {
  argString('disk', disk, { nonEmpty: true });
  const s = await core.call(() => n.blockStats(disk));
  return defined({ rdReqs: known(s.rdReq), rdBytes: known(s.rdBytes), wrReqs: known(s.wrReq), wrBytes: known(s.wrBytes), errors: known(s.errs) });
}

/** @internal virDomainInterfaceStats for one interface (host device name or MAC). */
export async function interfaceStats(core: Core, n: NativeDomain, device: string): Promise<InterfaceStats> {
  argString('device', device, { nonEmpty: true });
  const s = await core.call(() => n.interfaceStats(device));
  return defined({
    rxBytes: known(s.rxBytes), rxPackets: known(s.rxPackets), rxErrs: known(s.rxErrs), rxDrop: known(s.rxDrop),
    txBytes: known(s.txBytes), txPackets: known(s.txPackets), txErrs: known(s.txErrs), txDrop: known(s.txDrop),
  });
}

