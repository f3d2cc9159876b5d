// The tiny guest's cloud-init variant (buildTinyGuest({ cloudInit: true })): Debian's real
// cloud-init 22.4 and its Python dependencies, unpacked from their .debs, on the host's Debian
// python3.11 and stdlib, plus util-linux's blkid (cloud-init finds the `cidata` seed with it) and
// shadow's chpasswd (it sets the seed's password hash with it).
// The .debs come from Debian's archive through `apt-get download` into a cache directory (one
// download, then reused). Installing cloud-init on the host instead would arm its boot units on
// the host itself (it would take over the host's hostname and network at its next boot), so it is
// only ever unpacked into a staging tree, pruned, compiled to .pyc and put in the guest with one
// tar-in. The guest has no systemd: its /sbin/init runs the four stages (CLOUD_INIT_STAGES).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Guest } from '../../src/guest/index.js';
import { sharedLibs } from './tiny-guest-services.js';
import { FIRSTBOOT_LOG_PATH } from '../../src/firstboot/paths.js';
import { HOSTKEYS_PATH } from '../../src/hostkeys.js';

/** Where the .debs are cached (VIRTKIT_TEST_DEBS overrides). */
export const DEB_CACHE = process.env.VIRTKIT_TEST_DEBS ?? '/var/cache/virtkit-test-debs';

/** cloud-init and the Python packages its Debian package depends on (all of them: cloud-init imports several at start). */
export const CLOUD_INIT_PACKAGES = [
  'cloud-init', 'python3-yaml', 'python3-requests', 'python3-urllib3', 'python3-six', 'python3-idna',
  'python3-certifi', 'python3-charset-normalizer', 'python3-chardet', 'python3-configobj', 'python3-jinja2',
  'python3-markupsafe', 'python3-jsonpatch', 'python3-json-pointer', 'python3-jsonschema', 'python3-attr',
  'python3-pyrsistent', 'python3-netifaces', 'python3-oauthlib',
];

// Debian's interpreter, never a pyenv shim: the .debs' compiled modules are built for it.
const PYTHON = '/usr/bin/python3.11';
const STDLIB = '/usr/lib/python3.11';
const BLKID = ['/usr/sbin/blkid', '/sbin/blkid'];
// cloud-init sets a hashed password with `chpasswd -e` (shadow's; busybox-static has none).
const CHPASSWD = '/usr/sbin/chpasswd';
// Parts of the stdlib cloud-init never imports (GUI, tests, build and install tooling).
const STDLIB_PRUNE = ['test', 'idlelib', 'tkinter', 'turtledemo', 'ensurepip', 'lib2to3', 'pydoc_data', 'venv', 'config-3.11-x86_64-linux-gnu', 'site-packages', 'dist-packages'];
// Extension modules of the stdlib it never loads either (and the libraries only they need).
const DYNLOAD_PRUNE = /^(_test|_ctypes_test|_xxtestfuzz|_xxsubinterpreters|xxlimited|_sqlite3|_dbm|_curses|nis|readline|ossaudiodev|audioop)/;
// What the .debs hold that a guest without systemd, NetworkManager or dhclient has no use for.
const DEB_PRUNE = ['usr/share', 'etc/systemd', 'etc/NetworkManager', 'etc/dhcp', 'etc/init.d', 'etc/profile.d', 'lib/systemd', 'lib/udev'];

