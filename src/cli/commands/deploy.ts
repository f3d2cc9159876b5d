// virtkit deploy: linked or full clones from a ready template, each with its own identity.
import { isIP } from 'node:net';
import { Template, isHostname, type DeployOptions, type Identity } from '../../index.js';
import { flag, list, positionals, positiveInt, str } from '../args.js';
import type { Command } from '../context.js';
import { UsageError } from '../errors.js';
import { table } from '../output.js';
import { parseKeys, readPassword } from '../seal-flags.js';
import { cloneJson, templateProgress } from '../describe.js';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'deploy clones from a template (linked by default)',
  usage: 'virtkit deploy TEMPLATE NAME [--linked|--full] [--count N] [options]',
  help: `Defines the clone NAME (or NAME-1..NAME-N with --count) from TEMPLATE, with a new UUID,
MACs and disks. Its identity (hostname, SSH keys, root password) travels in the domain
definition and is applied by the template's first-boot unit; --offline also writes it into
the clone's disk now. All or nothing: on failure every clone this call made is removed.

  --linked                  qcow2 overlays on the template's disks (default)
  --full                    independent copies
  --count N                 deploy N clones named NAME-1..NAME-N
  --concurrency N           clones made at once with --count (default 4)
  --pool POOL               pool for the clone disks (default: the template's)
  --network NET             put the first NIC on libvirt network NET and reserve an address
                            for the clone's MAC there (shown in the IP column)
  --ip IP                   the address to reserve (one clone only; default: the lowest free)
  --ip6 auto|none|IP6       also reserve an IPv6 address in NET's IPv6 DHCP range, named by
                            the MAC's DUID-LL (shown in the IP6 column): 'auto' the lowest
                            free, or that address (one clone only); default none
  --hostname H              hostname (default: the clone's name; with --count, H-1..H-N)
  --ssh-key USER:KEYFILE    authorize the keys in KEYFILE for USER (repeatable)
  --ssh-key-file KEYFILE    same as --ssh-key root:KEYFILE
  --root-password-file F    root password: the first line of F, hashed on this host
  --offline                 also write the identity into the disk now (one appliance launch)
  --start                   start the clone(s) once defined`,
  options: {
    linked: { type: 'boolean' },
    full: { type: 'boolean' },
    count: { type: 'string' },
    concurrency: { type: 'string' },
    pool: { type: 'string' },
    network: { type: 'string' },
    ip: { type: 'string' },
    ip6: { type: 'string' },
    hostname: { type: 'string' },
    'ssh-key': { type: 'string', multiple: true },
    'ssh-key-file': { type: 'string', multiple: true },
    'root-password-file': { type: 'string' },
    offline: { type: 'boolean' },
    start: { type: 'boolean' },
  },
  async run(ctx, v, pos) {
    const [tplName, name] = positionals(pos, ['TEMPLATE', 'NAME'], this.name);
    if (flag(v, 'linked') && flag(v, 'full')) throw new UsageError('give --linked or --full, not both', this.name);
    const count = positiveInt(v, 'count', this.name);
    const concurrency = positiveInt(v, 'concurrency', this.name);
    if (concurrency !== undefined && count === undefined) throw new UsageError('--concurrency needs --count', this.name);
    const keys = parseKeys([...list(v, 'ssh-key'), ...list(v, 'ssh-key-file').map((f) => `root:${f}`)], 'ssh-key', this.name);
    const pwFile = str(v, 'root-password-file');
    const rootPassword = pwFile !== undefined ? readPassword(pwFile) : undefined;
    const hostname = str(v, 'hostname');
    const pool = str(v, 'pool');
    const network = str(v, 'network');
    const ip = str(v, 'ip');
    if (ip !== undefined && network === undefined) throw new UsageError('--ip needs --network', this.name);
    if (ip !== undefined && count !== undefined) throw new UsageError('--ip takes one clone, not --count', this.name);
    const ip6 = str(v, 'ip6');
    if (ip6 !== undefined && ip6 !== 'auto' && ip6 !== 'none' && isIP(ip6) !== 6) throw new UsageError(`--ip6 takes auto, none or an IPv6 address, got '${ip6}'`, this.name);
    if (ip6 !== undefined && network === undefined) throw new UsageError('--ip6 needs --network', this.name);
    if (ip6 !== undefined && ip6 !== 'auto' && ip6 !== 'none' && count !== undefined) throw new UsageError('--ip6 with an address takes one clone, not --count', this.name);
    const withIp6 = ip6 !== undefined && ip6 !== 'none';

    const names = count === undefined ? [name!] : Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
    const specs: DeployOptions[] = names.map((n, i) => {
      const h = hostname === undefined ? (isHostname(n) ? n : undefined) : count === undefined ? hostname : `${hostname}-${i + 1}`;
      const identity: Identity = {
        ...(h !== undefined ? { hostname: h } : {}),
        ...(keys ? { sshAuthorizedKeys: keys } : {}),
        ...(rootPassword !== undefined ? { rootPassword } : {}),
      };
      return {
        name: n, mode: flag(v, 'full') ? 'full' : 'linked', identity,
        ...(pool !== undefined ? { pool } : {}),
        ...(network !== undefined ? { network: { name: network, ...(ip !== undefined ? { ip } : {}), ...(ip6 !== undefined ? { ip6 } : {}) } } : {}),
        ...(flag(v, 'offline') ? { personalize: 'offline' as const } : {}),
        ...(flag(v, 'start') ? { start: true } : {}),
      };
    });

    const tpl = await Template.get(await ctx.connect(), tplName!);
    const doms = await (count === undefined
      ? tpl.deploy({
          ...specs[0]!, signal: ctx.signal,
          onProgress: (p) => {
            const { label, fraction } = templateProgress(p);
            ctx.progress.update(label, fraction);
          },
        }).then((d) => [d])
      : tpl.deployMany(specs, {
          signal: ctx.signal,
          ...(concurrency !== undefined ? { concurrency } : {}),
          onProgress: (p) => ctx.progress.update(`deploying ${p.completed}/${p.count}: ${templateProgress(p).label}`, p.completed / p.count),
        })
    ).finally(() => ctx.progress.stop());

    const mode = flag(v, 'full') ? 'full' : 'linked';
    const reserved = await Promise.all(doms.map((d) => d.addresses({ source: 'reservation' })));
    const out = (await Promise.all(doms.map(cloneJson))).map((c, i) => ({
      ...c, mode, hostname: specs[i]!.identity?.hostname ?? null,
      ...(network !== undefined ? { addresses: reserved[i]!.map((a) => ({ network: a.network, mac: a.mac, ip: a.ip })) } : {}),
    }));
    const ipOf = (i: number, family: 'ipv4' | 'ipv6' = 'ipv4') => reserved[i]!.find((a) => a.family === family)?.ip ?? '-';
    ctx.out.result(out, () =>
      [
        `Deployed ${out.length} ${mode} clone${out.length === 1 ? '' : 's'} of '${tpl.name}':`,
        network === undefined
          ? table(['NAME', 'STATE', 'HOSTNAME', 'UUID'], out.map((c) => [c.name, c.state, c.hostname ?? '-', c.uuid]))
          : withIp6
            ? table(['NAME', 'STATE', 'HOSTNAME', 'IP', 'IP6', 'UUID'], out.map((c, i) => [c.name, c.state, c.hostname ?? '-', ipOf(i), ipOf(i, 'ipv6'), c.uuid]))
            : table(['NAME', 'STATE', 'HOSTNAME', 'IP', 'UUID'], out.map((c, i) => [c.name, c.state, c.hostname ?? '-', ipOf(i), c.uuid])),
      ].join('\n'),
    );
  },
};
