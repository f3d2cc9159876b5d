// Snapshot XML (virDomainSnapshotCreateXML's input) for the snapshots virtkit makes by name.
import { createElement, parseRoot, serialize } from './doc.js';

/** `<domainsnapshot>` with an optional `<name>` and `<description>` (text escaped, never concatenated). */
export function snapshotXml(o: { name?: string; description?: string }): string {
  const doc = parseRoot('<domainsnapshot/>', 'domainsnapshot');
  const root = doc.documentElement!;
  if (o.name !== undefined) root.appendChild(createElement(doc, 'name', {}, o.name));
  if (o.description !== undefined) root.appendChild(createElement(doc, 'description', {}, o.description));
  return serialize(root);
}
