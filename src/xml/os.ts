// The <os> element of a domain, and ordered insertion of libvirt's child elements.
import type { Element, Node } from './doc.js';
import { attr, child, children, insertChild, removeChildren, setAttr, setText, text, yesNo } from './doc.js';

/**
 * Returns child `name` of `parent`, creating it at the place `order` gives it (before the first
 * existing sibling that comes later in `order`), so new elements land where libvirt puts them.
 */
export function ensureOrdered(parent: Element, name: string, order: readonly string[]): Element {
  const existing = child(parent, name);
  if (existing) return existing;
  const later = new Set(order.slice(order.indexOf(name) + 1));
  let before: Node | null = null;
  for (const c of children(parent)) {
    if (!c.namespaceURI && later.has(c.localName ?? '')) {
      before = c;
      break;
    }
  }
  return insertChild(parent, parent.ownerDocument!.createElement(name), before);
}

const OS_ORDER = ['type', 'firmware', 'loader', 'nvram', 'kernel', 'initrd', 'cmdline', 'dtb', 'acpi', 'boot', 'bootmenu', 'smbios', 'bios'] as const;

/** UEFI loader settings from `<loader>`. */
export interface LoaderInfo {
  /** Firmware code image path, e.g. '/usr/share/OVMF/OVMF_CODE.fd'. */
  path?: string;
  /** `readonly='yes'`: the loader image is not written to (pflash code). */
  readonly?: boolean;
  /** Loader type: 'rom' or 'pflash'. */
  type?: string;
  /** `secure='yes'`: Secure Boot capable firmware (needs SMM). */
  secure?: boolean;
}

/** UEFI variable store settings from `<nvram>`. */
export interface NvramInfo {
  /** The per-domain variable store (text content, or `<source file>`). */
  path?: string;
  /** The file libvirt copies to `path` when it does not exist. */
  template?: string;
}

