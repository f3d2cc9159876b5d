// Opening a guest's LUKS volumes before inspection (what virt-sysprep's --key does through
// guestfs-tools' decrypt.c, learnt from, not copied): every crypto_LUKS device is opened with the
// keys meant for it, LVM is rescanned so VGs inside (LVM-on-LUKS) appear, and the LVs are looked
// at again, since an LV can itself be LUKS (LUKS-on-LVM). Inspection and the operations then see
// the plaintext /dev/mapper devices like any other. Before shutdown the mappings are closed.
//
// Key material stays in this file's closures and in the Buffers it is given: libguestfs' trace
// prints key arguments as "***"; errors quote libguestfs' message only when it holds no key.
import { VirtkitError } from '../errors.js';
import type { SealGuest } from './guest-api.js';
import { canonicalDevice, keysFor, type LoadedKey } from './luks-keys.js';

/** A LUKS volume opened for sealing. */
export interface OpenedVolume {
  /** The encrypted device, e.g. /dev/sda2 or /dev/vg/lv. */
  device: string;
  /** Its plaintext device, /dev/mapper/luks-<uuid>. */
  mapper: string;
}

/** The LUKS state of one guest while it is sealed. */
export interface LuksSession {
  /** Volumes open (by this session, or already open under the name it would give them). */
  readonly opened: readonly OpenedVolume[];
  /** Encrypted devices no key was given for (left closed). */
  readonly locked: readonly string[];
  /**
   * Runs `fn` with this session's mappings on LVs of `vgs` closed (LVM cannot deactivate an LV a
   * mapping holds open), opening them again afterwards.
   */
  releasing<T>(vgs: readonly string[], fn: () => Promise<T>): Promise<T>;
  /** Deactivates the VGs inside and closes every mapping it opened, last first; returns what failed. */
  close(): Promise<string[]>;
  /** Forgets the keys without touching the appliance (it is going away). */
  discard(): void;
}

/** A session that opened nothing (no keys given). */
export const NO_LUKS: LuksSession = {
  opened: [],
  locked: [],
  releasing: (_vgs, fn) => fn(),
  close: async () => [],
  discard: () => undefined,
};

export interface UnlockOptions {
  /** cryptsetup_open read-only (dry runs: the drives are read-only). */
  readonly: boolean;
  /** The guest's first drive in the appliance (key device names are the guest's own). */
  firstDrive?: number;
  /**
   * The guest's block devices that may hold LUKS, asked again after each round of opening
   * (round 0 first: a cached view is fine; later rounds must see the new LVs).
   */
  candidates(round: number, opened: readonly OpenedVolume[]): Promise<readonly string[]>;
  /** Mapper names other guests of the same appliance took. */
  taken?: Set<string>;
  signal?: AbortSignal;
}

interface Mapping extends OpenedVolume {
  name: string;
  secret?: Buffer;
  owned: boolean;
}

const MAX_ROUNDS = 4;

/** libguestfs' first error line, unless it quotes one of the keys (then withheld). */
function safeReason(e: unknown, tried: readonly LoadedKey[]): string {
  const msg = e instanceof Error ? e.message : String(e);
  const raw = Buffer.from(msg, 'utf8');
  if (tried.some((k) => k.secret.length > 0 && raw.includes(k.secret))) return 'the error text is withheld: it quoted key material';
  return msg.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}

/** A mapper name: luks-<uuid> (Fedora's and libguestfs' choice), else crypt<device>; unique. */
function mapName(device: string, uuid: string | undefined, taken: Set<string>): string {
  const base = uuid ? `luks-${uuid}` : `crypt${device.replace(/^\/dev\//, '').replace(/[^A-Za-z0-9]/g, '')}`;
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return name;
}

async function optional<T>(p: Promise<T> | T): Promise<T | undefined> {
  try {
    return await p;
  } catch {
    return undefined;
  }
}

/**
 * Opens the guest's LUKS volumes with `keys`. A device whose keys all fail rejects with
 * DECRYPT_FAILED naming it (what this call opened is closed again first); a device no key is for
 * is left closed and listed in `locked`. Writes nothing to the disks.
 */