/** The cached .deb of `pkg`, or undefined. */
function cachedDeb(pkg: string): string | undefined {
  if (!existsSync(DEB_CACHE)) return undefined;
  const f = readdirSync(DEB_CACHE).find((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb'));
  return f ? join(DEB_CACHE, f) : undefined;
}

/**
 * The .debs, downloading the missing ones (apt-get download, bounded: it runs synchronously).
 * Throws with a reason when they cannot be had (a test's skip reason).
 */
export function cloudInitDebs(): string[] {
  const missing = CLOUD_INIT_PACKAGES.filter((p) => !cachedDeb(p));
  if (missing.length) {
    mkdirSync(DEB_CACHE, { recursive: true });
    // Sandbox user root: _apt cannot write a root-owned cache directory.
    execFileSync('apt-get', ['-q', '-o', 'APT::Sandbox::User=root', 'download', ...missing], { cwd: DEB_CACHE, stdio: 'pipe', timeout: 50_000 });
  }
  return CLOUD_INIT_PACKAGES.map((p) => {
    const d = cachedDeb(p);
    if (!d) throw new Error(`${p}: no .deb in ${DEB_CACHE} after apt-get download`);
    return d;
  });
}

/** What the cloud-init variant needs from the host that is missing, or [] (for a test's skip reason). */
export function missingCloudInitPieces(): string[] {
  const out = [PYTHON, STDLIB, CHPASSWD, '/usr/bin/dpkg-deb'].filter((f) => !existsSync(f));
  if (!BLKID.some(existsSync)) out.push('blkid (util-linux)');
  if (out.length) return out;
  try {
    cloudInitDebs();
  } catch (e) {
    out.push(`Debian's cloud-init .debs (${(e as Error).message.split('\n')[0]})`);
  }
  return out;
}

// The test image's own cloud.cfg, as an image builder writes one: Debian's, with the module
// lists cut to what this guest can do (no apt, locales, grub, ntp or network renderer), no
// default user (the guest has no useradd; the seed's `default` entry then names nobody), and no
// RSA host key (3072-bit keygen takes 8 s of a TCG boot; cloud-init's default also tries dsa).
const CLOUD_CFG = `# virtkit's tiny test guest (examples/lib/tiny-guest-cloudinit.ts): Debian's cloud.cfg, pared.
users:
  - default
disable_root: true
preserve_hostname: false
ssh_genkeytypes: [ecdsa, ed25519]
cloud_init_modules:
  - migrator
  - seed_random
  - bootcmd
  - write-files
  - set_hostname
  - update_hostname
  - users-groups
  - ssh
cloud_config_modules:
  - set-passwords
  - runcmd
cloud_final_modules:
  - scripts-per-once
  - scripts-per-boot
  - scripts-per-instance
  - scripts-user
  - ssh-authkey-fingerprints
  - keys-to-console
  - final-message
system_info:
  distro: debian
  paths:
    cloud_dir: /var/lib/cloud/
    templates_dir: /etc/cloud/templates/
  ssh_svcname: ssh
`;
// Only the NoCloud seed (no probing of cloud metadata services); no network renderer in the guest.
const NOCLOUD_CFG = `datasource_list: [ NoCloud ]
network: {config: disabled}
`;

/**
 * Builds the tree to copy into the guest under `stage` (empty or absent): the unpacked, pruned
 * .debs compiled to .pyc, python3.11 with its stdlib, blkid, chpasswd, and every shared library
 * they load.
 */
export function stageCloudInit(stage: string): void {
  mkdirSync(stage, { recursive: true });
  for (const d of cloudInitDebs()) execFileSync('dpkg-deb', ['-x', d, stage]);
  for (const p of DEB_PRUNE) rmSync(join(stage, p), { recursive: true, force: true });
  writeFileSync(join(stage, 'etc/cloud/cloud.cfg'), CLOUD_CFG);
  writeFileSync(join(stage, 'etc/cloud/cloud.cfg.d/90_virtkit-nocloud.cfg'), NOCLOUD_CFG);

  mkdirSync(join(stage, 'usr/bin'), { recursive: true });
  cpSync(PYTHON, join(stage, PYTHON));
  execFileSync('ln', ['-sf', 'python3.11', join(stage, 'usr/bin/python3')]);
  // The stdlib with the .pyc Debian compiled (cp keeps the mtimes they are checked against).
  cpSync(STDLIB, join(stage, STDLIB), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  for (const p of STDLIB_PRUNE) rmSync(join(stage, STDLIB, p), { recursive: true, force: true });
  execFileSync('find', [join(stage, STDLIB), '-name', '*.opt-[12].pyc', '-delete']);
  // Compiled here, once: under TCG the guest would spend its boot compiling cloud-init. Hash-
  // based .pyc do not depend on the files' mtimes surviving the copy.
  execFileSync(PYTHON, ['-m', 'compileall', '-q', '-j', '0', '--invalidation-mode', 'unchecked-hash', join(stage, 'usr/lib/python3/dist-packages')]);

  const blkid = BLKID.find(existsSync)!;
  mkdirSync(join(stage, 'usr/sbin'), { recursive: true });
  cpSync(blkid, join(stage, 'usr/sbin/blkid'));
  cpSync(CHPASSWD, join(stage, CHPASSWD));
  const dynload: string[] = [];
  for (const f of readdirSync(join(stage, STDLIB, 'lib-dynload'))) {
    if (DYNLOAD_PRUNE.test(f)) rmSync(join(stage, STDLIB, 'lib-dynload', f));
    else dynload.push(join(STDLIB, 'lib-dynload', f));
  }
  const libs = new Set([PYTHON, blkid, CHPASSWD, ...dynload, ...soFiles(join(stage, 'usr/lib/python3/dist-packages'))].flatMap(sharedLibs));
  for (const l of libs) {
    mkdirSync(join(stage, dirname(l)), { recursive: true });
    cpSync(l, join(stage, l), { dereference: true });
  }
}

/** The compiled extensions under `dir` (ldd reads the staged files; the libraries they name are the host's). */
function soFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? soFiles(join(dir, e.name)) : e.isFile() && e.name.endsWith('.so') ? [join(dir, e.name)] : []);
}

/** Stages cloud-init in `tmp` and copies it into the guest mounted at / (one tar-in). */
export async function installCloudInit(g: Guest, tmp: string): Promise<void> {
  const stage = join(tmp, 'stage');
  stageCloudInit(stage);
  const tar = join(tmp, 'cloud-init.tar');
  execFileSync('tar', ['-C', stage, '--owner=0', '--group=0', '-cf', tar, '.']);
  await g.tarIn(tar, '/');
  for (const d of ['/var/lib/cloud', '/run']) await g.mkdirP(d);
}

/**
 * At PID 1, in the order Debian's units give them: cloud-init-local, cloud-init and
 * cloud-config before rc-local (virtkit's first-boot hook), cloud-final after it. PATH as on
 * Debian, so the real tools in /usr/sbin (blkid, chpasswd) come before any busybox applet in /bin.
 */
export const CLOUD_INIT_STAGES = {
  beforeRcLocal: `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cloud-init init --local > /dev/ttyS0 2>&1
cloud-init init > /dev/ttyS0 2>&1
cloud-init modules --mode=config > /dev/ttyS0 2>&1
`,
  afterRcLocal: `cloud-init modules --mode=final > /dev/ttyS0 2>&1
`,
};

/** The console line prefixes of what the cloud-init guest reports after its last stage. */
export const CI_TAGS = { result: 'VK-CI-RESULT', status: 'VK-CI-STATUS', log: 'VK-CI-LOG', authorizedKey: 'VK-CI-AUTHKEY', firstbootLog: 'VK-FB-LOG', hostname: 'VK-CI-HOSTNAME', instanceId: 'VK-CI-INSTANCE', firstbootHostkeys: 'VK-FB-HOSTKEYS' };

// After the last stage: cloud-init's own record of the run (result.json, status.json, one line
// each), the commands it ran to make host keys, the keys root got, the running hostname, the
// instance-id it ran as, and the first-boot script's log and host-keys file (absent when it
// stood aside).
export const CLOUD_INIT_REPORT = `echo "${CI_TAGS.result} $(tr -d '\\n' < /var/lib/cloud/data/result.json 2>/dev/null)" > /dev/ttyS0
echo "${CI_TAGS.status} $(tr -d '\\n' < /var/lib/cloud/data/status.json 2>/dev/null)" > /dev/ttyS0
grep "Running command \\['ssh-keygen'" /var/log/cloud-init.log 2>/dev/null | sed 's/^/${CI_TAGS.log} /' > /dev/ttyS0
sed 's/^/${CI_TAGS.authorizedKey} /' /root/.ssh/authorized_keys > /dev/ttyS0 2>/dev/null
echo "${CI_TAGS.hostname} $(hostname)" > /dev/ttyS0
echo "${CI_TAGS.instanceId} $(cat /var/lib/cloud/data/instance-id 2>/dev/null)" > /dev/ttyS0
sed 's/^/${CI_TAGS.firstbootLog} /' ${FIRSTBOOT_LOG_PATH} > /dev/ttyS0 2>/dev/null
if [ -e ${HOSTKEYS_PATH} ]; then echo "${CI_TAGS.firstbootHostkeys} present"; else echo "${CI_TAGS.firstbootHostkeys} absent"; fi > /dev/ttyS0
`;
