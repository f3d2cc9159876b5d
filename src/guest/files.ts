// Typed camelCase wrappers over the native call table. Argument order follows Node's fs where the
// two differ (chmod(path, mode), chown(path, uid, gid)); `call()` keeps libguestfs' own order.
// Every wrapper is async, so a refused argument is a rejected promise: Guest.invoke checks each
// argument against libguestfs' C signature (./check.ts); wrappers that rename a parameter or take
// an enum check it here first, under their own names.
import { argBool, argBytes, argEnum, argOptBool, argOptEnum, argOptions, argString } from '../args.js';
import { checkGuestfsArgs } from './check.js';
import type { GuestfsStatns } from '../generated/guestfs-calls.js';

/** lstat/stat result (libguestfs statns). Times are seconds + nanoseconds since the epoch. */
export interface GuestStat {
  /** Device ID of the file system holding the file. */
  dev: number;
  /** Inode number. */
  ino: number;
  /** File type and permission bits, as in st_mode (e.g. 0o100644 for a regular file). */
  mode: number;
  /** Number of hard links. */
  nlink: number;
  /** Owner's user ID (in the guest). */
  uid: number;
  /** Owner's group ID (in the guest). */
  gid: number;
  /** Device ID, for a device special file. */
  rdev: number;
  /** Size in bytes. */
  size: number;
  /** Preferred I/O block size, in bytes. */
  blksize: number;
  /** Number of 512-byte blocks allocated. */
  blocks: number;
  /** Last access time: whole seconds since the epoch. */
  atimeSec: number;
  /** Nanosecond part of the last access time. */
  atimeNsec: number;
  /** Last modification time: whole seconds since the epoch. */
  mtimeSec: number;
  /** Nanosecond part of the last modification time. */
  mtimeNsec: number;
  /** Last status change time: whole seconds since the epoch. */
  ctimeSec: number;
  /** Nanosecond part of the last status change time. */
  ctimeNsec: number;
}

/** File system statistics of a guest path (libguestfs statvfs, like statvfs(2)). */
export interface GuestStatvfs {
  /** File system block size, in bytes. */
  bsize: number;
  /** Fragment size, in bytes (the unit of `blocks`, `bfree` and `bavail`). */
  frsize: number;
  /** Size of the file system, in `frsize` units. */
  blocks: number;
  /** Free blocks, in `frsize` units. */
  bfree: number;
  /** Free blocks available to unprivileged users, in `frsize` units. */
  bavail: number;
  /** Number of inodes. */
  files: number;
  /** Free inodes. */
  ffree: number;
  /** Free inodes available to unprivileged users. */
  favail: number;
  /** File system ID. */
  fsid: number;
  /** Mount flags (ST_* bits). */
  flag: number;
  /** Maximum file name length, in bytes. */
  namemax: number;
}

/** Options of {@link Guest.diskCreate} (libguestfs disk_create optional arguments). */
export interface DiskCreateOptions {
  /** Backing file of a qcow2 image to create as an overlay. */
  backingFile?: string;
  /** Format of `backingFile`, e.g. 'qcow2' or 'raw'. */
  backingFormat?: string;
  /** Preallocation mode. Default: libguestfs' default (sparse/off). */
  preallocation?: 'off' | 'sparse' | 'metadata' | 'falloc' | 'full';
  /** qcow2 compatibility level, e.g. '1.1'. */
  compat?: string;
  /** qcow2 cluster size, in bytes. */
  clusterSize?: number;
}

/** Options of {@link Guest.mkfs} (libguestfs mkfs optional arguments); unset ones take mkfs's defaults. */
export interface MkfsOptions {
  /** File system block size, in bytes. */
  blocksize?: number;
  /** File system label. */
  label?: string;
  /** ext2/3/4 features, as for `mke2fs -O`. */
  features?: string;
  /** ext2/3/4 inode size, in bytes. */
  inode?: number;
  /** UFS sector size, in bytes. */
  sectorsize?: number;
}

