// A network test bed: a private libvirtd (private-daemon.ts) in its own mount and
// network namespace with the network driver loaded, so libvirt's bridges, dnsmasq, firewall rules
// and the guests it starts all live inside that namespace and no packet leaves the machine.
// Tests import it from test/helpers/net-bed.ts; the quick start runs its clones in one.
//
//   const bed = await startNetBed({ tag: 'leases' });
//   await bed.defineNetwork(networkXml({ name: 'lab', mode: 'nat', ipv4: { ... } }));
//   await bed.exec('ip', ['-br', 'addr']);          // runs inside the bed's network namespace
//   await bed.waitForPort('192.168.150.10', 22);    // probes from a child process in the namespace
//   const c = await bed.dhcpClient({ bridge: 'vklab0', mac });  // a stand-in guest with a lease
//   await bed.stop();                               // networks destroyed, dnsmasq ended by pid file
//
// Until the native network bindings land, networks are managed through `virsh -c <uri>` here.
// NAT works in the namespace: libvirt 9.0 installs its iptables rules (iptables-nft) in the
// namespace's own tables and enables forwarding in its own sysctls; nothing of the host's changes.
// The namespace has only loopback and the bridges libvirt makes, so NAT has nowhere to go.
// No virtlogd runs in the namespace, so QEMU writes its own log files (qemu.conf stdio_handler).
// Guest disks belong on a path both namespaces see (not under the bind-mounted /var/lib/libvirt).
// A bed does not survive `daemon.restart()`: a restarted daemon gets a fresh network namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnAsync } from './spawn.js';
import { sleep } from '../../src/util/abort.js';
import { ownDnsmasqPids, startPrivateDaemon, type PrivateDaemon, type PrivateDaemonOptions } from './private-daemon.js';

export interface NetBedOptions {
  /** Directory tag (see PrivateDaemonOptions.tag). Default 'net'. */
  tag?: string;
  /** Connection drivers besides 'network' (default ['qemu', 'storage']). */
  drivers?: string[];
  /** Extra libvirtd.conf settings. */
  conf?: Record<string, string | number>;
  /** See PrivateDaemonOptions.ownProcessGroup (the quick start: Ctrl-C reaches it, not the daemon). */
  ownProcessGroup?: boolean;
}

export interface ExecResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link NetBed.dhcpClient}. */
export interface DhcpClientOptions {
  /** The bridge to plug into (a network's `<bridge name>`). */
  bridge: string;
  /** The client's MAC (what a reservation names). */
  mac: string;
  /** DHCP option 12 the client sends (shows as the lease's hostname). */
  hostname?: string;
  /** After the lease, listen on this TCP port (answers 'hi' and closes), for waitForPort tests. */
  listenPort?: number;
  /** How long to wait for the lease, in ms. Default 60 000. */
  timeoutMs?: number;
}

/** A stand-in guest: a network namespace of its own behind a veth on a bed bridge, with a lease. */
export interface DhcpClient {
  /** The address the client was given. */
  readonly ip: string;
  /** The client's process (a child of this process, in the client's namespace). */
  readonly pid: number;
  /** Ends the client (its namespace, veth and listener go with it). Idempotent. */
  stop(): Promise<void>;
}

export interface NetBed {
  /** The private daemon (its `uri` is what `Connection.open` takes). */
  readonly daemon: PrivateDaemon;
  /** Same as daemon.uri. */
  readonly uri: string;
  /** `/proc/<daemon pid>/ns/net`: the namespace nsenter enters. */
  readonly netnsPath: string;
  /** The namespace's identity, e.g. 'net:[4026532301]' (compare with `netNamespaceOf('self')`). */
  readonly netns: string;
  /** Runs `virsh -c <uri> args...`; rejects with virsh's stderr when it fails. */
  virsh(args: string[], timeoutMs?: number): Promise<string>;
  /** Defines a network from XML, starts it (unless `start: false`); resolves with its name. */
  defineNetwork(xml: string, opts?: { start?: boolean }): Promise<string>;
  /** Destroys (when active) and undefines a network. */
  removeNetwork(name: string): Promise<void>;
  /** The pid of a running network's dnsmasq, from its pid file under the bed's run dir (verified), or undefined. */
  dnsmasqPid(network: string): number | undefined;
  /** The argv that runs `cmd args...` inside the namespace (for spawn): nsenter --net=<ns> -- cmd args... */
  command(cmd: string, args?: string[]): string[];
  /** Runs a command inside the namespace to completion (SIGKILL after timeoutMs, default 30 s). */
  exec(cmd: string, args?: string[], opts?: { timeoutMs?: number; input?: string }): Promise<ExecResult>;
  /** Whether a TCP connection to host:port succeeds from inside the namespace (one try, bounded). */
  probePort(host: string, port: number, timeoutMs?: number): Promise<boolean>;
  /** Polls probePort until it succeeds; resolves false after timeoutMs. */
  waitForPort(host: string, port: number, opts?: { timeoutMs?: number; intervalMs?: number }): Promise<boolean>;
  /**
   * Starts a DHCP client (busybox udhcpc) in a namespace of its own, plugged into `bridge` by a veth
   * pair, and resolves once it has a lease (rejects after timeoutMs, having ended it). A guest
   * without booting one: for reservation and lease tests.
   */
  dhcpClient(opts: DhcpClientOptions): Promise<DhcpClient>;
  /** Destroys every network, ends the daemon, their dnsmasq and any guest's QEMU left running (by pid files), removes the directories. Idempotent. */
  stop(): Promise<void>;
}

