#!/usr/bin/env node
// npm `install` step of virtkit. Uses the addon when one loads (a prebuild from prebuilds/ or a
// previous build); otherwise builds it with node-gyp. When the build cannot work because the
// libvirt/libguestfs development files are missing, says which Debian packages to install
// instead of leaving the user with a page of compiler errors.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const DEV_PACKAGES = 'libvirt-dev libguestfs-dev pkg-config g++ make python3';
const RUNTIME_PACKAGES = 'libvirt0 libguestfs0';

function say(lines) {
  process.stderr.write(lines.map((l) => `virtkit: ${l}`).join('\n') + '\n');
}

function loads() {
  // In a child process: a failed dlopen must not poison this one, and the addon's event-loop
  // thread must not keep it alive.
  const r = spawnSync(process.execPath, ['-e', `require('node-gyp-build')(${JSON.stringify(root)})`], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, error: (r.stderr || '').split('\n').find((l) => /Error|cannot open/.test(l)) || r.stderr.trim() };
}

if (process.env.VIRTKIT_SKIP_INSTALL) process.exit(0);
const first = loads();
if (first.ok) process.exit(0);

const pc = spawnSync('pkg-config', ['--exists', 'libvirt', 'libguestfs']);
if (pc.error || pc.status !== 0) {
  say([
    `no prebuilt addon fits this system (${process.platform}-${process.arch}, Node ${process.versions.node}) and it cannot be built here:`,
    `  the libvirt and libguestfs development files were not found by pkg-config.`,
    `  ${first.error ? `loading the addon said: ${first.error}` : ''}`,
    `On Debian/Ubuntu install them, then rebuild:`,
    `  sudo apt-get install ${DEV_PACKAGES}`,
    `  npm rebuild virtkit`,
    `or run the package's host setup script (also installs the daemon and QEMU):`,
    `  sudo bash node_modules/virtkit/scripts/setup-host.sh`,
    `At run time virtkit needs the shared libraries (${RUNTIME_PACKAGES}) and, for VMs, libvirtd.`,
  ].filter((l) => l.trim() !== ''));
  process.exit(1);
}

// npm runs install scripts with npm_config_node_gyp pointing at its bundled node-gyp.
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const b = spawnSync(cmd[0], cmd[1], { cwd: root, stdio: 'inherit' });
if (b.status !== 0) {
  say([
    `building the addon failed (${b.error ? b.error.message : `exit ${b.status}`}).`,
    `It needs: ${DEV_PACKAGES} (Debian package names); see the compiler output above.`,
  ]);
  process.exit(1);
}
