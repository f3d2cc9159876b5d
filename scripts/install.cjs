#!/usr/bin/env node
// npm `install` step of virtkit. Two addons, each used when it loads (a prebuild from prebuilds/
// or a previous build) and otherwise built with node-gyp:
//   - the libvirt addon (binding.gyp): required; a failure fails the install, with the Debian
//     packages to install instead of a page of compiler errors;
//   - the libguestfs addon (guestfs-addon/): optional; without libguestfs the install succeeds,
//     says so, and Guest/seal reject with GUESTFS_UNAVAILABLE while everything else works.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const TOOLS = 'pkg-config g++ make python3';

const addons = [
  {
    what: 'the libvirt addon',
    dir: root,
    pkgConfig: ['libvirt', 'libvirt-qemu'],
    dev: `libvirt-dev ${TOOLS}`,
    runtime: 'libvirt0',
    required: true,
  },
  {
    what: 'the libguestfs addon (Guest, seal, sealed templates)',
    dir: path.join(root, 'guestfs-addon'),
    pkgConfig: ['libguestfs'],
    dev: `libguestfs-dev ${TOOLS}`,
    runtime: 'libguestfs0 linux-image-amd64',
    required: false,
  },
];

function say(lines) {
  process.stderr.write(lines.filter((l) => l.trim() !== '').map((l) => `virtkit: ${l}`).join('\n') + '\n');
}

function loads(dir) {
  // In a child process: a failed dlopen must not poison this one, and the addon's threads must
  // not keep it alive.
  const r = spawnSync(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(dir)})`], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, error: (r.stderr || '').split('\n').find((l) => /Error|cannot open/.test(l)) || (r.stderr || '').trim() };
}

function build(dir) {
  // npm runs install scripts with npm_config_node_gyp pointing at its bundled node-gyp.
  const gyp = process.env.npm_config_node_gyp;
  const cmd = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
  return spawnSync(cmd[0], cmd[1], { cwd: dir, stdio: 'inherit' });
}

/** true: the addon loads (or was built); false: it is not available. */
function ensure(a) {
  const first = loads(a.dir);
  if (first.ok) return true;
  const pc = spawnSync('pkg-config', ['--exists', ...a.pkgConfig]);
  if (pc.error || pc.status !== 0) {
    say([
      `${a.required ? '' : 'note: '}no prebuild of ${a.what} fits this system (${process.platform}-${process.arch}, Node ${process.versions.node}) and it cannot be built here:`,
      `  pkg-config does not find ${a.pkgConfig.join(', ')} (the development files).`,
      first.error ? `  loading it said: ${first.error}` : '',
      `On Debian/Ubuntu install them, then rebuild:`,
      `  sudo apt-get install ${a.dev}`,
      `  npm rebuild virtkit`,
      a.required ? `or run the package's host setup script (also installs the daemon, QEMU and libguestfs):` : '',
      a.required ? `  sudo bash node_modules/virtkit/scripts/setup-host.sh` : '',
      `At run time it needs ${a.runtime}.`,
      a.required ? '' : 'Until then Guest and seal reject with GUESTFS_UNAVAILABLE; everything that needs only libvirt works.',
    ]);
    return false;
  }
  const b = build(a.dir);
  if (b.status !== 0) {
    say([
      `building ${a.what} failed (${b.error ? b.error.message : `exit ${b.status}`}).`,
      `It needs: ${a.dev} (Debian package names); see the compiler output above.`,
      a.required ? '' : 'Guest and seal will reject with GUESTFS_UNAVAILABLE; everything that needs only libvirt works.',
    ]);
    return false;
  }
  return true;
}

if (process.env.VIRTKIT_SKIP_INSTALL) process.exit(0);
let status = 0;
for (const a of addons) if (!ensure(a) && a.required) status = 1;
process.exit(status);