/** A live view of a domain's `<os>` element. */
export class OsXml {
  /**
   * Wraps an `<os>` element.
   * @param element - The wrapped element; edits through this view change it in place.
   */
  constructor(readonly element: Element) {}
  private get typeEl(): Element | undefined {
    return child(this.element, 'type');
  }
  private setOrderedText(name: string, value: string | undefined): void {
    if (value === undefined) removeChildren(this.element, name);
    else setText(ensureOrdered(this.element, name, OS_ORDER), value);
  }
  /** `<type>` text: 'hvm', 'xen', 'exe', ... */
  get type(): string | undefined {
    return text(this.typeEl);
  }
  /** Sets the `<type>` text; undefined removes `<type>`. */
  set type(v: string | undefined) {
    this.setOrderedText('type', v);
  }
  /** `<type arch>`, e.g. 'x86_64'. */
  get arch(): string | undefined {
    return attr(this.typeEl, 'arch');
  }
  /** Sets `<type arch>`; undefined removes the attribute. */
  set arch(v: string | undefined) {
    setAttr(ensureOrdered(this.element, 'type', OS_ORDER), 'arch', v);
  }
  /** `<type machine>`, e.g. 'pc-q35-7.2'. */
  get machine(): string | undefined {
    return attr(this.typeEl, 'machine');
  }
  /** Sets `<type machine>`; undefined removes the attribute. */
  set machine(v: string | undefined) {
    setAttr(ensureOrdered(this.element, 'type', OS_ORDER), 'machine', v);
  }
  /** `<os firmware>` auto-selection ('efi' or 'bios'). */
  get firmware(): string | undefined {
    return attr(this.element, 'firmware');
  }
  /** Direct kernel boot: `<kernel>` path. */
  get kernel(): string | undefined {
    return text(child(this.element, 'kernel'));
  }
  /** Sets the `<kernel>` path; undefined removes it. */
  set kernel(v: string | undefined) {
    this.setOrderedText('kernel', v);
  }
  /** Direct kernel boot: `<initrd>` path. */
  get initrd(): string | undefined {
    return text(child(this.element, 'initrd'));
  }
  /** Sets the `<initrd>` path; undefined removes it. */
  set initrd(v: string | undefined) {
    this.setOrderedText('initrd', v);
  }
  /** Direct kernel boot: `<cmdline>`. */
  get cmdline(): string | undefined {
    return text(child(this.element, 'cmdline'));
  }
  /** Sets `<cmdline>`; undefined removes it. */
  set cmdline(v: string | undefined) {
    this.setOrderedText('cmdline', v);
  }
  /** `<loader>` (firmware code), or undefined. */
  get loader(): LoaderInfo | undefined {
    const l = child(this.element, 'loader');
    if (!l) return undefined;
    const path = text(l);
    return { path: path || undefined, readonly: yesNo(attr(l, 'readonly')), type: attr(l, 'type'), secure: yesNo(attr(l, 'secure')) };
  }
  /** `<nvram>` (UEFI variable store), or undefined. */
  get nvram(): NvramInfo | undefined {
    const n = child(this.element, 'nvram');
    if (!n) return undefined;
    const src = child(n, 'source');
    const path = src ? attr(src, 'file') : text(n) || undefined;
    return { path, template: attr(n, 'template') };
  }
  /**
   * Sets the per-domain NVRAM path (keeping `template` and other attributes), creating `<nvram>`
   * when missing; `undefined` removes the path so libvirt derives `<name>_VARS.fd` from the template.
   */
  setNvramPath(path: string | undefined): void {
    let n = child(this.element, 'nvram');
    if (!n) {
      if (path === undefined) return;
      n = ensureOrdered(this.element, 'nvram', OS_ORDER);
    }
    const src = child(n, 'source');
    if (src && attr(n, 'type') === 'file') {
      if (path === undefined) {
        removeChildren(n, 'source');
        n.removeAttribute('type');
      } else src.setAttribute('file', path);
      return;
    }
    if (src) {
      // a network- or block-backed store: a clone cannot share it
      removeChildren(n, 'source');
      n.removeAttribute('type');
    }
    if (path === undefined) {
      while (n.firstChild) n.removeChild(n.firstChild);
    } else setText(n, path);
  }
  /** Creates or replaces `<nvram>` with a path and/or template (attributes other than template kept). */
  setNvram(info: NvramInfo): void {
    const n = ensureOrdered(this.element, 'nvram', OS_ORDER);
    setAttr(n, 'template', info.template);
    this.setNvramPath(info.path);
  }
  /** `<smbios mode>`: 'sysinfo' exposes the domain's `<sysinfo>` to the guest. */
  get smbiosMode(): string | undefined {
    return attr(child(this.element, 'smbios'), 'mode');
  }
  /** Sets `<smbios mode>`; undefined removes `<smbios>`. */
  set smbiosMode(v: string | undefined) {
    if (v === undefined) removeChildren(this.element, 'smbios');
    else ensureOrdered(this.element, 'smbios', OS_ORDER).setAttribute('mode', v);
  }
  /** Boot devices from `<boot dev>`, in order. */
  get boot(): string[] {
    return children(this.element, 'boot').map((b) => attr(b, 'dev') ?? '');
  }
  /** Sets the loader (replacing any), e.g. `{ path, readonly: true, type: 'pflash' }`. */
  setLoader(loader: LoaderInfo | undefined): void {
    removeChildren(this.element, 'loader');
    if (!loader) return;
    const yn = (b?: boolean) => (b === undefined ? undefined : b ? 'yes' : 'no');
    const el = ensureOrdered(this.element, 'loader', OS_ORDER);
    setAttr(el, 'readonly', yn(loader.readonly));
    setAttr(el, 'secure', yn(loader.secure));
    setAttr(el, 'type', loader.type);
    if (loader.path !== undefined) setText(el, loader.path);
  }
  /** Plain snapshot. */
  toJSON(): Record<string, unknown> {
    const { type, arch, machine, firmware, kernel, initrd, cmdline, loader, nvram, smbiosMode, boot } = this;
    return { type, arch, machine, firmware, kernel, initrd, cmdline, loader, nvram, smbiosMode, boot };
  }
}
