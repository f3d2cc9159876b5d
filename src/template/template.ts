// Template: the typed face of a template domain (state, version, disks, clones) and the entry
// point for create / convert / deploy / delete / recover.
import { importTemplate, type ImportTemplateOptions } from './import.js';
import { replicateTemplate, type ReplicateOptions } from './replicate.js';
import { inspect } from 'node:util';
import type { Connection } from '../connection.js';
import type { Domain } from '../domain.js';
import { VirtkitError, invalid } from '../errors.js';
import { argOptBool, argOptions } from '../args.js';
import { checkName } from '../validate.js';
import type { DiskRecord, TemplateRecord, TemplateState } from '../xml/metadata.js';
import { createdBy, ownerIsGone, readRecord, writeRecord } from './record.js';
import { createTemplate, convertTemplate, assertShutOff } from './create.js';
import { deployClone, deployMany, removeClone } from './deploy.js';
import { sweepOrphanSeeds } from './deploy-seed.js';
import { dependents, setReadOnly, undefineWithNvram } from './disks.js';
import type { ConvertOptions, CreateTemplateOptions, DeployManyOptions, DeployOptions } from './types.js';

/** What recover() did. */
export interface RecoverReport {
  /** Templates left by a crashed run that were removed (domain and volumes). */
  removed: string[];
  /** Templates converted in place whose seal was interrupted: marked 'broken' (their disks may be half-sealed). */
  markedBroken: string[];
  /** Half-made clones removed. */
  removedClones: string[];
  /** Seed volumes (paths) no clone lists any more, deleted (see consumeSeed). */
  removedSeeds: string[];
}

/** A virtkit template: a defined libvirt domain marked in virtkit's metadata namespace. */
export class Template {
  readonly #conn: Connection;
  readonly #dom: Domain;
  #rec: TemplateRecord;

  private constructor(conn: Connection, dom: Domain, rec: TemplateRecord) {
    this.#conn = conn;
    this.#dom = dom;
    this.#rec = rec;
  }

  /**
   * Makes a template from a shut-off VM: its disks are copied into `pool` (the VM is never
   * touched), and for a UEFI VM its variable store too (`<template>_VARS.fd`: boot entries and
   * all), the copies sealed, the template defined and marked `ready`, its disks made
   * read-only. On failure everything created is removed.
   */
  static async create(conn: Connection, opts: CreateTemplateOptions): Promise<Template> {
    const dom = await createTemplate(conn, opts);
    return Template.#wrap(conn, dom);
  }

  /**
   * A template from a disk image (a qcow2 or raw file, or a Readable), with no source VM: the
   * image is streamed into `pool` (sparse), a domain is defined from `opts.domain`, the disk is
   * sealed and made read-only, the template marked `ready`. On failure everything made is removed.
   */
  static async import(conn: Connection, opts: ImportTemplateOptions): Promise<Template> {
    return Template.#wrap(conn, await importTemplate(conn, opts));
  }

  /** Turns the shut-off VM itself into a template (Proxmox's way): sealed in place, same states. */
  static async convert(conn: Connection, domain: Domain, opts: ConvertOptions = {}): Promise<Template> {
    return Template.#wrap(conn, await convertTemplate(domain, opts));
  }

