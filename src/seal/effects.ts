// Every change sealing makes to a guest goes through Effects, which records it for the report
// and, in a dry run, records without doing it. A dry run also remembers what it "removed" so
// later operations see the guest as it would be, and the report has no duplicates.
import type { SealGuest } from './guest-api.js';

/** Paths one operation removed and changed (created counts as changed). */
export interface OperationRecord {
  name: string;
  removed: string[];
  changed: string[];
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

  /** True if something (even a dangling symlink) is at `p` and was not removed earlier. */
  async present(p: string): Promise<boolean> {
    if (this.isGone(p)) return false;
    return (await this.g.exists(p)) || (await this.g.isSymlink(p));
  }

  /** `glob` expanded, minus what an earlier step of this dry run removed. */
  async glob(pattern: string): Promise<string[]> {
    const paths = await this.g.globExpand(pattern);
    return paths.map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p)).filter((p) => !this.isGone(p));
  }

  private removedPath(p: string): void {
    if (this.dryRun) this.gone.add(p);
    if (!this.record.removed.includes(p)) this.record.removed.push(p);
  }

  private changedPath(p: string): void {
    if (!this.record.changed.includes(p)) this.record.changed.push(p);
  }

  /** rm -rf `p` if present. */
  async removeTree(p: string): Promise<boolean> {
    if (!(await this.present(p))) return false;
    if (!this.dryRun) await this.g.rmRf(p);
    this.removedPath(p);
    return true;
  }

  /** rm `p` if present and not a directory (a symlink is removed, not followed). */
  async removeFile(p: string): Promise<boolean> {
    if (!(await this.present(p))) return false;
    if (!(await this.g.isSymlink(p)) && (await this.g.isDir(p))) return false;
    if (!this.dryRun) await this.g.rm(p);
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
    if (!this.dryRun) {
      const dir = parentOf(link);
      if (!(await this.g.isDir(dir))) await this.g.mkdirP(dir);
      await this.g.lnSf(target, link);
    }
    this.gone.delete(link);
    this.changedPath(link);
  }

  async touch(p: string): Promise<void> {
    if (!this.dryRun) await this.g.touch(p);
    this.gone.delete(p);
    this.changedPath(p);
  }

  /** Copies a host file into the guest. */
  async upload(local: string, remote: string, opts: WriteOptions = {}): Promise<void> {
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