/** A statns struct (C field names) in the shape of {@link GuestStat}. */
export function legacyStat(s: GuestfsStatns): GuestStat {
  return {
    dev: s.st_dev,
    ino: s.st_ino,
    mode: s.st_mode,
    nlink: s.st_nlink,
    uid: s.st_uid,
    gid: s.st_gid,
    rdev: s.st_rdev,
    size: s.st_size,
    blksize: s.st_blksize,
    blocks: s.st_blocks,
    atimeSec: s.st_atime_sec,
    atimeNsec: s.st_atime_nsec,
    mtimeSec: s.st_mtime_sec,
    mtimeNsec: s.st_mtime_nsec,
    ctimeSec: s.st_ctime_sec,
    ctimeNsec: s.st_ctime_nsec,
  };
}

type Data = string | Uint8Array;
/** The fields of an options object that are set; null, arrays and primitives are refused, naming `name`. */
const defined = <T extends object>(name: string, o: T | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(argOptions(name, o)).filter(([, v]) => v !== undefined)) as Partial<T>;
const COMPRESS = ['gzip', 'bzip2', 'xz', 'lzop', 'compress'] as const;

/**
 * The typed libguestfs calls of a {@link Guest} (files, devices, mounting, Augeas, commands).
 * Every call rejects with GuestfsError when libguestfs fails, and with VirtkitError `CLOSED` or `ABORTED` once the session is closed or aborted.
 */
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
  /**
   * Block devices of the appliance, one per drive added, e.g. ['/dev/sda'].
   * @throws GuestfsError when libguestfs fails.
   */
  async listDevices() {
    return this.#list('list_devices');
  }
  /** Partitions on all devices, e.g. ['/dev/sda1', '/dev/sda2']. */
  async listPartitions() {
    return this.#list('list_partitions');
  }
  /** device -> filesystem type ('ext4', 'swap', 'unknown', ...). */
  async listFilesystems() {
    return this.invoke('list_filesystems') as Promise<Record<string, string>>;
  }
  /** LVM logical volumes, as device paths like '/dev/vg/lv'. */
  async lvs() {
    return this.#list('lvs');
  }
  /** LVM volume group names. */
  async vgs() {
    return this.#list('vgs');
  }
  /** LVM physical volumes, as device paths. */
  async pvs() {
    return this.#list('pvs');
  }
  /**
   * Renames an LVM volume group.
   * @throws GuestfsError when the volume group does not exist or the rename fails.
   */
  async vgrename(volgroup: string, newVolgroup: string) {
    checkGuestfsArgs('vgrename', [volgroup, newVolgroup], { newvolgroup: 'newVolgroup' });
    return this.#void('vgrename', volgroup, newVolgroup);
  }
  /** Creates one partition covering the whole device, with a new partition table of `parttype` (default 'mbr'). Destroys what was there. */
  async partDisk(device: string, parttype: 'mbr' | 'gpt' | (string & {}) = 'mbr') {
    return this.#void('part_disk', device, parttype);
  }
  /** Writes a new, empty partition table of `parttype` ('mbr' or 'gpt') on the device. Destroys what was there. */
  async partInit(device: string, parttype: 'mbr' | 'gpt' | (string & {})) {
    return this.#void('part_init', device, parttype);
  }
  /** prlogex: 'p' (primary), 'l' (logical) or 'e' (extended); sectors are inclusive, -1 end = to the end. */
  async partAdd(device: string, prlogex: 'p' | 'l' | 'e' | 'primary' | 'logical' | 'extended', startSector: number, endSector: number) {
    argEnum('prlogex', prlogex, ['p', 'l', 'e', 'primary', 'logical', 'extended'] as const);
    checkGuestfsArgs('part_add', [device, prlogex, startSector, endSector], { startsect: 'startSector', endsect: 'endSector' });
    return this.#void('part_add', device, prlogex, startSector, endSector);
  }
  /**
   * Creates a file system of type `fstype` (e.g. 'ext4', 'xfs', 'vfat') on `device`.
   * @throws GuestfsError when mkfs fails (unknown type, device in use).
   */
  async mkfs(fstype: string, device: string, opts: MkfsOptions = {}) {
    const optargs = defined('opts', opts);
    checkGuestfsArgs('mkfs', [fstype, device, optargs], { optargs: 'opts' });
    return this.#void('mkfs', fstype, device, optargs);
  }
  /** File system type of a device or mountable, e.g. 'ext4'; '' when none is recognised. */
  async vfsType(mountable: string) {
    return this.#str('vfs_type', mountable);
  }
  /** File system UUID of a device or mountable; '' when it has none. */
  async vfsUuid(mountable: string) {
    return this.#str('vfs_uuid', mountable);
  }
  /** Alias of vfsUuid. */
  async getUuid(mountable: string) {
    return this.#str('vfs_uuid', mountable);
  }
  /** File system label of a device or mountable; '' when it has none. */
  async vfsLabel(mountable: string) {
    return this.#str('vfs_label', mountable);
  }
  /** Sets the file system label (ext2/3/4, xfs, btrfs, vfat, ntfs, swap...). */
  async setLabel(mountable: string, label: string) {
    return this.#void('set_label', mountable, label);
  }
  /** Sets the file system UUID of `device` (ext2/3/4, xfs, btrfs, swap). */
  async setUuid(device: string, uuid: string) {
    return this.#void('set_uuid', device, uuid);
  }
  /** Sets a new random file system UUID on `device`. */
  async setUuidRandom(device: string) {
    return this.#void('set_uuid_random', device);
  }
  /** Size of a block device, in bytes. */
  async blockdevSize(device: string) {
    return this.#num('blockdev_getsize64', device);
  }
  /** Host-side (no launch needed): creates an image file. */
  async diskCreate(path: string, format: 'raw' | 'qcow2' | (string & {}), sizeBytes: number, o: DiskCreateOptions = {}) {
    argOptions('o', o);
    argOptEnum('o.preallocation', o.preallocation, ['off', 'sparse', 'metadata', 'falloc', 'full'] as const);
    const optargs = defined('o', { backingfile: o.backingFile, backingformat: o.backingFormat, preallocation: o.preallocation, compat: o.compat, clustersize: o.clusterSize });
    checkGuestfsArgs('disk_create', [path, format, sizeBytes, optargs], {
      filename: 'path', size: 'sizeBytes', optargs: 'o', 'optargs.backingfile': 'o.backingFile', 'optargs.backingformat': 'o.backingFormat', 'optargs.clustersize': 'o.clusterSize',
    });
    return this.#void('disk_create', path, format, sizeBytes, optargs);
  }

  // ---- mounting ----
  /**
   * Mounts `mountable` read-write at `mountpoint` (default '/'; other mountpoints must exist in what is mounted already).
   * @throws GuestfsError when the mount fails.
   */
  async mount(mountable: string, mountpoint = '/') {
    return this.#void('mount', mountable, mountpoint);
  }
  /** Mounts `mountable` read-only at `mountpoint` (default '/'). */
  async mountRo(mountable: string, mountpoint = '/') {
    return this.#void('mount_ro', mountable, mountpoint);
  }
  /** Mounts `mountable` at `mountpoint` (default '/') with mount(8) `options`, e.g. 'ro,noexec'. */
  async mountOptions(options: string, mountable: string, mountpoint = '/') {
    return this.#void('mount_options', options, mountable, mountpoint);
  }
  /** Unmounts every mounted file system. */
  async umountAll() {
    return this.#void('umount_all');
  }
  /** device -> mountpoint of what is mounted now. */
  async mountpoints() {
    return this.invoke('mountpoints') as Promise<Record<string, string>>;
  }
  /** Flushes the guest's file systems to the disk images. */
  async sync() {
    return this.#void('sync');
  }
  /** File system statistics of the file system holding `path`. */
  async statvfs(path: string) {
    return this.invoke('statvfs', path) as Promise<GuestStatvfs>;
  }

  // ---- reading ----
  /** Paths matching a shell glob pattern (e.g. '/etc/*.conf'), sorted; [] when none match. */
  async globExpand(pattern: string) {
    return this.#list('glob_expand', pattern);
  }
  /** Names in `directory` (not '.' or '..'), sorted. */
  async ls(directory: string) {
    return this.#list('ls', directory);
  }
  /** Every path below directory, relative to it with a leading '/' (libguestfs' form: '/sub/file'). */
  async find(directory: string) {
    return this.#list('find', directory);
  }
  /**
   * stat(2) of `path`, following symlinks.
   * @throws GuestfsError when the path does not exist.
   */
  async stat(path: string) {
    return legacyStat((await this.invoke('statns', path)) as GuestfsStatns);
  }
  /**
   * lstat(2) of `path`: a symlink's own status.
   * @throws GuestfsError when the path does not exist.
   */
  async lstat(path: string) {
    return legacyStat((await this.invoke('lstatns', path)) as GuestfsStatns);
  }
  /** True when `path` is a regular file (false when missing). Symlinks are not followed unless `followSymlinks` is true. */
  async isFile(path: string, o: { followSymlinks?: boolean } = {}) {
    argOptions('o', o);
    argOptBool('o.followSymlinks', o.followSymlinks);
    return this.#bool('is_file', path, defined('o', { followsymlinks: o.followSymlinks }));
  }
  /** True when `path` is a directory (false when missing). Symlinks are not followed unless `followSymlinks` is true. */
  async isDir(path: string, o: { followSymlinks?: boolean } = {}) {
    argOptions('o', o);
    argOptBool('o.followSymlinks', o.followSymlinks);
    return this.#bool('is_dir', path, defined('o', { followsymlinks: o.followSymlinks }));
  }
  /** True when `path` is a symbolic link. */
  async isSymlink(path: string) {
    return this.#bool('is_symlink', path);
  }
  /** True when `path` exists (any type). */
  async exists(path: string) {
    return this.#bool('exists', path);
  }
  /**
   * The whole file, as bytes.
   * @throws GuestfsError when the file does not exist or cannot be read.
   */
  async readFile(path: string) {
    return this.invoke('read_file', path) as Promise<Buffer>;
  }
  /** The file as UTF-8 text. */
  async cat(path: string) {
    return this.#str('cat', path);
  }
  /** The file's lines as UTF-8 strings, without line endings. */
  async readLines(path: string) {
    return this.#list('read_lines', path);
  }
  /** The target of a symbolic link, as stored. */
  async readlink(path: string) {
    return this.#str('readlink', path);
  }
  /** The canonical absolute path, symlinks resolved. */
  async realpath(path: string) {
    return this.#str('realpath', path);
  }
  /** Size of a file, in bytes. */
  async filesize(path: string) {
    return this.#num('filesize', path);
  }
  /** Hex digest of a file, with `type` 'md5', 'sha1', 'sha256', 'sha512' (or another type libguestfs knows). */
  async checksum(type: 'md5' | 'sha1' | 'sha256' | 'sha512' | (string & {}), path: string) {
    checkGuestfsArgs('checksum', [type, path], { csumtype: 'type' });
    return this.#str('checksum', type, path);
  }

  // ---- writing ----
  /** Creates or replaces the file with `data` (a string is written as UTF-8). */
  async write(path: string, data: Data) {
    return this.#void('write', argString('path', path), argBytes('data', data));
  }
  /** Appends `data` to the file (a string is written as UTF-8). */
  async writeAppend(path: string, data: Data) {
    return this.#void('write_append', argString('path', path), argBytes('data', data));
  }
  /** Host file -> guest path. Reports progress. */
  async upload(localPath: string, guestPath: string) {
    checkGuestfsArgs('upload', [localPath, guestPath], { filename: 'localPath', remotefilename: 'guestPath' });
    return this.#void('upload', localPath, guestPath);
  }
  /** Guest path -> host file. Reports progress. */
  async download(guestPath: string, localPath: string) {
    checkGuestfsArgs('download', [guestPath, localPath], { remotefilename: 'guestPath', filename: 'localPath' });
    return this.#void('download', guestPath, localPath);
  }
  /**
   * Removes a file.
   * @throws GuestfsError when it does not exist or is a directory.
   */
  async rm(path: string) {
    return this.#void('rm', path);
  }
  /** Removes a file; no error when it does not exist. */
  async rmF(path: string) {
    return this.#void('rm_f', path);
  }
  /** Removes a file or a directory tree, recursively; no error when it does not exist. */
  async rmRf(path: string) {
    return this.#void('rm_rf', path);
  }
  /** Removes an empty directory. */
  async rmdir(path: string) {
    return this.#void('rmdir', path);
  }
  /**
   * Creates a directory; its parent must exist.
   * @throws GuestfsError when it exists already or its parent is missing.
   */
  async mkdir(path: string) {
    return this.#void('mkdir', path);
  }
  /** Creates a directory and any missing parents; no error when it exists. */
  async mkdirP(path: string) {
    return this.#void('mkdir_p', path);
  }
  /** Creates a directory with permission bits `mode` (e.g. 0o700), subject to the umask. */
  async mkdirMode(path: string, mode: number) {
    return this.#void('mkdir_mode', path, mode);
  }
  /** Sets the permission bits of `path` (argument order as Node's fs.chmod). */
  async chmod(path: string, mode: number) {
    return this.#void('chmod', mode, path);
  }
  /** Sets owner and group of `path`, following symlinks (argument order as Node's fs.chown). */
  async chown(path: string, uid: number, gid: number) {
    checkGuestfsArgs('chown', [uid, gid, path], { owner: 'uid', group: 'gid' });
    return this.#void('chown', uid, gid, path);
  }
  /** Sets owner and group of a symlink itself. */
  async lchown(path: string, uid: number, gid: number) {
    checkGuestfsArgs('lchown', [uid, gid, path], { owner: 'uid', group: 'gid' });
    return this.#void('lchown', uid, gid, path);
  }
  /** Symlink at linkname pointing to target (like fs.symlink(target, path)). */
  async lnS(target: string, linkname: string) {
    return this.#void('ln_s', target, linkname);
  }
  /** Same, replacing linkname if it exists. */
  async lnSf(target: string, linkname: string) {
    return this.#void('ln_sf', target, linkname);
  }
  /** Creates a hard link `linkname` to `target`. */
  async ln(target: string, linkname: string) {
    return this.#void('ln', target, linkname);
  }
  /** Creates an empty file, or updates the timestamps of an existing one. */
  async touch(path: string) {
    return this.#void('touch', path);
  }
  /** To zero bytes, or to `size`. */
  async truncate(path: string, size?: number) {
    return (size === undefined ? this.#void('truncate', path) : this.#void('truncate_size', path, size));
  }
  /** Copies a file. */
  async cp(src: string, dest: string) {
    return this.#void('cp', src, dest);
  }
  /** Copies a file or directory tree, preserving attributes (`cp -a`). */
  async cpA(src: string, dest: string) {
    return this.#void('cp_a', src, dest);
  }
  /** Copies a file or directory tree recursively (`cp -rP`). */
  async cpR(src: string, dest: string) {
    return this.#void('cp_r', src, dest);
  }
  /** Moves or renames a file or directory. */
  async mv(src: string, dest: string) {
    return this.#void('mv', src, dest);
  }
  /** Creates `path` of `len` bytes, every byte `byte`. Reports progress. */
  async fill(path: string, len: number, byte = 0) {
    checkGuestfsArgs('fill', [byte, len, path], { c: 'byte' });
    return this.#void('fill', byte, len, path);
  }
  /** Unpacks a host tar file into a guest directory. */
  async tarIn(tarfile: string, directory: string, o: { compress?: 'gzip' | 'bzip2' | 'xz' | 'lzop' | 'compress' } = {}) {
    argOptions('o', o);
    argOptEnum('o.compress', o.compress, COMPRESS);
    return this.#void('tar_in', tarfile, directory, defined('o', o));
  }
  /** Packs a guest directory into a host tar file. */
  async tarOut(directory: string, tarfile: string, o: { compress?: 'gzip' | 'bzip2' | 'xz' | 'lzop' | 'compress'; numericOwner?: boolean } = {}) {
    argOptions('o', o);
    argOptEnum('o.compress', o.compress, COMPRESS);
    argOptBool('o.numericOwner', o.numericOwner);
    return this.#void('tar_out', directory, tarfile, defined('o', { compress: o.compress, numericowner: o.numericOwner }));
  }

  // ---- Augeas (paths like /files/etc/hosts/1/ipaddr) ----
  /** flags: AUG_* bits (e.g. 32 = no autoload; then augLoad). */
  async augInit(root = '/', flags = 0) {
    return this.#void('aug_init', root, flags);
  }
  /** Loads (or reloads) files into the Augeas tree, after {@link augInit} with the no-autoload flag. */
  async augLoad() {
    return this.#void('aug_load');
  }
  /**
   * The value of one Augeas node.
   * @throws GuestfsError when the path matches no node or more than one.
   */
  async augGet(augpath: string) {
    return this.#str('aug_get', augpath);
  }
  /** Sets the value of an Augeas node, creating it if needed (written on {@link augSave}). */
  async augSet(augpath: string, value: string) {
    checkGuestfsArgs('aug_set', [augpath, value], { val: 'value' });
    return this.#void('aug_set', augpath, value);
  }
  /** Returns how many nodes were removed. */
  async augRm(augpath: string) {
    return this.#num('aug_rm', augpath);
  }
  /** Writes changes made in the Augeas tree back to the files. */
  async augSave() {
    return this.#void('aug_save');
  }
  /** Augeas paths of the nodes matching a path expression. */
  async augMatch(augpath: string) {
    return this.#list('aug_match', augpath);
  }
  /** Augeas paths of the children of the node(s) matching `augpath`. */
  async augLs(augpath: string) {
    return this.#list('aug_ls', augpath);
  }
  /** Inserts a sibling node `label` before (true) or after (false) the single node matching `augpath`. */
  async augInsert(augpath: string, label: string, before: boolean) {
    argBool('before', before);
    return this.#void('aug_insert', augpath, label, before);
  }
  /** Sets an Augeas node's value to NULL (keeping the node). */
  async augClear(augpath: string) {
    return this.#void('aug_clear', augpath);
  }
  /** Defines an Augeas variable `name` as path expression `expr` (null undefines it); resolves with the number of nodes it matches. */
  async augDefvar(name: string, expr: string | null) {
    return this.#num('aug_defvar', name, expr);
  }
  /** Closes the Augeas handle, dropping unsaved changes. */
  async augClose() {
    return this.#void('aug_close');
  }

  // ---- running programs in the appliance, against the mounted guest (needs its binaries) ----
  /**
   * Runs `argv` (no shell) chrooted in the mounted guest, resolving with its stdout. Needs the guest's own binaries.
   * @throws GuestfsError when the command exits non-zero or cannot run.
   */
  async command(argv: string[]) {
    checkGuestfsArgs('command', [argv], { arguments: 'argv' });
    return this.#str('command', argv);
  }
  /** As {@link command}, the output split into lines. */
  async commandLines(argv: string[]) {
    checkGuestfsArgs('command_lines', [argv], { arguments: 'argv' });
    return this.#list('command_lines', argv);
  }
  /**
   * Runs `script` with the guest's /bin/sh, chrooted in the mounted guest; resolves with its stdout.
   * @throws GuestfsError when the script exits non-zero.
   */
  async sh(script: string) {
    checkGuestfsArgs('sh', [script], { command: 'script' });
    return this.#str('sh', script);
  }
  /** As {@link sh}, the output split into lines. */
  async shLines(script: string) {
    checkGuestfsArgs('sh_lines', [script], { command: 'script' });
    return this.#list('sh_lines', script);
  }

  /** The libguestfs library version. */
  async version() {
    return this.invoke('version') as Promise<{ major: number; minor: number; release: number }>;
  }
}