  /** Every virtkit template on this connection, in any state. */
  static async list(conn: Connection): Promise<Template[]> {
    const out: Template[] = [];
    for (const d of await conn.domains({ persistent: true })) {
      const rec = await readRecord(d).catch(() => undefined);
      if (rec?.role === 'template') out.push(new Template(conn, d, rec));
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The template called `name` (or with that UUID); NOT_FOUND when there is none. */
  static async get(conn: Connection, name: string): Promise<Template> {
    checkName('template', name);
    const dom = await conn.findDomain(name);
    const rec = dom && (await readRecord(dom));
    if (!dom || rec?.role !== 'template') throw new VirtkitError('NOT_FOUND', `no virtkit template named '${name}'`);
    return new Template(conn, dom, rec);
  }

  /**
   * Cleans up after a crashed run: templates still `creating`/`sealing` whose creating process
   * is gone are removed (copies) or marked `broken` (converted in place); half-made clones
   * (record present, process gone, disks missing) are removed, with their seed volumes and DHCP reservations; seed
   * volumes whose clone is gone (undefined behind virtkit's back) are deleted.
   */
  static async recover(conn: Connection): Promise<RecoverReport> {
    const report: RecoverReport = { removed: [], markedBroken: [], removedClones: [], removedSeeds: [] };
    const seeds = new Set<string>();
    for (const d of await conn.domains({ persistent: true })) {
      const rec = await readRecord(d).catch(() => undefined);
      if (rec?.seed) seeds.add(rec.seed.path);
      if (!rec || rec.state === 'ready' || rec.state === 'broken' || !ownerIsGone(rec)) continue;
      if (rec.role === 'clone') {
        await removeClone(conn, d).catch(() => undefined);
        report.removedClones.push(d.name);
        continue;
      }
      const inPlace = rec.origin?.uuid === d.uuid;
      if (inPlace) {
        await writeRecord(d, { ...rec, state: 'broken' });
        report.markedBroken.push(d.name);
        continue;
      }
      if (await d.isActive()) await d.destroy();
      await undefineWithNvram(conn, d);
      for (const disk of rec.disks ?? []) {
        await setReadOnly([disk.path], false);
        const v = await conn.volumeByPath(disk.path).catch(() => undefined);
        await v?.delete().catch(() => undefined);
      }
      report.removed.push(d.name);
    }
    report.removedSeeds = await sweepOrphanSeeds(conn, seeds);
    return report;
  }

  static async #wrap(conn: Connection, dom: Domain): Promise<Template> {
    const rec = await readRecord(dom);
    if (!rec) throw new VirtkitError('NOT_FOUND', `'${dom.name}' has no virtkit record`);
    return new Template(conn, dom, rec);
  }

  /** The template's domain name. */
  get name(): string {
    return this.#dom.name;
  }
  /** The template's domain UUID. */
  get uuid(): string {
    return this.#dom.uuid;
  }
  /** The connection (host) this template lives on. */
  get connection(): Connection {
    return this.#conn;
  }
  /** The template's libvirt domain. */
  get domain(): Domain {
    return this.#dom;
  }
  /** Life-cycle state from virtkit's record; only 'ready' templates deploy. */
  get state(): TemplateState {
    return this.#rec.state;
  }
  /** Template version, bumped on each re-seal. */
  get version(): number {
    return this.#rec.version;
  }
  /** ISO 8601 time sealing finished, or undefined when the template was not sealed. */
  get sealedAt(): string | undefined {
    return this.#rec.sealedAt;
  }
  /** Sealing operations applied, e.g. ['machine-id', 'ssh-hostkeys']; [] when none. */
  get operations(): string[] {
    return this.#rec.operations ?? [];
  }
  /** The VM the template was made from (name and UUID), when known. */
  get origin(): { name: string; uuid: string } | undefined {
    return this.#rec.origin;
  }
  /** The template's disks: target name (e.g. 'vda'), host path and format (and SHA-256, whole and by segment, once computed, e.g. by replicate). */
  get disks(): DiskRecord[] {
    return this.#rec.disks ?? [];
  }
  /** For a replica: the template it was copied from (host UUID, URI, template UUID). */
  get replicaOf(): { host: string; uri: string; uuid: string } | undefined {
    return this.#rec.replicaOf;
  }
  /** Hosts this template was replicated to (host UUID and the URI used), as recorded here. */
  get replicas(): { host: string; uri: string }[] {
    return this.#rec.replicas ?? [];
  }
  /** True when sealing found cloud-init in the guest: clones get a NoCloud seed (and the first-boot unit stands aside). */
  get cloudInit(): boolean {
    return this.#rec.cloudInit === true;
  }
  /** The full record as stored in the domain's metadata. */
  get record(): TemplateRecord {
    return structuredClone(this.#rec);
  }

  /** Re-reads the record from libvirt. */
  async refresh(): Promise<this> {
    const rec = await readRecord(this.#dom);
    if (!rec) throw new VirtkitError('NOT_FOUND', `'${this.name}' is no longer a virtkit template`);
    this.#rec = rec;
    return this;
  }

  async #view() {
    // Independent round trips, side by side (the record first for its error).
    const xml = this.#dom.xml({ inactive: true, secure: true });
    xml.catch(() => undefined);
    await this.refresh();
    return { domain: this.#dom, record: this.#rec, xml: await xml };
  }

  /**
   * Deploys one clone (linked by default). Refused unless the template is `ready`. A UEFI clone
   * gets its own copy of the template's variable store (`<clone>_VARS.fd` in the clone's pool),
   * removed with the clone (removeClone) and by a failed deploy.
   */
  async deploy(opts: DeployOptions): Promise<Domain> {
    return deployClone(this.#conn, await this.#view(), opts);
  }

  /** Deploys several clones, all or nothing, with bounded concurrency. */
  async deployMany(specs: DeployOptions[], opts?: DeployManyOptions): Promise<Domain[]> {
    return deployMany(this.#conn, await this.#view(), specs, opts);
  }

  /**
   * Copies this template to another libvirt host over libvirt streams (sparse): the same template
   * (name, UUID) there, in `opts.pool`, ready once each disk is verified against the template's
   * recorded SHA-256 (read back from the target, or as sent: {@link ReplicateOptions.verify}), its
   * disks read-only, its record naming this host and template. Copies
   * nothing when an identical replica exists; resumes an interrupted replication from its
   * checkpoint. See {@link ReplicateOptions.keepPartial} for what a failure leaves.
   */
  async replicate(target: Connection, opts: ReplicateOptions): Promise<Template> {
    const dom = await replicateTemplate(this.#conn, await this.#view(), target, opts);
    await this.refresh();
    return Template.#wrap(target, dom);
  }

  /** The clones deployed from this template (by virtkit's record on each clone). */
  async clones(): Promise<Domain[]> {
    return clonesOf(this.#conn, this.uuid);
  }

  /**
   * Clones of this template on the other hosts its record knows (its replicas, or the template it
   * is a replica of), by host URI. `connections` are used where they reach one of those hosts;
   * the others are opened (and closed) here. A host that cannot be reached is HOST_UNREACHABLE.
   */
  async remoteClones(connections: Connection[] = []): Promise<{ uri: string; clones: string[] }[]> {
    const uris = [...new Set([...(this.#rec.replicas ?? []).map((r) => r.uri), ...(this.#rec.replicaOf ? [this.#rec.replicaOf.uri] : [])])];
    const out: { uri: string; clones: string[] }[] = [];
    for (const uri of uris) {
      const known = connections.find((c) => c.uri === uri && !c.closed);
      let c = known;
      if (!c) {
        const { Connection: Conn } = await import('../connection.js');
        c = await Conn.open(uri, { timeoutMs: 15_000 }).catch((e: unknown) => {
          throw new VirtkitError('HOST_UNREACHABLE', `cannot reach '${uri}', a host holding a copy of template '${this.name}': ${(e as Error).message}`, { cause: e, details: { uri } });
        });
      }
      try {
        const names = (await clonesOf(c, this.uuid)).map((d) => d.name);
        if (names.length) out.push({ uri, clones: names });
      } finally {
        if (!known) await c.close().catch(() => undefined);
      }
    }
    return out;
  }

  /** Overlays (made by virtkit or anyone else) whose backing file is a disk of this template. */
  async dependents(): Promise<{ volume: string; path: string; backing: string }[]> {
    return dependents(this.#conn, this.disks.map((d) => d.path));
  }

  /**
   * Deletes the template: its domain and its disk volumes. Refused with TEMPLATE_IN_USE while
   * clones exist (naming them) and BACKING_IN_USE while any overlay still uses its disks.
   * Replicas know each other: clones on the other hosts of its record count too (reached by their
   * URI, or through `opts.connections`), unless `opts.localOnly` (those clones keep their own
   * host's copy). A host that cannot be reached refuses with HOST_UNREACHABLE.
   */
  async delete(opts: { localOnly?: boolean; connections?: Connection[] } = {}): Promise<void> {
    argOptions('opts', opts);
    argOptBool('opts.localOnly', opts.localOnly);
    if (opts.connections !== undefined && !Array.isArray(opts.connections)) throw invalid('opts.connections must be an array of Connections', { argument: 'opts.connections' });
    await this.refresh();
    const clones = await this.clones();
    if (clones.length)
      throw new VirtkitError('TEMPLATE_IN_USE', `template '${this.name}' has clones: ${clones.map((c) => c.name).join(', ')}`, {
        details: { clones: clones.map((c) => c.name) },
      });
    if (!opts.localOnly) {
      const remote = await this.remoteClones(opts.connections);
      if (remote.length)
        throw new VirtkitError('TEMPLATE_IN_USE', `template '${this.name}' has clones on other hosts: ${remote.map((r) => `${r.uri}: ${r.clones.join(', ')}`).join('; ')}`, {
          details: { remote },
        });
    }
    const deps = await this.dependents();
    if (deps.length)
      throw new VirtkitError('BACKING_IN_USE', `template '${this.name}' disks back other volumes: ${deps.map((d) => d.path).join(', ')}`, {
        details: { volumes: deps },
      });
    if (await this.#dom.isActive()) await this.#dom.destroy();
    const inPlace = this.#rec.origin?.uuid === this.uuid;
    if (inPlace) await this.#dom.undefine();
    else await undefineWithNvram(this.#conn, this.#dom); // its VARS copy goes with it
    for (const d of this.disks) {
      await setReadOnly([d.path], false);
      if (inPlace) continue; // a converted VM's disks were the VM's own: they go with an explicit volume delete only
      const v = await this.#conn.volumeByPath(d.path).catch(() => undefined);
      await v?.delete();
    }
  }

  /**
   * Makes a new version of this template from an updated (shut-off) VM. The current version is
   * renamed `<name>.v<N>` and stays while clones use it; the new one takes the name.
   */
  async newVersion(opts: Omit<CreateTemplateOptions, 'name'>): Promise<Template> {
    argOptions('opts', opts);
    if (!opts.from || typeof opts.from.xml !== 'function') throw invalid('from: a Domain is required', { argument: 'opts.from' });
    await this.refresh();
    if (this.state !== 'ready') throw new VirtkitError('TEMPLATE_NOT_READY', `template '${this.name}' is '${this.state}'`);
    await assertShutOff(opts.from, 'source VM');
    const name = this.name;
    const oldName = `${name}.v${this.version}`;
    if (await this.#conn.findDomain(oldName)) throw new VirtkitError('ALREADY_EXISTS', `a domain named '${oldName}' already exists`);
    await this.#dom.rename(oldName);
    try {
      const created = await createTemplate(this.#conn, { ...opts, name });
      const rec = await readRecord(created);
      if (rec) await writeRecord(created, { ...rec, version: this.version + 1, createdBy: createdBy() });
      return Template.#wrap(this.#conn, created);
    } catch (e) {
      await this.#dom.rename(name).catch(() => undefined);
      throw e;
    }
  }

  /** Short form for console.log and the REPL. */
  [inspect.custom](): string {
    return `Template { name: ${inspect(this.name)}, state: '${this.state}', version: ${this.version}, disks: ${inspect(this.disks.map((d) => d.path))} }`;
  }
}

/** Domains whose virtkit record says they were deployed from the template with this UUID. */
async function clonesOf(conn: Connection, uuid: string): Promise<Domain[]> {
  const out: Domain[] = [];
  for (const d of await conn.domains()) {
    const rec = await readRecord(d).catch(() => undefined);
    if (rec?.role === 'clone' && rec.template?.uuid === uuid) out.push(d);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
