// JSON shapes of templates and clones, shared by several commands (documented in docs/CLI.md).
import { VIRTKIT_NS, parseTemplateMetadata, type Domain, type Template, type TemplateProgress, type TemplateRecord } from '../index.js';
import { bytes } from './output.js';

export interface TemplateJson {
  name: string;
  uuid: string;
  state: string;
  version: number;
  sealedAt: string | null;
  operations: string[];
  origin: { name: string; uuid: string } | null;
  disks: { target: string; path: string; format: string }[];
}

export function templateJson(t: Template): TemplateJson {
  return {
    name: t.name, uuid: t.uuid, state: t.state, version: t.version, sealedAt: t.sealedAt ?? null,
    operations: t.operations, origin: t.origin ?? null, disks: t.disks,
  };
}

export interface CloneJson {
  name: string;
  uuid: string;
  /** libvirt state: 'running', 'shutoff', ... */
  state: string;
  template: { name: string; uuid: string; version: number } | null;
  disks: { target: string; path: string; format: string }[];
}

async function record(d: Domain): Promise<TemplateRecord | undefined> {
  const md = await d.metadata(VIRTKIT_NS);
  return md ? parseTemplateMetadata(md) : undefined;
}

export async function cloneJson(d: Domain): Promise<CloneJson> {
  const [rec, st] = await Promise.all([record(d), d.state()]);
  return { name: d.name, uuid: d.uuid, state: st.state, template: rec?.template ?? null, disks: rec?.disks ?? [] };
}

/** The progress line of template create/convert/deploy/flatten. */
export function templateProgress(p: TemplateProgress): { label: string; fraction?: number } {
  switch (p.step) {
    case 'copy': {
      const of = p.total ? ` ${bytes(p.bytes ?? 0)} / ${bytes(p.total)}` : '';
      return { label: `${p.name}: copying ${p.disk ?? 'disk'}${of}`, ...(p.total ? { fraction: (p.bytes ?? 0) / p.total } : {}) };
    }
    case 'seal':
      return { label: `${p.name}: sealing${p.operation ? `: ${p.operation}` : ''}`, ...(p.steps?.total ? { fraction: p.steps.done / p.steps.total } : {}) };
    case 'overlay':
      return { label: `${p.name}: creating overlay for ${p.disk ?? 'disk'}` };
    case 'reserve':
      return { label: `${p.name}: reserving an address` };
    default:
      return { label: `${p.name}: ${p.step}` };
  }
}