/** The network namespace of a process, e.g. 'net:[4026531840]'. */
export function netNamespaceOf(pid: number | 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

function run(argv: string[], timeoutMs: number, input?: string): Promise<ExecResult> {
  return spawnAsync(argv[0]!, argv.slice(1), { env: { ...process.env, LC_ALL: 'C' }, timeout: timeoutMs, killSignal: 'SIGKILL', input });
}


// One TCP connect from inside the namespace: node itself, so no nc/bash dependency.
const PROBE = `const s=require('net').connect({host:process.argv[1],port:+process.argv[2]});
s.setTimeout(+process.argv[3],()=>{s.destroy();process.exit(1)});
s.on('connect',()=>{s.destroy();process.exit(0)});s.on('error',()=>process.exit(1));`;

// The client side of dhcpClient, as `sh -c` in the client's fresh namespace: wait for the veth
// end, take a lease (the udhcpc script configures the address and prints it), optionally listen.
const CLIENT_SH = `set -e
ip link set lo up
i=0; while ! ip link show vkc0 >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 400 ] || exit 3; sleep 0.05; done
ip link set vkc0 up
busybox udhcpc -i vkc0 -n -q -t 20 -T 1 \${VK_HOSTNAME:+-x hostname:$VK_HOSTNAME} -s "$VK_SCRIPT"
if [ -n "$VK_PORT" ]; then exec "$VK_NODE" -e "require('net').createServer((s)=>s.end('hi\\n')).listen(+process.env.VK_PORT,()=>console.log('VKREADY'))"; fi
echo VKREADY
exec sleep 1000000
`;
const UDHCPC_SCRIPT = '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" && echo "LEASE $ip" ;; esac\n';

class Bed implements NetBed {
  readonly uri: string;
  readonly netnsPath: string;
  readonly netns: string;
  #stopping?: Promise<void>;
  #clients = new Set<ChildProcess>();
  #veths = 0;
  constructor(readonly daemon: PrivateDaemon) {
    this.uri = daemon.uri;
    this.netnsPath = `/proc/${daemon.pid}/ns/net`;
    this.netns = readlinkSync(this.netnsPath);
  }

  async virsh(args: string[], timeoutMs = 30_000): Promise<string> {
    const r = await run(['virsh', '-q', '-c', this.uri, ...args], timeoutMs);
    if (r.status !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr.trim() || r.signal || r.status}`);
    return r.stdout;
  }

  async defineNetwork(xml: string, opts: { start?: boolean } = {}): Promise<string> {
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw new Error('network XML without <name>');
    const file = join(this.daemon.dir, `net-${name}.xml`);
    writeFileSync(file, xml);
    await this.virsh(['net-define', file]);
    if (opts.start !== false) {
      try {
        await this.virsh(['net-start', name]);
      } catch (e) {
        await this.virsh(['net-undefine', name]).catch(() => undefined);
        throw e;
      }
    }
    return name;
  }

  async removeNetwork(name: string): Promise<void> {
    await this.virsh(['net-destroy', name]).catch(() => undefined); // not active: fine
    await this.virsh(['net-undefine', name]);
  }

  dnsmasqPid(network: string): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(join(this.daemon.dir, 'root', 'run', 'network', `${network}.pid`), 'utf8').trim());
    } catch {
      return undefined;
    }
    return ownDnsmasqPids(this.daemon.dir).includes(pid) ? pid : undefined;
  }

  command(cmd: string, args: string[] = []): string[] {
    if (!this.daemon.running) throw new Error('the bed daemon is not running: its network namespace is gone');
    if (readlinkSync(this.netnsPath) !== this.netns) throw new Error('the bed daemon was restarted: its network namespace changed');
    return ['nsenter', `--net=${this.netnsPath}`, '--', cmd, ...args];
  }

  exec(cmd: string, args: string[] = [], opts: { timeoutMs?: number; input?: string } = {}): Promise<ExecResult> {
    return run(this.command(cmd, args), opts.timeoutMs ?? 30_000, opts.input);
  }

  async probePort(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
    const r = await this.exec(process.execPath, ['-e', PROBE, host, String(port), String(timeoutMs)], { timeoutMs: timeoutMs + 5_000 });
    return r.status === 0;
  }

  async waitForPort(host: string, port: number, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      if (await this.probePort(host, port, 2_000)) return true;
      if (Date.now() >= deadline) return false;
      await sleep(opts.intervalMs ?? 500);
    }
  }

  async dhcpClient(opts: DhcpClientOptions): Promise<DhcpClient> {
    const script = join(this.daemon.dir, 'udhcpc.sh');
    writeFileSync(script, UDHCPC_SCRIPT);
    chmodSync(script, 0o755);
    const [cmd, ...args] = this.command('unshare', ['--net', '--', 'sh', '-c', CLIENT_SH]);
    const env = { ...process.env, VK_SCRIPT: script, VK_NODE: process.execPath, VK_HOSTNAME: opts.hostname ?? '', VK_PORT: opts.listenPort ? String(opts.listenPort) : '' };
    // nsenter (--net only) and unshare exec, so the child's pid becomes the shell in the new namespace
    const p = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.#clients.add(p);
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    const stop = async () => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); // our child, by its handle
      await exited;
      this.#clients.delete(p);
    };
    try {
      const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
      const fail = (why: string) => new Error(`dhcp client ${opts.mac} on ${opts.bridge}: ${why}\n${out}`);
      // the peer end can go to the client's namespace only once unshare has made it: until then the
      // child is in this process's namespace (before nsenter) or in the bed's (before unshare)
      const ours = netNamespaceOf('self');
      while (p.pid === undefined || [this.netns, ours].includes(netNamespaceOf(p.pid))) {
        if (p.exitCode !== null || Date.now() > deadline) throw fail('no namespace');
        await sleep(25);
      }
      const host = `vkh${process.pid % 1000}x${++this.#veths}`.slice(0, 15);
      const add = await this.exec('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'vkc0', 'address', opts.mac, 'netns', String(p.pid)]);
      if (add.status !== 0) throw fail(`ip link add: ${add.stderr}`);
      const up = await this.exec('ip', ['link', 'set', host, 'master', opts.bridge, 'up']);
      if (up.status !== 0) throw fail(`ip link set master: ${up.stderr}`);
      while (!out.includes('VKREADY')) {
        if (p.exitCode !== null) throw fail(`exited ${p.exitCode}`);
        if (Date.now() > deadline) throw fail('no lease in time');
        await sleep(50);
      }
      const ip = /LEASE (\S+)/.exec(out)?.[1];
      if (!ip) throw fail('no address reported');
      return { ip, pid: p.pid, stop };
    } catch (e) {
      await stop();
      throw e;
    }
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const c of this.#clients) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      // Destroying each network lets libvirt end its dnsmasq and remove its bridge and rules; the
      // daemon's stop() then ends any dnsmasq left (a hung daemon) by the pid files.
      if (this.daemon.running) {
        const names = await this.virsh(['net-list', '--name'], 10_000).catch(() => '');
        for (const n of names.split('\n').map((l) => l.trim()).filter(Boolean)) {
          await this.virsh(['net-destroy', n], 10_000).catch(() => undefined);
        }
      }
      await this.daemon.stop();
    })();
    return this.#stopping;
  }
}

/**
 * Starts a private libvirtd with the network driver in its own mount and network namespace
 * (loopback up, nothing else), and resolves once it answers. Needs root.
 */
export async function startNetBed(opts: NetBedOptions = {}): Promise<NetBed> {
  const base: PrivateDaemonOptions = {
    tag: opts.tag ?? 'net',
    drivers: [...(opts.drivers ?? ['qemu', 'storage']), 'network'],
    isolateNetwork: true,
    conf: opts.conf,
    ownProcessGroup: opts.ownProcessGroup,
    // no virtlogd runs in the namespace: QEMU writes its stdio log files itself
    qemuConf: { stdio_handler: 'file' },
  };
  const daemon = await startPrivateDaemon(base);
  try {
    return new Bed(daemon);
  } catch (e) {
    await daemon.stop();
    throw e;
  }
}
