// A private libvirtd for tests that kill, pause or restart a daemon, and for the quick start's
// network (net-bed.ts): never the system one. Tests import it from test/helpers/private-daemon.ts.
//
// It runs in its own mount namespace (and, by default, its own network namespace) with its own
// directories bound over /etc/libvirt (a copy of the host's configuration), /var/lib/libvirt,
// /run/libvirt, /var/log/libvirt and /var/cache/libvirt, so it shares no state, socket or pid file
// with the system daemon. Its sockets and pid file live outside those bind mounts, in
// /tmp/virtkit-privd-<tag>-<pid>-<n>/, where this process reaches them:
//
//   const d = await startPrivateDaemon({ tag: 'restart' });
//   const conn = await Connection.open(d.uri);   // qemu+unix:///system?socket=<dir>/sock/libvirt-sock
//   d.kill('SIGKILL'); await d.restart(); ...; await d.stop();
//
// Only the process this helper started is ever signalled: it is known by pid and by its start time
// (/proc/<pid>/stat field 22), checked before every signal, so a recycled pid is never hit.
import { spawn, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  appendFileSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync,
  symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../src/util/abort.js';

export interface PrivateDaemonOptions {
  /** Part of the directory name (letters, digits, '-' and '_'; cut to 24 characters). Default 'd'. */
  tag?: string;
  /**
   * Connection drivers to load. 'minimal' (default) loads only qemu and storage, which is all that
   * capabilities, domain and pool calls need and keeps nodedev, network, nwfilter, interface and
   * secret drivers from starting; 'all' loads every installed driver; or a list of driver names.
   */
  drivers?: 'minimal' | 'all' | string[];
  /** Also give the daemon its own network namespace (only loopback, brought up). Default true. */
  isolateNetwork?: boolean;
  /** Extra libvirtd.conf settings, e.g. `{ keepalive_interval: 5, max_clients: 100 }`. */
  conf?: Record<string, string | number>;
  /** Settings appended to the daemon's copy of qemu.conf, e.g. `{ stdio_handler: 'file' }` (no virtlogd runs in the namespace). */
  qemuConf?: Record<string, string | number>;
  /** How long start (and restart) may take before it fails, in ms. Default 30 000. */
  startTimeoutMs?: number;
  /** Extra environment of the daemon, e.g. `{ SASL_CONF_PATH: dir }`. */
  env?: Record<string, string>;
  /**
   * The readiness probe (`virsh version`) goes to the read-only socket: for a daemon whose
   * read-write socket asks for credentials (set `auth_unix_ro: 'none'` in `conf`). Default false.
   */
  readOnlyProbe?: boolean;
  /**
   * The daemon gets a session and process group of its own, so a terminal's Ctrl-C reaches only
   * this process, which can then remove its guests before it stops the daemon. Default false.
   */
  ownProcessGroup?: boolean;
}

export interface PrivateDaemon {
  /** `qemu+unix:///system?socket=<dir>/sock/libvirt-sock`. Stays the same across {@link restart}. */
  readonly uri: string;
  /** pid of the running libvirtd (read from its pid file); changes on {@link restart}. */
  readonly pid: number;
  /** The daemon's own directory: sock/, root/ (the bind-mount sources), libvirtd.conf, libvirtd.pid, libvirtd.log. */
  readonly dir: string;
  /** The `host_uuid` written in its libvirtd.conf (the `<host><uuid>` of its capabilities). */
  readonly hostUuid: string;
  /** Milliseconds the last start took, from spawn until `virsh version` answered. */
  readonly startMs: number;
  /** Whether the daemon process is alive (also true while it is paused). */
  readonly running: boolean;
  /** Sends `signal` to the daemon's pid, only while it is alive; returns whether it was sent. */
  kill(signal?: NodeJS.Signals): boolean;
  /** SIGSTOP: the daemon hangs (connections stay open, calls get no answer). */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Resolves true once the daemon process has exited, false after `timeoutMs`. */
  waitForExit(timeoutMs?: number): Promise<boolean>;
  /** Ends the daemon process if it is alive (SIGTERM, then SIGKILL) and starts a fresh one on the same socket, config and state directories. */
  restart(): Promise<void>;
  /** Ends the daemon (SIGTERM, SIGKILL after a bounded wait), the QEMU of guests left running and its networks' dnsmasq (by their pid files), and removes its directories. Idempotent. */
  stop(): Promise<void>;
}

const ETC_DIR = '/etc/libvirt';
/** Directories the daemon gets its own copy of, by bind mount (name under root/ -> target). */
const BINDS: [string, string][] = [
  ['etc', ETC_DIR],
  ['lib', '/var/lib/libvirt'],
  ['run', '/run/libvirt'],
  ['log', '/var/log/libvirt'],
  ['cache', '/var/cache/libvirt'],
];
const MINIMAL_DRIVERS = ['qemu', 'storage'];
const TERM_WAIT_MS = 5_000;
const KILL_WAIT_MS = 5_000;

let seq = 0;
const live = new Set<Daemon>();
let safetyNet = false;

/**
 * Kills every daemon a test forgot to stop, when this process exits (the pid and start time are
 * checked first). If this process dies without running 'exit' handlers, the daemon's parent-death
 * signal (setpriv --pdeathsig) ends it, and the next process to start one removes its directory.
 */
function installSafetyNet(): void {
  if (safetyNet) return;
  safetyNet = true;
  sweepStale();
  process.on('exit', () => {
    for (const d of live) d.emergencyStop();
  });
}

interface ProcStat {
  state: string;
  start: string;
}
function procStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return { state: rest[0], start: rest[19] }; // fields 3 and 22
  } catch {
    return undefined;
  }
}

