// A clone's seed volume: what deploy cannot put in the domain definition (any client of a
// read-only connection reads the XML, any local user reads QEMU's command line) travels on a
// small ISO 9660 volume of the clone's own, mode 0600, attached as a read-only CD-ROM:
//  - first-boot guests: one file, `virtkit-secrets` (the root password hash, secretData), label
//    VIRTKIT; SMBIOS says `virtkit:seed=VIRTKIT` so the first-boot script knows to look;
//  - cloud-init guests: cloud-init's NoCloud `cidata` seed (meta-data, user-data, network-config),
//    SMBIOS says `virtkit:personalize=cloud-init` so the first-boot script stands aside.
// The volume is uploaded through the volume stream API (works on remote connections), listed in
// the clone's record, deleted by consumeSeed (after first boot), removeClone and a failed deploy.
import { Readable, Writable } from 'node:stream';
import type { StoragePool, Volume } from '../storage.js';
import { removeAfterStream } from '../storage.js';
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import { readRecord, writeRecord } from './record.js';
import type { TemplateRecord } from '../xml/metadata.js';
import { VirtkitError, invalid, isVirtError } from '../errors.js';
import { abortError } from '../util/abort.js';
import { addSeedCdrom, diskElementXml, ejectedDiskXml, planSeedCdrom, type SeedCdrom } from '../xml/seed-disk.js';
import { volumeXml } from '../xml/volume.js';
import { hasSecrets, identityOemStrings, identitySecretLines, OEM_PREFIX, type CloneIdentity } from '../xml/identity.js';
import { iso9660Image } from '../cloudinit/iso9660.js';
import { noCloudSeedIso } from '../cloudinit/seed.js';

/** The volume label of a first-boot seed (what the first-boot script looks for). */
export const SEED_LABEL = 'VIRTKIT';
/** The file of a first-boot seed holding the secrets, one OEM-string-format entry a line. */
export const SECRETS_FILE = 'virtkit-secrets';
/** The OEM string telling the first-boot script that cloud-init personalizes the clone. */
export const PERSONALIZE_CLOUD_INIT = `${OEM_PREFIX}personalize=cloud-init`;

/** The seed volume's name in the clone's pool. */
export function seedVolumeName(clone: string): string {
  return `${clone}-seed.iso`;
}

/** What cloud-init gets beyond the identity ({@link Identity.userData}, {@link Identity.networkConfig}). */
export interface CloudInitExtras {
  userData?: Record<string, unknown>;
  networkConfig?: Record<string, unknown>;
}

/** What deploy writes for one clone: its OEM strings, and the seed image when it needs one. */
export interface SeedPlan {
  oemStrings: string[];
  seed?: { kind: 'virtkit' | 'cloud-init'; image: Buffer };
}

/**
 * Splits an identity (checked, the password already hashed) between SMBIOS and the seed.
 * `cloudInit`: the template's guest has cloud-init (every field goes to the NoCloud seed,
 * instance-id = `instanceId`). `hashWrittenOffline`: the hash is already in the disk
 * (personalize: 'offline'), so the seed does not carry it again.
 */
export function planSeed(identity: CloneIdentity, o: { cloudInit: boolean; instanceId: string; extras?: CloudInitExtras; hashWrittenOffline?: boolean; date?: Date }): SeedPlan {
  if (o.cloudInit) {
    const { secretData, data, ...rest } = identity;
    // cloud-init has one place for free-form data (meta-data 'virtkit-data'); the seed is 0600.
    const all = data || secretData ? { ...data, ...secretData } : undefined;
    const image = noCloudSeedIso({ ...rest, ...(all ? { data: all } : {}), instanceId: o.instanceId, ...o.extras }, { date: o.date });
    return { oemStrings: [`${OEM_PREFIX}v=1`, PERSONALIZE_CLOUD_INIT], seed: { kind: 'cloud-init', image } };
  }
  if (o.extras?.userData !== undefined || o.extras?.networkConfig !== undefined)
    throw invalid("identity.userData and identity.networkConfig need a template whose guest has cloud-init (its seal found none)", { argument: 'opts.identity.userData' });
  const secret: CloneIdentity = { secretData: identity.secretData, ...(o.hashWrittenOffline ? {} : { rootPasswordHash: identity.rootPasswordHash }) };
  const needed = hasSecrets(secret);
  const oemStrings = identityOemStrings(identity, needed ? { seedLabel: SEED_LABEL } : {});
  if (!needed) return { oemStrings };
  const text = identitySecretLines(secret).map((l) => `${l}\n`).join('');
  return { oemStrings, seed: { kind: 'virtkit', image: iso9660Image({ volumeId: SEED_LABEL, date: o.date, files: [{ name: SECRETS_FILE, data: text }] }) } };
}

/**
 * Makes the seed volume `name` in `pool`: raw, mode 0600 in the volume XML, its content uploaded
 * over a volume stream. A failed upload removes the volume.
 */
export async function writeSeedVolume(pool: StoragePool, name: string, image: Buffer, signal?: AbortSignal): Promise<Volume> {
  const vol = await pool.createVolume(volumeXml({ name, format: 'raw', capacity: image.length, mode: 0o600 }));
  try {
    await vol.upload(Readable.from([image]), { signal });
  } catch (e) {
    await removeAfterStream(vol);
    throw e;
  }
  return vol;
}

/** The seed of one clone being deployed: its CD-ROM's place, its volume, its record entry. */
export class CloneSeed {
  readonly #pool: StoragePool;
  readonly #name: string;
  readonly #seed: NonNullable<SeedPlan['seed']>;
  readonly #cd: Omit<SeedCdrom, 'path'>;
  #path: string | undefined;

