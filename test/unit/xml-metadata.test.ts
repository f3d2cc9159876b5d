// virtkit's metadata record and the XML helpers (parsing errors, escaping, serialization).
import { describe, expect, it } from 'vitest';
import { VIRTKIT_NS, VIRTKIT_PREFIX, parseTemplateMetadata, templateMetadataXml, type TemplateRecord } from '../../src/xml/metadata.js';
import { DomainXml } from '../../src/xml/domain.js';
import { child, parseXml, serialize, setAttr, setText } from '../../src/xml/doc.js';
import { VirtkitError } from '../../src/errors.js';

function expectInvalid(fn: () => unknown, pattern?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VirtkitError);
  expect((err as VirtkitError).code).toBe('INVALID_ARGUMENT');
  if (pattern) expect((err as Error).message).toMatch(pattern);
}

const template: TemplateRecord = {
  role: 'template',
  state: 'ready',
  version: 2,
  sealedAt: '2025-03-04T05:06:07.000Z',
  operations: ['machine-id', 'ssh-hostkeys', 'customize'],
  origin: { name: 'web <golden> & "co"', uuid: '0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01' },
  disks: [{ target: 'vda', path: '/tpl/web.qcow2', format: 'qcow2' }],
  createdBy: { pid: 4242, host: 'builder' },
};
const clone: TemplateRecord = {
  role: 'clone', state: 'ready', version: 1,
  template: { name: 'tpl-web', uuid: '0b6e3d1e-3a55-4c3c-9d1a-6a6f2f9c1a01', version: 2 },
  disks: [{ target: 'vda', path: '/vms/web1.qcow2', format: 'qcow2' }],
};
const DOMAIN = "<domain type='qemu'>\n  <name>x</name>\n  <memory unit='KiB'>1024</memory>\n</domain>\n";

describe('template metadata', () => {
  it('writes one element for virDomainSetMetadata and reads it back', () => {
    const xml = templateMetadataXml(template);
    expect(xml.startsWith("<template role='template' state='ready' version='2'>")).toBe(true);
    expect(parseTemplateMetadata(xml)).toEqual(template);
    expect(parseTemplateMetadata(templateMetadataXml(clone))).toEqual(clone);
  });

  it('reads the record from a full domain XML, as libvirt stores it', () => {
    const d = new DomainXml(DOMAIN);
    d.setMetadata(VIRTKIT_NS, VIRTKIT_PREFIX, templateMetadataXml(template));
    const xml = d.toString();
    expect(xml).toContain(`<virtkit:template xmlns:virtkit="${VIRTKIT_NS}" role="template" state="ready" version="2">`);
    expect(parseTemplateMetadata(xml)).toEqual(template);
    expect(parseTemplateMetadata(d.getMetadata(VIRTKIT_NS)!)).toEqual(template);
    expect(parseTemplateMetadata(DOMAIN)).toBeUndefined();
  });

  it('accepts prefixed children (hand-written records)', () => {
    const xml = `<v:template xmlns:v="${VIRTKIT_NS}" role="clone" state="broken" version="0"><v:deployedFrom name="t" uuid="u" version="1"/></v:template>`;
    expect(parseTemplateMetadata(xml)).toEqual({ role: 'clone', state: 'broken', version: 0, template: { name: 't', uuid: 'u', version: 1 } });
  });

  it('keeps a disk\'s digests, whole and by segment', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64));
    const rec: TemplateRecord = { ...template, disks: [{ target: 'vda', path: '/tpl/web.qcow2', format: 'qcow2', sha256: a, segments: { size: 64 << 20, sha256: [b, c] } }] };
    const xml = templateMetadataXml(rec);
    expect(xml).toContain(`<segments size='${64 << 20}'>${b} ${c}</segments>`);
    expect(parseTemplateMetadata(xml)).toEqual(rec);
    const empty: TemplateRecord = { ...template, disks: [{ ...rec.disks![0]!, segments: { size: 1, sha256: [] } }] };
    expect(parseTemplateMetadata(templateMetadataXml(empty))).toEqual(empty);
    expectInvalid(() => templateMetadataXml({ ...rec, disks: [{ ...rec.disks![0]!, segments: { size: 0, sha256: [b] } }] }), /at least 1/);
    expectInvalid(() => templateMetadataXml({ ...rec, disks: [{ ...rec.disks![0]!, segments: { size: 1, sha256: ['xyz'] } }] }), /64 hex/);
    expectInvalid(() => parseTemplateMetadata(xml.replace(` ${c}<`, ' nothex<')), /64-hex-digit/);
    expectInvalid(() => parseTemplateMetadata(xml.replace(`size='${64 << 20}'`, "size='0'")), /at least 1/);
  });

  it('validates records', () => {
    expectInvalid(() => templateMetadataXml({ ...template, state: 'sleeping' as never }), /state/);
    expectInvalid(() => templateMetadataXml({ ...template, role: 'other' as never }), /role/);
    expectInvalid(() => templateMetadataXml({ ...template, version: -1 }), /version/);
    expectInvalid(() => templateMetadataXml({ ...template, sealedAt: 'yesterday' }), /ISO/);
    expectInvalid(() => parseTemplateMetadata("<template role='template' version='1'/>"), /state/);
    expectInvalid(() => parseTemplateMetadata("<template role='template' state='ready' version='x'/>"), /integer/);
    expectInvalid(() => parseTemplateMetadata('<other/>'), /unexpected/);
  });
});

describe('XML helpers', () => {
  it('reports malformed XML as INVALID_ARGUMENT', () => {
    expectInvalid(() => parseXml('<a><b></a>', 'test XML'), /test XML is not well-formed XML: .*mismatch/);
    expectInvalid(() => parseXml(''), /not well-formed|no root/);
    expectInvalid(() => parseXml('<a>&undefined;</a>'), /entity/);
    expectInvalid(() => parseXml('<x:a/>'));
    expectInvalid(() => parseXml(42 as never), /string/);
  });

  it('escapes <, &, quotes in text and attributes; parses back to the same strings', () => {
    const doc = parseXml("<r a='1'>t</r>");
    const root = doc.documentElement!;
    const nasty = `<tag> & "double" 'single' ]]> \t tab\nnewline`;
    setAttr(root, 'a', nasty);
    setText(root, nasty);
    const xml = serialize(doc);
    expect(xml).toBe(`<r a='&lt;tag&gt; &amp; &quot;double&quot; &apos;single&apos; ]]&gt; &#9; tab&#10;newline'>&lt;tag&gt; &amp; &quot;double&quot; &apos;single&apos; ]]&gt; \t tab\nnewline</r>`);
    const back = parseXml(xml).documentElement!;
    expect(back.getAttribute('a')).toBe(nasty);
    expect(back.textContent).toBe(nasty);
  });

  it('keeps comments, CDATA, processing instructions and trailing whitespace', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- head -->\n<a>\n  <![CDATA[x < y]]>\n  <?pi data?>\n  <b/>\n</a>\n<!-- tail -->\n\n`;
    expect(serialize(parseXml(xml))).toBe(xml);
  });

  it('finds libvirt children by name, not namespaced ones', () => {
    const root = parseXml("<a xmlns:x='urn:x'><x:name>no</x:name><name>yes</name></a>").documentElement!;
    expect(child(root, 'name')?.textContent).toBe('yes');
  });
});
