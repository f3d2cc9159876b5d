// virtkit's own record in a domain's <metadata>: marks templates and clones.
//
// The element is what virDomainSetMetadata(VIR_DOMAIN_METADATA_ELEMENT, xml, 'virtkit', VIRTKIT_NS)
// takes: one element whose root libvirt puts in the namespace; children stay un-namespaced, e.g.
//   <virtkit:template xmlns:virtkit='https://virtkit.dev/xmlns/template/1' role='template' state='ready' version='2'>
//     <sealedAt>2025-01-01T00:00:00.000Z</sealedAt>
//     <operations><operation>machine-id</operation></operations>
//     <origin name='web' uuid='…'/>
//     <disks><disk target='vda' path='/pool/tpl.qcow2' format='qcow2'/></disks>
//     <createdBy pid='4242' host='builder'/>
//   </virtkit:template>
// A clone's record has role='clone' and a <deployedFrom name uuid version/> child (its template),
// and <reservations><reservation network mac ip family prefix/></reservations> when deploy reserved addresses.
import type { Element } from './doc.js';
import { attr, children, createElement, insertChild, parseRoot, parseXml, prettyPrint, serialize, text } from './doc.js';
import { invalid } from '../errors.js';

/** virtkit's metadata namespace URI. */
export const VIRTKIT_NS = 'https://virtkit.dev/xmlns/template/1';
/** The prefix virtkit uses for its namespace. */
export const VIRTKIT_PREFIX = 'virtkit';

/** Template life cycle: only 'ready' templates can deploy. */
export type TemplateState = 'creating' | 'sealing' | 'ready' | 'broken';
const STATES: readonly TemplateState[] = ['creating', 'sealing', 'ready', 'broken'];

/** One disk of a {@link TemplateRecord}. */
export interface DiskRecord {
  target: string;
  path: string;
  format: string;
  /** SHA-256 of the file's logical content (holes as zeroes), once computed. */
  sha256?: string;
  /** SHA-256 of each `size` bytes of the file (the last piece shorter), computed with `sha256`: a copy made in pieces is checked piece by piece. */
  segments?: { size: number; sha256: string[] };
}

/** virtkit's record of a template or a clone. */
export interface TemplateRecord {
  /** Whether the domain is a template or a clone deployed from one. */
  role: 'template' | 'clone';
  /** Life-cycle state; clones are written 'ready' once deployed. */
  state: TemplateState;
  /** Template version, bumped on each re-seal (a non-negative integer). */
  version: number;
  /** ISO 8601 time sealing finished. */
  sealedAt?: string;
  /** Sealing operations applied, e.g. ['machine-id', 'ssh-hostkeys']. */
  operations?: string[];
  /** The VM a template was made from. */
  origin?: { name: string; uuid: string };
  /** For clones: the template deployed from. */
  template?: { name: string; uuid: string; version: number };
  /** The disks virtkit made for this domain; `sha256` of the file's logical content, once computed (template disks never change). */
  disks?: DiskRecord[];
  /** For a replica: the template it was copied from (host UUID from the capabilities, URI as the copier reached it). */
  replicaOf?: { host: string; uri: string; uuid: string };
  /** Hosts holding a replica of this template (as the replicating process reached them). */
  replicas?: { host: string; uri: string }[];
  /** A replica still being copied: the disk under way and the offset known to be on the target. */
  replication?: { disk: string; offset: number };
  /** The process that created the record (to find leftovers of a crashed run). */
  createdBy?: { pid: number; host: string };
  /** For a template: sealing found cloud-init in the guest, so clones are personalized through its NoCloud data source. */
  cloudInit?: boolean;
  /**
   * For a clone: its seed volume (a read-only CD-ROM holding the secrets, or cloud-init's NoCloud
   * seed) until consumeSeed or removeClone deletes it. `target` is its CD-ROM's `<target dev>`.
   */
  seed?: { path: string; target: string; kind: 'virtkit' | 'cloud-init' };
  /** For clones: the DHCP reservations deploy made for its NICs (removeClone and recover release them). */
  reservations?: CloneReservation[];
}

