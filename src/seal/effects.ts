// Every change sealing makes to a guest goes through Effects, which records it for the report
// and, in a dry run, records without doing it. A dry run also remembers what it "removed" so
// later operations see the guest as it would be, and the report has no duplicates.
import type { SealGuest } from './guest-api.js';
import { hasBraceExpression, isMagic, segmentMatcher, sortLikeGlob, unescapeSegment } from './glob.js';

/** Paths one operation removed and changed (created counts as changed). */
export interface OperationRecord {
  name: string;
  removed: string[];
  changed: string[];
  /** Time the operation took. */
  ms?: number;
  /** Things the operation could not do (present only when there are some). */
  warnings?: string[];
}

export interface WriteOptions {
  mode?: number;
  uid?: number;
  gid?: number;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** The recorder and (unless dry) executor of guest changes. */
export class Effects {
  private record: OperationRecord = { name: '', removed: [], changed: [] };
  /** Dry run only: paths treated as gone. */
  private readonly gone = new Set<string>();

  constructor(
    private readonly g: SealGuest,
    readonly dryRun: boolean,
  ) {}

  /** Starts recording for the next operation and returns its (live) record. */
  begin(name: string): OperationRecord {
    this.record = { name, removed: [], changed: [] };
    return this.record;
  }

  private isGone(p: string): boolean {
    if (!this.dryRun || this.gone.size === 0) return false;
    for (let q = p; ; q = parentOf(q)) {
      if (this.gone.has(q)) return true;
      if (q === '/') return false;
    }
  }

  /**
   * What a glob said about each path it returned (glob(3) marks directories with a slash), so a
   * removal needs no further round trip: under TCG each libguestfs call costs ~15 ms.
   */
  private readonly kind = new Map<string, 'dir' | 'other' | 'unknown'>();
  /** Directory listings used to skip globs whose fixed prefix does not exist. Cleared on writes. */
  private readonly listings = new Map<string, Set<string> | null>();

  /** Keeps the listing cache true after a removal or a creation at `p`. */
  private mutated(p: string, how: 'removed' | 'created'): void {
    const dir = parentOf(p);
    const name = p.slice(p.lastIndexOf('/') + 1);
    for (const k of [...this.listings.keys()]) if (k === p || k.startsWith(`${p}/`)) this.listings.delete(k);
    const l = this.listings.get(dir);
    if (how === 'removed') l?.delete(name);
    else if (l) l.add(name);
    else if (l === null) this.listings.delete(dir); // the directory may have just been created
    if (how === 'created') {
      // New parent directories (mkdir -p) become visible in their cached parents' listings.
      for (let child = dir; child !== '/'; child = parentOf(child)) {
        const pl = this.listings.get(parentOf(child));
        if (pl) pl.add(child.slice(child.lastIndexOf('/') + 1));
        else if (pl === null) this.listings.delete(parentOf(child));
      }
    }
  }

  private async listing(dir: string): Promise<Set<string> | null> {
    let l = this.listings.get(dir);
    if (l === undefined) {
      try {
        l = new Set(await this.g.ls(dir));
      } catch {
        l = null;
      }
      this.listings.set(dir, l);
    }
    return l;
  }

  /** Cheap existence test through cached parent listings (one ls per directory). */
  private async reachable(p: string): Promise<boolean> {
    const parts = p.split('/').filter(Boolean);
    let dir = '/';
    for (const part of parts) {
      const l = await this.listing(dir);
      if (!l || !l.has(part)) return false;
      dir = dir === '/' ? `/${part}` : `${dir}/${part}`;
    }
    return true;
  }

  /** True if something (even a dangling symlink) is at `p` and was not removed earlier. */
  async present(p: string): Promise<boolean> {
    if (this.isGone(p)) return false;
    if (this.kind.has(p)) return true;
    return (await this.g.exists(p)) || (await this.g.isSymlink(p));
  }

