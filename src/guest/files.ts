// Typed camelCase wrappers over the native call table. Argument order follows Node's fs where the
// two differ (chmod(path, mode), chown(path, uid, gid)); `call()` keeps libguestfs' own order.

/** lstat/stat result (libguestfs statns). Times are seconds + nanoseconds since the epoch. */
export interface GuestStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
}

export interface GuestStatvfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

export interface DiskCreateOptions {
  backingFile?: string;
  backingFormat?: string;
  preallocation?: 'off' | 'sparse' | 'metadata' | 'falloc' | 'full';
  compat?: string;
  clusterSize?: number;
}

export interface MkfsOptions {
  blocksize?: number;
  label?: string;
  features?: string;
  inode?: number;
  sectorsize?: number;
}

type Data = string | Uint8Array;
const buf = (d: Data): Buffer | string => (typeof d === 'string' ? d : Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength));
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export abstract class GuestFiles {
  protected abstract invoke(name: string, ...args: unknown[]): Promise<unknown>;

  async #void(name: string, ...args: unknown[]): Promise<void> {
    await this.invoke(name, ...args);
  }
  #str(name: string, ...args: unknown[]): Promise<string> {
    return this.invoke(name, ...args) as Promise<string>;
  }
  #list(name: string, ...args: unknown[]): Promise<string[]> {
    return this.invoke(name, ...args) as Promise<string[]>;
  }
  #num(name: string, ...args: unknown[]): Promise<number> {
    return this.invoke(name, ...args) as Promise<number>;
  }
  async #bool(name: string, ...args: unknown[]): Promise<boolean> {
    return ((await this.invoke(name, ...args)) as number) !== 0;
  }

  // ---- devices, partitions, LVM, filesystems ----
  listDevices() {
    return this.#list('list_devices');
  }
  listPartitions() {
    return this.#list('list_partitions');
  }
  /** device -> filesystem type ('ext4', 'swap', 'unknown', ...). */
  listFilesystems() {
    return this.invoke('list_filesystems') as Promise<Record<string, string>>;
  }
  lvs() {
    return this.#list('lvs');
  }
  vgs() {
    return this.#list('vgs');
  }
  pvs() {
    return this.#list('pvs');
  }
  vgrename(volgroup: string, newVolgroup: string) {
    return this.#void('vgrename', volgroup, newVolgroup);
  }
  partDisk(device: string, parttype: 'mbr' | 'gpt' | (string & {}) = 'mbr') {
    return this.#void('part_disk', device, parttype);
  }
  partInit(device: string, parttype: 'mbr' | 'gpt' | (string & {})) {
    return this.#void('part_init', device, parttype);
  }
  /** prlogex: 'p' (primary), 'l' (logical) or 'e' (extended); sectors are inclusive, -1 end = to the end. */
  partAdd(device: string, prlogex: 'p' | 'l' | 'e' | 'primary' | 'logical' | 'extended', startSector: number, endSector: number) {
    return this.#void('part_add', device, prlogex, startSector, endSector);
  }
  mkfs(fstype: string, device: string, opts: MkfsOptions = {}) {
    return this.#void('mkfs', fstype, device, defined(opts));
  }
  vfsType(mountable: string) {
    return this.#str('vfs_type', mountable);
  }
  vfsUuid(mountable: string) {
    return this.#str('vfs_uuid', mountable);
  }
  /** Alias of vfsUuid. */
  getUuid(mountable: string) {
    return this.#str('vfs_uuid', mountable);
  }
  vfsLabel(mountable: string) {
    return this.#str('vfs_label', mountable);
  }
  setLabel(mountable: string, label: string) {
    return this.#void('set_label', mountable, label);
  }
  setUuid(device: string, uuid: string) {
    return this.#void('set_uuid', device, uuid);
  }
  setUuidRandom(device: string) {
    return this.#void('set_uuid_random', device);
  }
  blockdevSize(device: string) {
    return this.#num('blockdev_getsize64', device);
  }
  /** Host-side (no launch needed): creates an image file. */
  diskCreate(path: string, format: 'raw' | 'qcow2' | (string & {}), sizeBytes: number, o: DiskCreateOptions = {}) {
    return this.#void('disk_create', path, format, sizeBytes, defined({ backingfile: o.backingFile, backingformat: o.backingFormat, preallocation: o.preallocation, compat: o.compat, clustersize: o.clusterSize }));
  }

  // ---- mounting ----
  mount(mountable: string, mountpoint = '/') {
    return this.#void('mount', mountable, mountpoint);
  }
  mountRo(mountable: string, mountpoint = '/') {
    return this.#void('mount_ro', mountable, mountpoint);
  }
  mountOptions(options: string, mountable: string, mountpoint = '/') {
    return this.#void('mount_options', options, mountable, mountpoint);
  }
  umountAll() {
    return this.#void('umount_all');
  }
  /** device -> mountpoint of what is mounted now. */
  mountpoints() {
    return this.invoke('mountpoints') as Promise<Record<string, string>>;
  }
  sync() {
    return this.#void('sync');
  }
  statvfs(path: string) {
    return this.invoke('statvfs', path) as Promise<GuestStatvfs>;
  }

  // ---- reading ----
  globExpand(pattern: string) {
    return this.#list('glob_expand', pattern);
  }
  ls(directory: string) {
    return this.#list('ls', directory);
  }
  /** Every path below directory, relative to it with a leading '/' (libguestfs' form: '/sub/file'). */
  find(directory: string) {
    return this.#list('find', directory);
  }
  stat(path: string) {
    return this.invoke('statns', path) as Promise<GuestStat>;
  }
  lstat(path: string) {
    return this.invoke('lstatns', path) as Promise<GuestStat>;
  }
  isFile(path: string, o: { followSymlinks?: boolean } = {}) {
    return this.#bool('is_file', path, defined({ followsymlinks: o.followSymlinks }));
  }
  isDir(path: string, o: { followSymlinks?: boolean } = {}) {
    return this.#bool('is_dir', path, defined({ followsymlinks: o.followSymlinks }));
  }
  isSymlink(path: string) {
    return this.#bool('is_symlink', path);
  }
  exists(path: string) {
    return this.#bool('exists', path);
  }
  readFile(path: string) {
    return this.invoke('read_file', path) as Promise<Buffer>;
  }
  /** The file as UTF-8 text. */
  cat(path: string) {
    return this.#str('cat', path);
  }
  readLines(path: string) {
    return this.#list('read_lines', path);
  }
  readlink(path: string) {
    return this.#str('readlink', path);
  }
  realpath(path: string) {
    return this.#str('realpath', path);
  }
  filesize(path: string) {
    return this.#num('filesize', path);
  }
  checksum(type: 'md5' | 'sha1' | 'sha256' | 'sha512' | (string & {}), path: string) {
    return this.#str('checksum', type, path);
  }

  // ---- writing ----
  write(path: string, data: Data) {
    return this.#void('write', path, buf(data));
  }
  writeAppend(path: string, data: Data) {
    return this.#void('write_append', path, buf(data));
  }
  /** Host file -> guest path. Reports progress. */
  upload(localPath: string, guestPath: string) {
    return this.#void('upload', localPath, guestPath);
  }
  /** Guest path -> host file. Reports progress. */
  download(guestPath: string, localPath: string) {
    return this.#void('download', guestPath, localPath);
  }
  rm(path: string) {
    return this.#void('rm', path);
  }
  rmF(path: string) {
    return this.#void('rm_f', path);
  }
  rmRf(path: string) {
    return this.#void('rm_rf', path);
  }
  rmdir(path: string) {
    return this.#void('rmdir', path);
  }
  mkdir(path: string) {
    return this.#void('mkdir', path);
  }
  mkdirP(path: string) {
    return this.#void('mkdir_p', path);
  }
  mkdirMode(path: string, mode: number) {
    return this.#void('mkdir_mode', path, mode);
  }
  chmod(path: string, mode: number) {
    return this.#void('chmod', mode, path);
  }
  chown(path: string, uid: number, gid: number) {
    return this.#void('chown', uid, gid, path);
  }
  lchown(path: string, uid: number, gid: number) {
    return this.#void('lchown', uid, gid, path);
  }
  /** Symlink at linkname pointing to target (like fs.symlink(target, path)). */
  lnS(target: string, linkname: string) {
    return this.#void('ln_s', target, linkname);
  }
  /** Same, replacing linkname if it exists. */
  lnSf(target: string, linkname: string) {
    return this.#void('ln_sf', target, linkname);
  }
  ln(target: string, linkname: string) {
    return this.#void('ln', target, linkname);
  }
  touch(path: string) {
    return this.#void('touch', path);
  }
  /** To zero bytes, or to `size`. */
  truncate(path: string, size?: number) {
    return (size === undefined ? this.#void('truncate', path) : this.#void('truncate_size', path, size));
  }
  cp(src: string, dest: string) {
    return this.#void('cp', src, dest);
  }
  cpA(src: string, dest: string) {
    return this.#void('cp_a', src, dest);
  }
  cpR(src: string, dest: string) {
    return this.#void('cp_r', src, dest);
  }
  mv(src: string, dest: string) {
    return this.#void('mv', src, dest);
  }
  /** Creates `path` of `len` bytes, every byte `byte`. Reports progress. */
  fill(path: string, len: number, byte = 0) {
    return this.#void('fill', byte, len, path);
  }
  /** Unpacks a host tar file into a guest directory. */
  tarIn(tarfile: string, directory: string, o: { compress?: 'gzip' | 'bzip2' | 'xz' | 'lzop' | 'compress' } = {}) {
    return this.#void('tar_in', tarfile, directory, defined(o));
  }
  /** Packs a guest directory into a host tar file. */
  tarOut(directory: string, tarfile: string, o: { compress?: 'gzip' | 'bzip2' | 'xz' | 'lzop' | 'compress'; numericOwner?: boolean } = {}) {
    return this.#void('tar_out', directory, tarfile, defined({ compress: o.compress, numericowner: o.numericOwner }));
  }

  // ---- Augeas (paths like /files/etc/hosts/1/ipaddr) ----
  /** flags: AUG_* bits (e.g. 32 = no autoload; then augLoad). */
  augInit(root = '/', flags = 0) {
    return this.#void('aug_init', root, flags);
  }
  augLoad() {
    return this.#void('aug_load');
  }
  augGet(augpath: string) {
    return this.#str('aug_get', augpath);
  }
  augSet(augpath: string, value: string) {
    return this.#void('aug_set', augpath, value);
  }
  /** Returns how many nodes were removed. */
  augRm(augpath: string) {
    return this.#num('aug_rm', augpath);
  }
  augSave() {
    return this.#void('aug_save');
  }
  augMatch(augpath: string) {
    return this.#list('aug_match', augpath);
  }
  augLs(augpath: string) {
    return this.#list('aug_ls', augpath);
  }
  augInsert(augpath: string, label: string, before: boolean) {
    return this.#void('aug_insert', augpath, label, before);
  }
  augClear(augpath: string) {
    return this.#void('aug_clear', augpath);
  }
  augDefvar(name: string, expr: string | null) {
    return this.#num('aug_defvar', name, expr);
  }
  augClose() {
    return this.#void('aug_close');
  }

  // ---- running programs in the appliance, against the mounted guest (needs its binaries) ----
  command(argv: string[]) {
    return this.#str('command', argv);
  }
  commandLines(argv: string[]) {
    return this.#list('command_lines', argv);
  }
  sh(script: string) {
    return this.#str('sh', script);
  }
  shLines(script: string) {
    return this.#list('sh_lines', script);
  }

  version() {
    return this.invoke('version') as Promise<{ major: number; minor: number; release: number }>;
  }
}