/** One DHCP reservation deploy made for a clone's NIC: a static host entry of `network`. */
export interface CloneReservation {
  /** The libvirt network's name. */
  network: string;
  /** The clone NIC's MAC (what the host entry names). */
  mac: string;
  /** The reserved address. */
  ip: string;
  /** 'ipv4' (the host entry names the MAC) or 'ipv6' (it names the MAC's DUID-LL). */
  family: 'ipv4' | 'ipv6';
  /** The network's prefix length for that address, when known. */
  prefix?: number;
}

const SHA256 = /^[0-9a-f]{64}$/;
const posInt = (v: unknown, what: string): number => {
  const n = nonNegInt(v, what);
  if (n < 1) throw invalid(`${what} must be at least 1, got ${n}`);
  return n;
};
const nonNegInt = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`${what} must be a non-negative integer, got ${String(v)}`);
  return v;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw invalid(`${what} must be a non-empty string`);
  return v;
};

/** Serializes a record as one element string for virDomainSetMetadata (no namespace on it). */
export function templateMetadataXml(rec: TemplateRecord): string {
  if (rec.role !== 'template' && rec.role !== 'clone') throw invalid(`role must be 'template' or 'clone', got ${JSON.stringify(rec.role)}`);
  if (!STATES.includes(rec.state)) throw invalid(`state must be one of ${STATES.join(', ')}, got ${JSON.stringify(rec.state)}`);
  const doc = parseRoot('<template/>', 'template');
  const root = doc.documentElement!;
  root.setAttribute('role', rec.role);
  const add = (p: Element, name: string, attrs: Record<string, string | number | undefined> = {}, t?: string) =>
    insertChild(p, createElement(doc, name, attrs, t));
  root.setAttribute('state', rec.state);
  root.setAttribute('version', String(nonNegInt(rec.version, 'version')));
  if (rec.sealedAt !== undefined) {
    if (Number.isNaN(Date.parse(rec.sealedAt))) throw invalid(`sealedAt must be an ISO 8601 time, got ${JSON.stringify(rec.sealedAt)}`);
    add(root, 'sealedAt', {}, rec.sealedAt);
  }
  if (rec.operations) {
    const ops = add(root, 'operations');
    for (const op of rec.operations) add(ops, 'operation', {}, str(op, 'operation'));
  }
  if (rec.origin) add(root, 'origin', { name: str(rec.origin.name, 'origin.name'), uuid: str(rec.origin.uuid, 'origin.uuid') });
  if (rec.template) {
    const t = rec.template;
    add(root, 'deployedFrom', { name: str(t.name, 'template.name'), uuid: str(t.uuid, 'template.uuid'), version: nonNegInt(t.version, 'template.version') });
  }
  if (rec.disks) {
    const ds = add(root, 'disks');
    for (const d of rec.disks) {
      if (d.sha256 !== undefined && !SHA256.test(d.sha256)) throw invalid(`disk.sha256 must be 64 hex digits, got ${JSON.stringify(d.sha256)}`);
      const el = add(ds, 'disk', { target: str(d.target, 'disk.target'), path: str(d.path, 'disk.path'), format: str(d.format, 'disk.format'), sha256: d.sha256 });
      if (d.segments) {
        const bad = d.segments.sha256.find((h) => !SHA256.test(h));
        if (bad !== undefined) throw invalid(`disk.segments: each digest must be 64 hex digits, got ${JSON.stringify(bad)}`);
        // One text of space-separated digests: a 2 GiB disk in 64 MiB pieces is 32 of them.
        add(el, 'segments', { size: posInt(d.segments.size, 'disk.segments.size') }, d.segments.sha256.join(' '));
      }
    }
  }
  if (rec.replicaOf) add(root, 'replicaOf', { host: str(rec.replicaOf.host, 'replicaOf.host'), uri: str(rec.replicaOf.uri, 'replicaOf.uri'), uuid: str(rec.replicaOf.uuid, 'replicaOf.uuid') });
  if (rec.replicas) {
    const rs = add(root, 'replicas');
    for (const r of rec.replicas) add(rs, 'replica', { host: str(r.host, 'replica.host'), uri: str(r.uri, 'replica.uri') });
  }
  if (rec.replication) add(root, 'replication', { disk: str(rec.replication.disk, 'replication.disk'), offset: nonNegInt(rec.replication.offset, 'replication.offset') });
  if (rec.cloudInit) add(root, 'cloudInit');
  if (rec.seed) {
    if (rec.seed.kind !== 'virtkit' && rec.seed.kind !== 'cloud-init') throw invalid(`seed.kind must be 'virtkit' or 'cloud-init', got ${JSON.stringify(rec.seed.kind)}`);
    add(root, 'seed', { path: str(rec.seed.path, 'seed.path'), target: str(rec.seed.target, 'seed.target'), kind: rec.seed.kind });
  }
  if (rec.createdBy) add(root, 'createdBy', { pid: nonNegInt(rec.createdBy.pid, 'createdBy.pid'), host: str(rec.createdBy.host, 'createdBy.host') });
  if (rec.reservations) {
    const rs = add(root, 'reservations');
    for (const r of rec.reservations) {
      if (r.family !== 'ipv4' && r.family !== 'ipv6') throw invalid(`reservation.family must be 'ipv4' or 'ipv6', got ${JSON.stringify(r.family)}`);
      const prefix = r.prefix === undefined ? undefined : nonNegInt(r.prefix, 'reservation.prefix');
      add(rs, 'reservation', { network: str(r.network, 'reservation.network'), mac: str(r.mac, 'reservation.mac'), ip: str(r.ip, 'reservation.ip'), family: r.family, prefix });
    }
  }
  prettyPrint(root);
  return serialize(doc);
}