  /**
   * `glob` expanded as glob(3) expands it in the appliance (src/seal/glob.ts), minus what an
   * earlier step of this dry run removed, and never a path through '.' or '..' (which glob(3)
   * gives for '.*'). Resolved here from cached listings when only the last segment is magic, by
   * the appliance's glob_expand otherwise; both give the same paths.
   */
  async glob(pattern: string): Promise<string[]> {
    const segs = pattern.split('/');
    // Braces: glob(3)'s own expansion (GLOB_BRACE), in the appliance.
    if (hasBraceExpression(pattern)) return this.expand(pattern);
    const wild = segs.findIndex(isMagic);
    // The segments before the first wildcard name directories literally, escapes removed.
    const literal = (wild < 0 ? segs : segs.slice(0, wild)).map(unescapeSegment);
    if (literal.some((s) => s === undefined)) return []; // a trailing lone '\' matches nothing
    const fixedPath = (literal as string[]).join('/');
    // Skip the call when the part before the first wildcard is not there (most of the ~80
    // logfiles globs on any given guest).
    const fixed = wild < 0 ? fixedPath : fixedPath || '/';
    if (!(await this.reachable(wild < 0 ? fixed.slice(0, fixed.lastIndexOf('/')) || '/' : fixed))) return [];
    if (wild < 0) {
      if (!(await this.reachable(fixed)) || this.isGone(fixed)) return [];
      if (!this.kind.has(fixed)) this.kind.set(fixed, 'unknown');
      return [fixed];
    }
    if (wild === segs.length - 1) {
      // Only the last segment is magic: match the cached listing here, no glob_expand call.
      const m = segmentMatcher(segs[wild]!);
      const names = sortLikeGlob([...((await this.listing(fixed)) ?? [])].filter((n) => n !== '.' && n !== '..' && m.test(n)));
      const paths = names.map((n) => (fixed === '/' ? `/${n}` : `${fixed}/${n}`)).filter((p) => !this.isGone(p));
      for (const p of paths) if (!this.kind.has(p)) this.kind.set(p, 'unknown');
      return paths;
    }
    return this.expand(pattern);
  }

  /** glob_expand in the appliance, directory marks remembered, '.' and '..' left out. */
  private async expand(pattern: string): Promise<string[]> {
    const out: string[] = [];
    for (const raw of await this.g.globExpand(pattern)) {
      const isDir = raw.length > 1 && raw.endsWith('/');
      const p = isDir ? raw.slice(0, -1) : raw;
      if (p.split('/').some((s) => s === '.' || s === '..')) continue;
      if (this.isGone(p)) continue;
      this.kind.set(p, isDir ? 'dir' : 'other');
      out.push(p);
    }
    return out;
  }

  /** 'dir', 'file', 'link' or 'other' without following a symlink, in one call. */
  async fileType(p: string): Promise<'dir' | 'file' | 'link' | 'other'> {
    const fmt = (await this.g.lstat(p)).mode & 0o170000;
    return fmt === 0o040000 ? 'dir' : fmt === 0o100000 ? 'file' : fmt === 0o120000 ? 'link' : 'other';
  }

  private removedPath(p: string): void {
    if (this.dryRun) this.gone.add(p);
    if (!this.record.removed.includes(p)) this.record.removed.push(p);
  }

  private changedPath(p: string): void {
    if (!this.record.changed.includes(p)) this.record.changed.push(p);
  }

  private forget(p: string): void {
    this.kind.delete(p);
    if (!this.dryRun) this.mutated(p, 'removed');
  }

  /** rm -rf `p` if present. */
  async removeTree(p: string): Promise<boolean> {
    if (!(await this.present(p))) return false;
    if (!this.dryRun) await this.g.rmRf(p);
    this.forget(p);
    this.removedPath(p);
    return true;
  }

  /** rm `p` if present and not a directory (a symlink is removed, not followed). */
  async removeFile(p: string): Promise<boolean> {
    const hint = this.isGone(p) ? undefined : this.kind.get(p);
    if (hint === undefined && !(await this.present(p))) return false;
    // A glob-marked "dir/" may be a symlink to a directory, which rm removes; a real one stays.
    if (hint !== 'other' && (await this.fileType(p)) === 'dir') return false;
    if (!this.dryRun) await this.g.rm(p);
    this.forget(p);
    this.removedPath(p);
    return true;
  }