/** A process that exists and is not a zombie (an orphan waits for this machine's pid 1 to reap it). */
function isLive(pid: number): boolean {
  const st = procStat(pid);
  return !!st && st.state !== 'Z' && st.state !== 'X';
}

/**
 * The dnsmasq processes that the daemon of `dir` started for its networks, by the pid files under
 * its run dir (root/run/network/*.pid, /run/libvirt/network inside). libvirtd leaves them running
 * when it exits. A pid counts only if it is a live dnsmasq that sees that very pid file at
 * /run/libvirt/network in its own mount namespace (same device and inode), so a recycled pid is
 * never hit.
 */
export function ownDnsmasqPids(dir: string): number[] {
  return pidsByFile(dir, 'network', (comm) => comm === 'dnsmasq');
}

/**
 * The QEMU processes of the daemon of `dir`'s running domains, by their pid files
 * (root/run/qemu/<domain>.pid, /run/libvirt/qemu inside), checked as ownDnsmasqPids checks. libvirtd
 * leaves them running when it exits, and one whose guest powered off stays (QEMU runs with -no-shutdown).
 */
export function ownQemuPids(dir: string): number[] {
  return pidsByFile(dir, 'qemu', (comm) => comm.startsWith('qemu-system') || comm === 'qemu-kvm');
}