// children by local name, whatever their namespace (libvirt leaves them un-namespaced; a
// hand-written record may prefix them)
const kids = (el: Element, name: string) => children(el).filter((c) => c.localName === name);
const kid = (el: Element, name: string) => kids(el, name)[0];
const need = (el: Element | undefined, name: string, what: string): string => {
  const v = attr(el, name);
  if (v === undefined) throw invalid(`virtkit metadata: <${what}> lacks '${name}'`);
  return v;
};
const int = (v: string, what: string): number => {
  if (!/^\d+$/.test(v)) throw invalid(`virtkit metadata: ${what} is not an integer: ${JSON.stringify(v)}`);
  return Number(v);
};

/**
 * Reads virtkit's record from either the element string virDomainGetMetadata returns or a whole
 * domain XML. Returns undefined when a domain has no virtkit metadata; throws INVALID_ARGUMENT
 * when the record is malformed.
 */
export function parseTemplateMetadata(xml: string): TemplateRecord | undefined {
  let root = parseXml(xml, 'virtkit metadata').documentElement!;
  if (root.localName === 'domain' && !root.namespaceURI) {
    const md = children(root, 'metadata').find((m) => !m.namespaceURI);
    const found = md && children(md).find((c) => c.namespaceURI === VIRTKIT_NS);
    if (!found) return undefined;
    root = found;
  }
  if (root.localName !== 'template') throw invalid(`virtkit metadata: unexpected element <${root.nodeName}>`);
  if (root.namespaceURI && root.namespaceURI !== VIRTKIT_NS) throw invalid(`virtkit metadata: foreign namespace ${root.namespaceURI}`);
  const role = need(root, 'role', 'template');
  if (role !== 'template' && role !== 'clone') throw invalid(`virtkit metadata: unknown role ${JSON.stringify(role)}`);
  const state = need(root, 'state', role) as TemplateState;
  if (!STATES.includes(state)) throw invalid(`virtkit metadata: unknown state ${JSON.stringify(state)}`);
  const rec: TemplateRecord = { role, state, version: int(need(root, 'version', role), 'version') };
  const sealed = kid(root, 'sealedAt');
  if (sealed) rec.sealedAt = text(sealed);
  const ops = kid(root, 'operations');
  if (ops) rec.operations = kids(ops, 'operation').map((o) => text(o) ?? '');
  const origin = kid(root, 'origin');
  if (origin) rec.origin = { name: need(origin, 'name', 'origin'), uuid: need(origin, 'uuid', 'origin') };
  const tpl = kid(root, 'deployedFrom');
  if (tpl) rec.template = { name: need(tpl, 'name', 'deployedFrom'), uuid: need(tpl, 'uuid', 'deployedFrom'), version: int(need(tpl, 'version', 'deployedFrom'), 'template version') };
  const disks = kid(root, 'disks');
  if (disks) {
    rec.disks = kids(disks, 'disk').map((d) => {
      const disk: DiskRecord = { target: need(d, 'target', 'disk'), path: need(d, 'path', 'disk'), format: need(d, 'format', 'disk') };
      const sum = attr(d, 'sha256');
      if (sum !== undefined) disk.sha256 = sum;
      const segs = kid(d, 'segments');
      if (segs) {
        const list = (text(segs) ?? '').split(/\s+/).filter(Boolean);
        if (list.some((h) => !SHA256.test(h))) throw invalid('virtkit metadata: disk segments must be 64-hex-digit digests');
        const size = int(need(segs, 'size', 'segments'), 'segments size');
        if (size < 1) throw invalid('virtkit metadata: segments size must be at least 1');
        disk.segments = { size, sha256: list };
      }
      return disk;
    });
  }
  const of = kid(root, 'replicaOf');
  if (of) rec.replicaOf = { host: need(of, 'host', 'replicaOf'), uri: need(of, 'uri', 'replicaOf'), uuid: need(of, 'uuid', 'replicaOf') };
  const reps = kid(root, 'replicas');
  if (reps) rec.replicas = kids(reps, 'replica').map((r) => ({ host: need(r, 'host', 'replica'), uri: need(r, 'uri', 'replica') }));
  const rep = kid(root, 'replication');
  if (rep) rec.replication = { disk: need(rep, 'disk', 'replication'), offset: int(need(rep, 'offset', 'replication'), 'replication offset') };
  if (kid(root, 'cloudInit')) rec.cloudInit = true;
  const seed = kid(root, 'seed');
  if (seed) {
    const kind = need(seed, 'kind', 'seed');
    if (kind !== 'virtkit' && kind !== 'cloud-init') throw invalid(`virtkit metadata: unknown seed kind ${JSON.stringify(kind)}`);
    rec.seed = { path: need(seed, 'path', 'seed'), target: need(seed, 'target', 'seed'), kind };
  }
  const by = kid(root, 'createdBy');
  if (by) rec.createdBy = { pid: int(need(by, 'pid', 'createdBy'), 'createdBy pid'), host: need(by, 'host', 'createdBy') };
  const res = kid(root, 'reservations');
  if (res) {
    rec.reservations = kids(res, 'reservation').map((r) => {
      const family = attr(r, 'family') ?? 'ipv4';
      if (family !== 'ipv4' && family !== 'ipv6') throw invalid(`virtkit metadata: unknown reservation family ${JSON.stringify(family)}`);
      const out: CloneReservation = { network: need(r, 'network', 'reservation'), mac: need(r, 'mac', 'reservation'), ip: need(r, 'ip', 'reservation'), family };
      const prefix = attr(r, 'prefix');
      if (prefix !== undefined) out.prefix = int(prefix, 'reservation prefix');
      return out;
    });
  }
  return rec;
}
