// The quick start: a tiny VM becomes a sealed template, three linked clones boot with their own
// identity (the first one's console streamed live through dom.console()), and a table shows what
// happened, read from the clones' consoles. As root (no --uri, no LIBVIRT_DEFAULT_URI) it runs in a
// private libvirtd in a network namespace of its own, where the clones take DHCP leases on an
// isolated network, and the table shows each clone's address (quickstart-site.ts).
// Run: npm run quickstart  (add -- --keep to keep it, -- --uri URI for another connection)
import { mkdirSync, chmodSync, statSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { Connection, Template, removeClone, type Domain, type DomainAddress } from '../src/index.js';
import { openQuickstartSite } from './lib/quickstart-site.js';
import { IDENTITY_TAG, buildTinyGuest, parseIdentity, tinyGuestXml } from './lib/tiny-guest.js';
import { bytes, table, timed } from './lib/ui.js';

const argv = process.argv.slice(2);
const keep = argv.includes('--keep');
const uriAt = argv.indexOf('--uri');
const uriArg = uriAt >= 0 ? argv[uriAt + 1] : argv.find((a) => a.startsWith('--uri='))?.slice('--uri='.length);
const P = 'vk-quickstart';
const SRC = `${P}-vm`;
const TPL = `${P}-template`;
const CLONES = ['web1', 'web2', 'web3'].map((h) => ({ name: `${P}-${h}`, hostname: h }));
const times: [string, number][] = [];

/** Removes whatever an earlier run (or --keep) left, so every run starts clean. */
async function cleanup(conn: Connection): Promise<void> {
  const tpl = await Template.get(conn, TPL).catch(() => undefined);
  for (const d of await conn.domains()) {
    if (!d.name.startsWith(P)) continue;
    if (d.name !== TPL && d.name !== SRC) await removeClone(conn, d).catch(async () => {
      if (await d.isActive()) await d.destroy();
      await d.undefine();
    });
  }
  await tpl?.delete();
  const src = await conn.findDomain(SRC);
  if (src) {
    if (await src.isActive()) await src.destroy();
    await src.undefine();
  }
  const pool = await conn.findPool(P);
  if (pool) {
    for (const v of await pool.volumes()) await v.delete().catch(() => undefined);
    await pool.stop().catch(() => undefined);
    await pool.undefine().catch(() => undefined);
  }
  rmSync(dir, { recursive: true, force: true });
}

const site = await timed('opening the connection', async (s) => {
  const r = await openQuickstartSite(uriArg);
  s.update(r.network ? '→ a private libvirtd in a network namespace of its own' : `→ ${r.conn.uri}`);
  return r;
}, times);
const { conn, network, bed } = site;
// The bed's guest disks: a path both namespaces see, apart from a default-connection run's.
const dir = bed ? '/var/lib/virtkit-quickstart-net' : process.getuid?.() === 0 ? '/var/lib/virtkit-quickstart' : `${homedir()}/.local/share/virtkit-quickstart`;
console.log(`virtkit quick start on ${conn.uri}`);
if (network) console.log(`  clones on network ${network.name} (isolated, 192.168.77.0/24) in ${bed!.netns}: nothing leaves this machine`);
else console.log(`  no IP addresses: ${site.noNetwork}`);
console.log('');
// The bed lives only as long as this process: Ctrl-C removes its guests and stops it.
// A listener stays for every signal: a Ctrl-C reaches this process more than once (the terminal's,
// then npx's and tsx's relays), and a signal with no listener left ends it before the clean-up.
let stopping = false;
if (bed) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${sig}: removing the clones and stopping the private libvirtd`);
      void site.close().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
}
try {
  await timed('cleaning up an earlier run', () => cleanup(conn), times);

  const type = await timed('checking whether KVM really works', async (s) => {
    const works = await conn.kvmWorks();
    const t = works ? 'kvm' : 'qemu';
    s.update(works ? '→ KVM' : '→ TCG (software emulation)');
    return t;
  }, times);
  console.log(`  using ${type === 'kvm' ? 'KVM' : 'TCG: KVM is not usable here'}`);

  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const pool = await conn.createDirPool(P, dir, { autostart: false });
  const disk = `${dir}/${SRC}.qcow2`;
  // On the network the guest takes its lease before its identity line (tiny-guest-dhcp.ts).
  await timed('building a tiny bootable Linux VM (busybox + the host kernel)', () => buildTinyGuest({ path: disk, hostname: 'golden', dhcp: !!network }), times);
  await pool.refresh();
  // Serial 0 on a pty (logged to a file too), so each clone's console can be streamed live.
  const vm = await conn.defineDomain(tinyGuestXml({ name: SRC, disk, serialLog: `${dir}/${SRC}-serial.log`, console: 'pty', type }));

  const tpl = await timed('turning it into a sealed template', (s) =>
    Template.create(conn, {
      from: vm, name: TPL, pool, seal: { operations: 'defaults' },
      onProgress: (p) => s.update(p.step + (p.operation ? ` ${p.operation}` : '') + (p.total ? ` ${p.bytes ?? 0}/${p.total}` : '')),
    }), times);

  const clones: Domain[] = await timed(`deploying 3 linked clones${network ? `, an address reserved for each on ${network.name}` : ''}`, (s) =>
    tpl.deployMany(CLONES.map((c) => ({ name: c.name, mode: 'linked' as const, identity: { hostname: c.hostname }, ...(network ? { network: { name: network.name } } : {}) })), {
      concurrency: 3,
      onProgress: (p) => s.update(`${p.completed}/${p.count}`),
    }), times);
  // Known at deploy, before any guest asked for it.
  const reserved = new Map<string, DomainAddress>();
  if (network) for (const c of clones) reserved.set(c.name, (await c.addresses({ source: 'reservation' }))[0]!);

  // Each clone starts paused, its console is opened (dom.console(), a Duplex), then it runs: nothing
  // it prints is missed. The first clone's console is shown live; every console's text is kept for
  // the identity line, and a console ends by itself when its guest powers off.
  // On the network the guest waits, after its identity line, for one line from us: the lease is read
  // from libvirt (dom.waitForAddress) while the domain still runs, then the guest powers off.
  const consoleText = new Map<string, string>();
  const leased = new Map<string, string>();
  await timed(`booting the clones (each personalizes itself, ${network ? 'takes its lease, ' : ''}prints its identity, powers off)`, async (s) => {
    let done = 0;
    await Promise.all(clones.map(async (c, i) => {
      await c.start({ paused: true });
      const con = await c.console();
      let text = '';
      let line = '';
      const tagged = CLONES[i]!.hostname;
      const r = reserved.get(c.name);
      let lease: Promise<void> | undefined;
      con.on('data', (b: Buffer) => {
        const chunk = b.toString('utf8');
        text += chunk;
        if (r && !lease && new RegExp(`${IDENTITY_TAG}[^\n]*\n`).test(text)) {
          lease = c.waitForAddress({ source: 'lease', mac: r.mac, family: 'ipv4', timeoutMs: 60_000 })
            .then((a) => void leased.set(c.name, a.ip), (e: Error) => void leased.set(c.name, `none (${e.message})`))
            .finally(() => {
              if (con.writable) con.write('\r');
            });
        }
        if (i !== 0) return;
        // Lines as they come, control characters (the guest's CRs, terminal queries) dropped.
        for (const ch of chunk.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/[^\n\t\x20-\x7e]/g, '')) {
          if (ch !== '\n') line += ch;
          else {
            if (line.trim()) s.log(`  [${tagged}] ${line}`);
            line = '';
          }
        }
      });
      const ended = new Promise<void>((resolve, reject) => con.once('end', resolve).once('error', reject));
      await c.resume();
      await ended;
      await lease;
      if (line.trim()) s.log(`  [${tagged}] ${line}`);
      consoleText.set(c.name, text);
      await c.waitForState('shutoff', { timeoutMs: 300_000, intervalMs: 500 });
    if (stopping) throw new Error('interrupted'); // the signal handler destroyed it
      s.update(`${++done}/${clones.length} done`);
    }));
  }, times);

  // One address when the reservation, dnsmasq's lease and the guest's own view agree; all three if not.
  const badIps: string[] = [];
  function ipCell(name: string, guest: string | undefined): string {
    const want = reserved.get(name)?.ip;
    const lease = leased.get(name) ?? 'none';
    if (want && lease === want && guest === want) return want;
    badIps.push(name);
    return `reserved ${want ?? '?'}, lease ${lease}, guest ${guest || 'none'}`;
  }
  const tplSize = statSync(tpl.disks[0]!.path).size;
  const rows: Record<string, string>[] = [];
  for (const c of clones) {
    const text = (consoleText.get(c.name) ?? '').replace(/\r/g, '');
    const at = text.indexOf(IDENTITY_TAG);
    const id = (at < 0 ? undefined : parseIdentity(text.slice(at))) ?? {};
    const vol = await conn.volumeByPath(`${dir}/${c.name}-vda.qcow2`);
    const used = (await vol.info()).allocation;
    const ips: Record<string, string> = network ? { ip: ipCell(c.name, id.ip) } : {};
    rows.push({
      clone: c.name, hostname: id.hostname ?? '?', 'machine-id': id['machine-id'] ?? '?', ...ips, mac: id.mac ?? '?',
      'ssh host key': (id.hostkey ?? '?').slice(0, 20) + '…', 'disk used': `${bytes(used)} of template's ${bytes(tplSize)}`,
    });
  }
  console.log('\n' + table(rows));
  if (network) console.log(`ip: reserved at deploy = dnsmasq's lease (dom.waitForAddress({ source: 'lease' })) = the guest's own (udhcpc)${badIps.length ? ', except where all three are shown' : ''}`);
  else console.log(`no ip column: ${site.noNetwork}`);
  const chain = await (await conn.volumeByPath(`${dir}/${clones[0]!.name}-vda.qcow2`)).backingChain();
  console.log(`\nbacking chain of ${clones[0]!.name}:\n` + chain.map((l, i) => `  ${'  '.repeat(i)}${i ? '└─ ' : ''}${l.path} (${l.format})`).join('\n'));
  console.log('\ntime per step:\n' + times.map(([t, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${t}`).join('\n'));

  const distinct = new Set(rows.map((r) => r['machine-id'])).size === rows.length && rows.every((r) => /^[0-9a-f]{32}$/.test(r['machine-id']));
  if (!distinct) {
    console.error('\nquick start FAILED: the clones do not have distinct machine-ids');
    process.exitCode = 1;
  }
  if (badIps.length) {
    console.error(`\nquick start FAILED: not the reserved address: ${badIps.join(', ')}`);
    process.exitCode = 1;
  }
  if (keep && bed) {
    // The private daemon ends with this process, so keeping means staying up.
    console.log(`\nkept: template ${TPL}, clones ${clones.map((c) => c.name).join(', ')} on the private daemon\n  virsh -c '${conn.uri}' list --all\nCtrl-C removes them and stops it.`);
    await new Promise(() => setInterval(() => undefined, 60_000)); // a timer keeps the process up; the signal handler exits
  } else if (keep) console.log(`\nkept: template ${TPL}, clones ${clones.map((c) => c.name).join(', ')} (run again to clean up)`);
  else await timed('removing what the quick start created', () => cleanup(conn), times);
} finally {
  await site.close();
  if (bed) rmSync(dir, { recursive: true, force: true }); // the bed's daemon (and its definitions) are gone
}