/** Live processes named by `<dir>/root/run/<sub>/*.pid` that see that very file at /run/libvirt/<sub>. */
function pidsByFile(dir: string, sub: string, isIt: (comm: string) => boolean): number[] {
  const run = join(dir, 'root', 'run', sub);
  let files: string[];
  try {
    files = readdirSync(run).filter((f) => f.endsWith('.pid') && f !== 'driver.pid');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const f of files) {
    try {
      const pid = Number(readFileSync(join(run, f), 'utf8').trim());
      if (!(pid > 0)) continue;
      if (!isLive(pid)) continue;
      if (!isIt(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      const mine = statSync(join(run, f));
      const theirs = statSync(`/proc/${pid}/root/run/libvirt/${sub}/${f}`);
      if (mine.dev === theirs.dev && mine.ino === theirs.ino) out.push(pid);
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

/** Sends `signal` to the daemon's own QEMU and dnsmasq processes left behind (see ownQemuPids, ownDnsmasqPids); returns the pids signalled. */
function signalLeftovers(dir: string, signal: NodeJS.Signals): number[] {
  const pids = [...ownQemuPids(dir), ...ownDnsmasqPids(dir)];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
  return pids;
}

/** Ends the daemon's QEMU and dnsmasq processes left behind: SIGTERM, then SIGKILL to any still alive after a bounded wait. */
async function endLeftovers(dir: string): Promise<void> {
  if (signalLeftovers(dir, 'SIGTERM').length === 0) return;
  const deadline = Date.now() + TERM_WAIT_MS;
  while (ownQemuPids(dir).length + ownDnsmasqPids(dir).length > 0 && Date.now() < deadline) await sleep(25);
  signalLeftovers(dir, 'SIGKILL');
}

/**
 * Removes directories left by test processes that died without cleaning up (SIGKILL): only those
 * whose creating process is gone and whose pid file names no live process. Signals nothing but
 * the QEMU and dnsmasq processes of such a directory's domains and networks (verified by
 * ownQemuPids and ownDnsmasqPids).
 */
function sweepStale(): void {
  let entries: string[];
  try {
    entries = readdirSync('/tmp').filter((e) => e.startsWith('virtkit-privd-'));
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /-(\d+)-\d+$/.exec(e);
    if (!m || Number(m[1]) === process.pid || isLive(Number(m[1]))) continue;
    const dir = join('/tmp', e);
    try {
      const pid = Number(readFileSync(join(dir, 'libvirtd.pid'), 'utf8').trim());
      if (pid > 0 && isLive(pid)) continue;
    } catch {
      /* no pid file: nothing ran there */
    }
    signalLeftovers(dir, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function driverDir(): string | undefined {
  const candidates = ['/usr/lib64/libvirt/connection-driver', '/usr/lib/libvirt/connection-driver'];
  try {
    for (const e of readdirSync('/usr/lib')) candidates.unshift(`/usr/lib/${e}/libvirt/connection-driver`);
  } catch {
    /* no /usr/lib */
  }
  return candidates.find((c) => existsSync(join(c, 'libvirt_driver_qemu.so')));
}

function confValue(v: string | number): string {
  return typeof v === 'number' ? String(v) : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}


function virshVersion(uri: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('virsh', ['-c', uri, 'version'], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err) => resolve(!err));
  });
}

// The namespace side: bind the private dirs, then become libvirtd (exec keeps the pid).
const NS_SCRIPT = `set -e
root=$1; conf=$2; pidfile=$3; net=$4
for pair in ${BINDS.map(([n, t]) => `${n}:${t}`).join(' ')}; do
  src="$root/\${pair%%:*}"; dst="\${pair#*:}"
  mkdir -p "$dst"
  mount --bind "$src" "$dst"
done
if [ "$net" = 1 ]; then ip link set lo up 2>/dev/null || true; fi
exec libvirtd -f "$conf" -p "$pidfile"
`;

class Daemon implements PrivateDaemon {
  readonly uri: string;
  readonly dir: string;
  readonly hostUuid = randomUUID();
  startMs = 0;
  #pid = 0;
  #start = ''; // /proc start time of #pid
  #exited: Promise<void> = Promise.resolve();
  #stopping?: Promise<void>;
  readonly #opts: Required<Omit<PrivateDaemonOptions, 'tag' | 'conf' | 'qemuConf' | 'env'>> & {
    conf: Record<string, string | number>;
    qemuConf: Record<string, string | number>;
    env: Record<string, string>;
  };

  constructor(tag: string, opts: PrivateDaemonOptions) {
    this.dir = `/tmp/virtkit-privd-${tag}-${process.pid}-${++seq}`;
    this.uri = `qemu+unix:///system?socket=${this.dir}/sock/libvirt-sock`;
    this.#opts = {
      drivers: opts.drivers ?? 'minimal',
      isolateNetwork: opts.isolateNetwork ?? true,
      startTimeoutMs: opts.startTimeoutMs ?? 30_000,
      conf: opts.conf ?? {},
      qemuConf: opts.qemuConf ?? {},
      env: opts.env ?? {},
      readOnlyProbe: opts.readOnlyProbe ?? false,
      ownProcessGroup: opts.ownProcessGroup ?? false,
    };
  }

  get pid(): number {
    return this.#pid;
  }
  get running(): boolean {
    return this.#alive();
  }

  /** Alive and still the very process we started (same pid, same start time, not a zombie). */
  #alive(): boolean {
    if (!this.#pid) return false;
    const st = procStat(this.#pid);
    return !!st && st.start === this.#start && st.state !== 'Z' && st.state !== 'X';
  }

  #signal(signal: NodeJS.Signals): boolean {
    if (!this.#alive()) return false;
    try {
      process.kill(this.#pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.#signal(signal);
  }
  pause(): void {
    if (!this.#signal('SIGSTOP')) throw new Error(`private libvirtd ${this.dir} is not running`);
  }
  resume(): void {
    if (!this.#signal('SIGCONT')) throw new Error(`private libvirtd ${this.dir} is not running`);
  }

  async waitForExit(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#alive()) {
      if (Date.now() >= deadline) return false;
      await Promise.race([this.#exited, sleep(25)]);
    }
    return true;
  }

  /** Lays out the directory: the copied config, the capability cache, libvirtd.conf, drivers/. */
  prepare(): void {
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(join(this.dir, 'sock'), { recursive: true, mode: 0o700 });
    for (const [name] of BINDS) mkdirSync(join(this.dir, 'root', name), { recursive: true, mode: 0o755 });
    // /etc/libvirt: the configuration files, hooks and nwfilter rules, but no domain, network or
    // pool definitions, no secrets and nothing marked autostart: a fresh host configured alike.
    const etc = join(this.dir, 'root', 'etc');
    for (const e of existsSync(ETC_DIR) ? readdirSync(ETC_DIR, { withFileTypes: true }) : []) {
      if (e.isFile() || ((e.name === 'hooks' || e.name === 'nwfilter') && e.isDirectory()))
        cpSync(join(ETC_DIR, e.name), join(etc, e.name), { recursive: true, preserveTimestamps: true });
    }
    const qemuExtra = Object.entries(this.#opts.qemuConf);
    if (qemuExtra.length > 0) {
      mkdirSync(etc, { recursive: true });
      appendFileSync(join(etc, 'qemu.conf'), `\n# private test daemon (examples/lib/private-daemon.ts)\n${qemuExtra.map(([k, v]) => `${k} = ${confValue(v)}`).join('\n')}\n`);
    }
    // A copy of the QEMU capability cache: without it the daemon probes QEMU (~8 s here).
    const caps = '/var/cache/libvirt/qemu/capabilities';
    if (existsSync(caps)) cpSync(caps, join(this.dir, 'root', 'cache', 'qemu', 'capabilities'), { recursive: true, preserveTimestamps: true });

    const conf: Record<string, string | number> = {
      unix_sock_dir: join(this.dir, 'sock'),
      host_uuid: this.hostUuid,
      log_outputs: `3:file:${join(this.dir, 'libvirtd.log')}`,
      ...this.#opts.conf,
    };
    writeFileSync(
      join(this.dir, 'libvirtd.conf'),
      `# private test daemon (examples/lib/private-daemon.ts)\n${Object.entries(conf).map(([k, v]) => `${k} = ${confValue(v)}`).join('\n')}\n`,
    );

    const drivers = this.#opts.drivers;
    if (drivers !== 'all') {
      const src = driverDir();
      if (src) {
        const out = join(this.dir, 'drivers');
        mkdirSync(out);
        for (const name of drivers === 'minimal' ? MINIMAL_DRIVERS : drivers) {
          const so = join(src, `libvirt_driver_${name}.so`);
          if (!existsSync(so)) throw new Error(`no libvirt driver '${name}' in ${src}`);
          symlinkSync(so, join(out, `libvirt_driver_${name}.so`));
        }
      }
    }
  }

  /** Spawns the daemon and waits until it answers. */
  async launch(): Promise<void> {
    const pidfile = join(this.dir, 'libvirtd.pid');
    for (const f of ['libvirt-sock', 'libvirt-sock-ro', 'libvirt-admin-sock']) rmSync(join(this.dir, 'sock', f), { force: true });
    rmSync(pidfile, { force: true });
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', ...this.#opts.env };
    delete env.LIBVIRT_DEFAULT_URI;
    if (existsSync(join(this.dir, 'drivers'))) env.LIBVIRT_DRIVER_DIR = join(this.dir, 'drivers');
    const out = openSync(join(this.dir, 'stderr.log'), 'a');
    const t0 = performance.now();
    // unshare and setpriv exec (no fork), so the child's pid becomes libvirtd's. setpriv's
    // parent-death signal kills the daemon if this process dies without running 'exit' handlers.
    const child = spawn(
      'unshare',
      [
        '--mount', '--propagation', 'private', ...(this.#opts.isolateNetwork ? ['--net'] : []), '--',
        'setpriv', '--pdeathsig', 'KILL', '--',
        'sh', '-c', NS_SCRIPT, 'privd', join(this.dir, 'root'), join(this.dir, 'libvirtd.conf'), pidfile, this.#opts.isolateNetwork ? '1' : '0',
      ],
      { stdio: ['ignore', out, out], env, detached: this.#opts.ownProcessGroup },
    );
    closeSync(out);
    child.unref(); // a forgotten daemon must not keep the test process alive (the 'exit' net kills it)
    let exitInfo: string | undefined;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `code ${code}`;
        resolve();
      });
      child.once('error', (e) => {
        exitInfo = String(e);
        resolve();
      });
    });
    const fail = (why: string) => {
      let log = '';
      for (const f of ['stderr.log', 'libvirtd.log']) {
        try {
          log += readFileSync(join(this.dir, f), 'utf8').slice(-2000);
        } catch {
          /* not written */
        }
      }
      return new Error(`private libvirtd in ${this.dir}: ${why}\n${log}`);
    };
    // The child's pid is the only process we may signal while we wait.
    if (child.pid) {
      this.#pid = child.pid;
      this.#start = procStat(child.pid)?.start ?? '';
      live.add(this);
    }
    const deadline = Date.now() + this.#opts.startTimeoutMs;
    const sock = join(this.dir, 'sock', 'libvirt-sock');
    let ready = false;
    while (!ready) {
      if (exitInfo !== undefined) throw fail(`exited during start-up (${exitInfo})`);
      if (Date.now() >= deadline) {
        await this.#halt();
        throw fail(`did not answer within ${this.#opts.startTimeoutMs} ms`);
      }
      const probeUri = this.#opts.readOnlyProbe ? `${this.uri}-ro` : this.uri;
      if (existsSync(sock) && existsSync(pidfile)) ready = await virshVersion(probeUri, Math.max(1000, deadline - Date.now()));
      else await Promise.race([this.#exited, sleep(20)]);
    }
    this.startMs = Math.round(performance.now() - t0);
    // Take the daemon's pid from its own pid file and check that it is the process we spawned
    // (unshare/setpriv/sh exec'd into it) and really libvirtd.
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    const comm = (() => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    })();
    if (pid !== this.#pid || comm !== 'libvirtd' || procStat(pid)?.start !== this.#start) {
      await this.#halt();
      throw fail(`pid file names ${pid} (${comm || 'gone'}), the spawned process is ${this.#pid}`);
    }
  }

  /** Ends the daemon process (not the directories): SIGTERM, SIGCONT in case it is paused, SIGKILL after a bounded wait. */
  async #halt(): Promise<void> {
    if (this.#signal('SIGTERM')) {
      this.#signal('SIGCONT');
      if (!(await this.waitForExit(TERM_WAIT_MS))) {
        this.#signal('SIGKILL');
        if (!(await this.waitForExit(KILL_WAIT_MS))) throw new Error(`private libvirtd pid ${this.#pid} does not exit`);
      }
    }
    await Promise.race([this.#exited, sleep(1000)]); // let Node reap it
    live.delete(this);
  }

  async restart(): Promise<void> {
    if (this.#stopping) throw new Error(`private libvirtd ${this.dir} was stopped`);
    await this.#halt();
    await this.launch();
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#halt();
      await endLeftovers(this.dir); // libvirtd leaves its guests' QEMU and its networks' dnsmasq running
      rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  /** For the 'exit' safety net: synchronous, our pid only. */
  emergencyStop(): void {
    this.#signal('SIGCONT');
    this.#signal('SIGKILL');
    signalLeftovers(this.dir, 'SIGKILL');
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

/**
 * Starts a private libvirtd (see the top of this file) and resolves once it answers
 * `virsh -c <uri> version`. Needs root (mount namespaces and bind mounts).
 */
export async function startPrivateDaemon(opts: PrivateDaemonOptions = {}): Promise<PrivateDaemon> {
  if (process.getuid?.() !== 0) throw new Error('startPrivateDaemon needs root (unshare --mount)');
  const tag = (opts.tag ?? 'd').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 24) || 'd';
  installSafetyNet();
  const d = new Daemon(tag, opts);
  d.prepare();
  try {
    await d.launch();
  } catch (e) {
    await d.stop().catch(() => undefined);
    throw e;
  }
  return d;
}

/** The mount namespace of a process, e.g. 'mnt:[4026531840]' (to tell a private daemon from the host's). */
export function mountNamespace(pid: number | 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/mnt`);
}

/** Whether `path` is a unix socket (for checks that the system daemon's socket is untouched). */
export function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}