  /** Empties a regular file in place, keeping its inode, mode, owner and SELinux label. */
  async truncate(p: string): Promise<boolean> {
    if (this.isGone(p) || (await this.g.isSymlink(p)) || !(await this.g.isFile(p))) return false;
    if (!this.dryRun) await this.g.truncate(p);
    this.changedPath(p);
    return true;
  }

  /** Writes a file (creating parent directories), then applies mode and owner when given. */
  async write(p: string, data: string | Buffer, opts: WriteOptions = {}): Promise<void> {
    if (!this.dryRun) this.mutated(p, 'created');
    if (!this.dryRun) {
      const dir = parentOf(p);
      if (!(await this.g.isDir(dir))) await this.g.mkdirP(dir);
      await this.g.write(p, data);
      if (opts.mode !== undefined) await this.g.chmod(p, opts.mode);
      if (opts.uid !== undefined) await this.g.chown(p, opts.uid, opts.gid ?? opts.uid);
    }
    this.gone.delete(p);
    this.changedPath(p);
  }

  /** mkdir -p, then mode and owner of the last component when given. */
  async mkdir(p: string, opts: WriteOptions = {}): Promise<void> {
    if (!this.dryRun) this.mutated(p, 'created');
    const existed = !this.isGone(p) && (await this.g.isDir(p));
    if (!this.dryRun) {
      if (!existed) await this.g.mkdirP(p);
      if (opts.mode !== undefined) await this.g.chmod(p, opts.mode);
      if (opts.uid !== undefined) await this.g.chown(p, opts.uid, opts.gid ?? opts.uid);
    }
    this.gone.delete(p);
    if (!existed || opts.mode !== undefined || opts.uid !== undefined) this.changedPath(p);
  }

  async chmod(mode: number, p: string): Promise<void> {
    if (!this.dryRun) await this.g.chmod(p, mode);
    this.changedPath(p);
  }

  async chown(uid: number, gid: number, p: string): Promise<void> {
    if (!this.dryRun) await this.g.chown(p, uid, gid);
    this.changedPath(p);
  }

  /** ln -sf target link (creating the link's directory). */
  async symlink(target: string, link: string): Promise<void> {
    if (!this.dryRun) this.mutated(link, 'created');
    if (!this.dryRun) {
      const dir = parentOf(link);
      if (!(await this.g.isDir(dir))) await this.g.mkdirP(dir);
      await this.g.lnSf(target, link);
    }
    this.gone.delete(link);
    this.changedPath(link);
  }

  async touch(p: string): Promise<void> {
    if (!this.dryRun) this.mutated(p, 'created');
    if (!this.dryRun) await this.g.touch(p);
    this.gone.delete(p);
    this.changedPath(p);
  }

  /** Copies a host file into the guest. */
  async upload(local: string, remote: string, opts: WriteOptions = {}): Promise<void> {
    if (!this.dryRun) this.mutated(remote, 'created');
    if (!this.dryRun) {
      const dir = parentOf(remote);
      if (!(await this.g.isDir(dir))) await this.g.mkdirP(dir);
      await this.g.upload(local, remote);
      if (opts.mode !== undefined) await this.g.chmod(remote, opts.mode);
      if (opts.uid !== undefined) await this.g.chown(remote, opts.uid, opts.gid ?? opts.uid);
    }
    this.gone.delete(remote);
    this.changedPath(remote);
  }

  /** Notes something the operation could not do, for the report. */
  warn(message: string): void {
    (this.record.warnings ??= []).push(message);
  }

  /** Records a change made by a device-level call (UUIDs) that has no path. */
  async device(label: string, action: () => Promise<unknown>): Promise<void> {
    // An action that returns false did not happen (e.g. an unsupported call).
    if (!this.dryRun && (await action()) === false) return;
    this.changedPath(label);
  }
}
