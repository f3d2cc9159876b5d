// The quick start: a tiny VM becomes a sealed template, three linked clones boot with their own
// identity (the first one's console streamed live through dom.console()), and a table shows what
// happened, read from the clones' consoles. Run: npm run quickstart  (add -- --keep to keep it)
import { mkdirSync, chmodSync, statSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { Connection, Template, removeClone, type Domain } from '../src/index.js';
import { IDENTITY_TAG, buildTinyGuest, parseIdentity, tinyGuestXml } from './lib/tiny-guest.js';
import { bytes, table, timed } from './lib/ui.js';

const keep = process.argv.includes('--keep');
const P = 'vk-quickstart';
const SRC = `${P}-vm`;
const TPL = `${P}-template`;
const CLONES = ['web1', 'web2', 'web3'].map((h) => ({ name: `${P}-${h}`, hostname: h }));
const dir = process.getuid?.() === 0 ? '/var/lib/virtkit-quickstart' : `${homedir()}/.local/share/virtkit-quickstart`;
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

await using conn = await Connection.open();
console.log(`virtkit quick start on ${conn.uri}\n`);
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
await timed('building a tiny bootable Linux VM (busybox + the host kernel)', () => buildTinyGuest({ path: disk, hostname: 'golden' }), times);
await pool.refresh();
// Serial 0 on a pty (logged to a file too), so each clone's console can be streamed live.
const vm = await conn.defineDomain(tinyGuestXml({ name: SRC, disk, serialLog: `${dir}/${SRC}-serial.log`, console: 'pty', type }));

const tpl = await timed('turning it into a sealed template', (s) =>
  Template.create(conn, {
    from: vm, name: TPL, pool, seal: { operations: 'defaults' },
    onProgress: (p) => s.update(p.step + (p.operation ? ` ${p.operation}` : '') + (p.total ? ` ${p.bytes ?? 0}/${p.total}` : '')),
  }), times);

const clones: Domain[] = await timed('deploying 3 linked clones', (s) =>
  tpl.deployMany(CLONES.map((c) => ({ name: c.name, mode: 'linked' as const, identity: { hostname: c.hostname } })), {
    concurrency: 3,
    onProgress: (p) => s.update(`${p.completed}/${p.count}`),
  }), times);

// Each clone starts paused, its console is opened (dom.console(), a Duplex), then it runs: nothing
// it prints is missed. The first clone's console is shown live; every console's text is kept for
// the identity line, and a console ends by itself when its guest powers off.
const consoleText = new Map<string, string>();
await timed('booting the clones (each personalizes itself, prints its identity, powers off)', async (s) => {
  let done = 0;
  await Promise.all(clones.map(async (c, i) => {
    await c.start({ paused: true });
    const con = await c.console();
    let text = '';
    let line = '';
    const tagged = CLONES[i]!.hostname;
    con.on('data', (b: Buffer) => {
      const chunk = b.toString('utf8');
      text += chunk;
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
    if (line.trim()) s.log(`  [${tagged}] ${line}`);
    consoleText.set(c.name, text);
    await c.waitForState('shutoff', { timeoutMs: 300_000, intervalMs: 500 });
    s.update(`${++done}/${clones.length} done`);
  }));
}, times);

const tplSize = statSync(tpl.disks[0]!.path).size;
const rows = [];
for (const c of clones) {
  const text = (consoleText.get(c.name) ?? '').replace(/\r/g, '');
  const at = text.indexOf(IDENTITY_TAG);
  const id = (at < 0 ? undefined : parseIdentity(text.slice(at))) ?? {};
  const vol = await conn.volumeByPath(`${dir}/${c.name}-vda.qcow2`);
  const used = (await vol.info()).allocation;
  rows.push({
    clone: c.name, hostname: id.hostname ?? '?', 'machine-id': id['machine-id'] ?? '?', mac: id.mac ?? '?',
    'ssh host key': (id.hostkey ?? '?').slice(0, 20) + '…', 'disk used': `${bytes(used)} of template's ${bytes(tplSize)}`,
  });
}
console.log('\n' + table(rows));
const chain = await (await conn.volumeByPath(`${dir}/${clones[0]!.name}-vda.qcow2`)).backingChain();
console.log(`\nbacking chain of ${clones[0]!.name}:\n` + chain.map((l, i) => `  ${'  '.repeat(i)}${i ? '└─ ' : ''}${l.path} (${l.format})`).join('\n'));
console.log('\ntime per step:\n' + times.map(([t, ms]) => `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${t}`).join('\n'));

const distinct = new Set(rows.map((r) => r['machine-id'])).size === rows.length && rows.every((r) => /^[0-9a-f]{32}$/.test(r['machine-id']));
if (keep) console.log(`\nkept: template ${TPL}, clones ${clones.map((c) => c.name).join(', ')} (run again to clean up)`);
else await timed('removing what the quick start created', () => cleanup(conn), times);
if (!distinct) {
  console.error('\nquick start FAILED: the clones do not have distinct machine-ids');
  process.exitCode = 1;
}