export async function unlockLuks(g: SealGuest, keys: readonly LoadedKey[], o: UnlockOptions): Promise<LuksSession> {
  const mappings: Mapping[] = [];
  const locked: string[] = [];
  const tried = new Set<string>();
  const existing = new Set(((await g.call('list_dm_devices')) as string[]).map((d) => d.replace(/^\/dev\/mapper\//, '')));
  const taken = o.taken ?? new Set<string>();
  for (const n of existing) taken.add(n);
  const open = (m: Mapping) => Promise.resolve(g.call('cryptsetup_open', m.device, m.secret!, m.name, { readonly: o.readonly }));
  const session: LuksSession = {
    get opened() {
      return mappings.map(({ device, mapper }) => ({ device, mapper }));
    },
    get locked() {
      return [...locked];
    },
    async releasing(vgs, fn) {
      const on = mappings.filter((m) => m.owned && vgs.some((vg) => m.device.startsWith(`/dev/${vg}/`))).reverse();
      for (const m of on) await g.call('cryptsetup_close', m.mapper);
      try {
        return await fn();
      } finally {
        for (const m of on.reverse()) await open(m);
      }
    },
    async close() {
      const failed: string[] = [];
      for (const m of [...mappings].reverse()) {
        if (!m.owned) continue;
        try {
          // LVM on the plaintext (LVM-on-LUKS) holds the mapping open: deactivate those VGs first.
          const pvs = await g.pvs();
          if (pvs.includes(m.mapper)) {
            const uuid = await g.call('pvuuid', m.mapper);
            const vgs: string[] = [];
            for (const vg of await g.vgs()) if (((await g.call('vgpvuuids', vg)) as string[]).includes(uuid as string)) vgs.push(vg);
            if (vgs.length > 0) await g.call('vg_activate', false, vgs);
          }
          await g.call('cryptsetup_close', m.mapper);
        } catch (e) {
          failed.push(`${m.mapper} (${m.device}) was not closed: ${safeReason(e, [])}`);
        }
      }
      session.discard();
      return failed;
    },
    discard() {
      for (const m of mappings) m.secret?.fill(0);
    },
  };

  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let openedNow = 0;
      for (const dev of await o.candidates(round, session.opened)) {
        if (tried.has(dev) || mappings.some((m) => m.mapper === dev)) continue;
        tried.add(dev);
        if ((await optional(g.vfsType(dev))) !== 'crypto_LUKS') continue;
        if (o.signal?.aborted) throw new VirtkitError('ABORTED', 'seal aborted', { cause: o.signal.reason });
        const uuid = ((await optional(g.call('luks_uuid', dev))) as string | undefined) || undefined;
        // Already open under the name this would give it (a Guest passed in by the caller).
        if (uuid && existing.has(`luks-${uuid}`)) {
          mappings.push({ device: dev, mapper: `/dev/mapper/luks-${uuid}`, name: `luks-${uuid}`, owned: false });
          continue;
        }
        const mine = keysFor(keys, dev, uuid, o.firstDrive ?? 0);
        if (mine.length === 0) {
          locked.push(dev);
          continue;
        }
        const name = mapName(dev, uuid, taken);
        let last: unknown;
        let ok = false;
        for (const k of mine) {
          try {
            await g.call('cryptsetup_open', dev, k.secret, name, { readonly: o.readonly });
            // A copy: the session outlives the caller's wipe of its own key list.
            mappings.push({ device: dev, mapper: `/dev/mapper/${name}`, name, secret: Buffer.from(k.secret), owned: true });
            ok = true;
            break;
          } catch (e) {
            last = e;
          }
        }
        if (!ok) {
          taken.delete(name);
          // Named as the guest's own disks name it (in a shared appliance they sit further on).
          const own = canonicalDevice(dev, -(o.firstDrive ?? 0));
          const which =
            mine.length === 1
              ? `the key given for it (keys[${mine[0]!.index}]) does not open it`
              : `none of the ${mine.length} keys given for it (keys[${mine.map((k) => k.index).join('], keys[')}]) opens it`;
          throw new VirtkitError('DECRYPT_FAILED', `seal: cannot open the LUKS volume ${own}: ${which} (${safeReason(last, mine)}); nothing was written`, {
            details: { device: own, ...(uuid ? { uuid } : {}), keys: mine.map((k) => k.index) },
          });
        }
        openedNow++;
      }
      if (openedNow === 0) break;
      // vgscan + activate: VGs inside the opened volumes appear, and their LVs are looked at next.
      await g.call('lvm_scan', true);
    }
  } catch (e) {
    await session.close().catch(() => undefined);
    throw e;
  }
  return session;
}

/**
 * Every block device of the appliance that can hold a LUKS header: unpartitioned disks,
 * partitions, md arrays and LVs (a single guest's appliance; shared ones use the device map).
 */
export async function blockDevices(g: SealGuest): Promise<string[]> {
  const devices = await g.listDevices();
  const parts = await g.listPartitions();
  const mds = (await g.call('list_md_devices')) as string[];
  const partitioned = (d: string) => parts.some((p) => p.startsWith(d) && /^p?\d+$/.test(p.slice(d.length)));
  const lvs = await g.lvs();
  return [...devices.filter((d) => !partitioned(d)), ...parts, ...mds.filter((d) => !partitioned(d)), ...lvs];
}