  /**
   * `poolDir`: the pool's directory when volume paths are predictable (dir, fs, netfs pools), so
   * the first definition already has the CD-ROM; else the path is known once the volume exists.
   */
  constructor(pool: StoragePool, name: string, seed: NonNullable<SeedPlan['seed']>, templateXml: string, poolDir: string | undefined, fileBased: boolean) {
    this.#pool = pool;
    this.#name = name;
    this.#seed = seed;
    this.#path = poolDir === undefined ? undefined : `${poolDir}/${name}`;
    const { path: _p, ...cd } = planSeedCdrom(templateXml, '/', fileBased ? 'file' : 'block');
    this.#cd = cd;
  }

  /** The record entry, once the path is known. */
  get record(): { path: string; target: string; kind: 'virtkit' | 'cloud-init' } | undefined {
    return this.#path === undefined ? undefined : { path: this.#path, target: this.#cd.target, kind: this.#seed.kind };
  }

  /** `xml` with the seed CD-ROM, once its path is known (else unchanged). */
  attach(xml: string): string {
    return this.#path === undefined ? xml : addSeedCdrom(xml, { ...this.#cd, path: this.#path });
  }

  /** Makes and fills the volume; registers its removal with `undo` before anything can fail after it. */
  async make(undo: { push(step: () => Promise<unknown>): void }, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError(signal);
    const vol = await writeSeedVolume(this.#pool, this.#name, this.#seed.image, signal);
    undo.push(() => vol.delete());
    const real = await vol.path();
    if (this.#path !== undefined && real !== this.#path) throw new VirtkitError('INVALID_ARGUMENT', `pool placed '${this.#name}' at '${real}', expected '${this.#path}'`);
    this.#path = real;
  }
}

/** Deletes a clone's seed volume (by its record entry); a volume already gone is fine. */
export async function deleteSeedVolume(conn: Connection, seed: TemplateRecord['seed']): Promise<void> {
  if (!seed) return;
  const v = await conn.volumeByPath(seed.path).catch(() => undefined);
  await v?.delete().catch((e: unknown) => {
    if (!isVirtError(e, 'VIR_ERR_NO_STORAGE_VOL')) throw e;
  });
}

/**
 * Detaches a clone's seed CD-ROM and deletes its seed volume, once its first boot has applied
 * what the seed carried (e.g. after `dom.hostKeys()` resolves: the first-boot script prints the
 * keys after it applied the secrets; cloud-init prints them in its last stage). A running clone's
 * CD-ROM is ejected (forced: closes QEMU's file; the empty drive goes at its next shutdown) and
 * dropped from the persistent definition; the record no longer lists the seed. Resolves true when
 * there was a seed, false when there was none (idempotent).
 * @throws VirtkitError `INVALID_ARGUMENT` for a domain that is not a virtkit clone.
 */
export async function consumeSeed(conn: Connection, dom: Domain): Promise<boolean> {
  const rec = await readRecord(dom);
  if (rec?.role !== 'clone') throw new VirtkitError('INVALID_ARGUMENT', `'${dom.name}' is not a virtkit clone`);
  const seed = rec.seed;
  if (!seed) return false;
  if (await dom.isActive()) {
    const live = diskElementXml(await dom.xml(), seed.target);
    if (live && live.includes('<source')) await dom.updateDevice(ejectedDiskXml(live), { live: true, force: true });
  }
  const config = diskElementXml(await dom.xml({ inactive: true }), seed.target);
  if (config) await dom.detachDevice(config, { config: true });
  await deleteSeedVolume(conn, seed);
  const { seed: _gone, ...rest } = rec;
  await writeRecord(dom, rest);
  return true;
}

/** The bytes of the primary volume descriptor's application identifier (ECMA-119 8.4.20), where the ISO writer puts 'VIRTKIT'. */
const PVD_OFFSET = 16 * 2048;
const APP_ID = { at: 574, text: 'VIRTKIT' };

/** True when `vol` starts like an ISO image virtkit wrote (its application identifier says so). */
async function isVirtkitSeed(vol: Volume): Promise<boolean> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  try {
    await vol.download(sink, { offset: PVD_OFFSET, length: 2048 });
  } catch {
    return false;
  }
  const pvd = Buffer.concat(chunks);
  return pvd.length >= 2048 && pvd.toString('latin1', 1, 6) === 'CD001' && pvd.toString('latin1', APP_ID.at, APP_ID.at + APP_ID.text.length) === APP_ID.text;
}

/**
 * Deletes seed volumes nothing uses any more: in every active pool, a volume named
 * `<name>-seed.iso` that no clone's record lists, when no domain `<name>` exists (a clone
 * undefined behind virtkit's back) and its content is an ISO image virtkit wrote. Returns their paths.
 */
export async function sweepOrphanSeeds(conn: Connection, recordedSeeds: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const pool of await conn.pools({ active: true })) {
    for (const vol of await pool.volumes().catch(() => [] as Volume[])) {
      const m = /^(.+)-seed\.iso$/.exec(vol.name);
      if (!m) continue;
      const path = await vol.path().catch(() => undefined);
      if (path === undefined || recordedSeeds.has(path)) continue;
      if (await conn.findDomain(m[1]!).catch(() => undefined)) continue;
      if (!(await isVirtkitSeed(vol))) continue;
      await vol.delete().catch(() => undefined);
      removed.push(path);
    }
  }
  return removed;
}
