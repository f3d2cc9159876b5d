// Per-machine identifiers: machine-id, registration IDs, Kerberos/IPA enrolment, UUIDs of
// filesystems and LVM.
import type { Operation, OperationContext } from './types.js';
import { LINUX, NOT_WINDOWS } from './targets.js';
import { randomUUID } from 'node:crypto';

/** Marks the CA store for a rebuild when `p` was removed. */
async function removeCert(ctx: OperationContext, p: string): Promise<void> {
  if (await ctx.fx.removeFile(p)) ctx.sideEffects.updateCaStore = true;
}

/** The guest's PVs and VGs, limited to this guest's devices (a shared appliance may hold others). */
async function guestLvm(ctx: OperationContext): Promise<{ pvs: string[]; vgs: string[] }> {
  if (!ctx.hasLvm) return { pvs: [], vgs: [] };
  const mine = new Set(ctx.devices);
  const pvs = (await ctx.g.pvs()).filter((pv) => mine.has(pv));
  const vgs = (await ctx.g.vgs()).filter((vg) => mine.has(`/dev/${vg}`));
  return { pvs, vgs };
}

export const identityOperations: Operation[] = [
  {
    name: 'machine-id',
    description: 'Remove the local machine ID',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    // Emptied, not deleted: an empty /etc/machine-id tells systemd "first boot, make one".
    truncate: ['/etc/machine-id', '/var/lib/dbus/machine-id'],
    notes: 'virtkit never writes a machine-id back (virt-sysprep\'s customize does), so every clone makes its own.',
  },
  {
    name: 'smolt-uuid',
    description: 'Remove the Smolt hardware UUID',
    enabledByDefault: true,
    appliesTo: LINUX,
    removeFiles: ['/etc/sysconfig/hw-uuid', '/etc/smolt/uuid', '/etc/smolt/hw-uuid'],
  },
  {
    name: 'rhn-systemid',
    description: 'Remove the RHN system ID',
    enabledByDefault: true,
    appliesTo: { types: ['linux'], distros: ['rhel'] },
    removeFiles: ['/etc/sysconfig/rhn/systemid', '/etc/sysconfig/rhn/osad-auth.conf'],
  },
  {
    name: 'rh-subscription-manager',
    description: 'Remove the RH subscription manager files',
    enabledByDefault: true,
    appliesTo: { types: ['linux'], distros: ['rhel'] },
    removeTrees: ['/etc/pki/consumer/*', '/etc/pki/entitlement/*'],
  },
  {
    name: 'ipa-client',
    description: 'Remove the IPA files',
    enabledByDefault: true,
    appliesTo: LINUX,
    removeFiles: ['/etc/ipa/ca.crt', '/etc/ipa/default.conf', '/var/lib/ipa-client/sysrestore/*', '/var/lib/ipa-client/pki/*'],
    async run(ctx) {
      for (const p of ['/etc/pki/ca-trust/source/anchors/ipa-ca.crt', '/usr/local/share/ca-certificates/ipa-ca.crt', '/etc/pki/ca-trust/source/ipa.p11-kit']) {
        await removeCert(ctx, p);
      }
    },
    notes: 'The CA store is rebuilt by the first-boot unit (virt-sysprep runs the update in the appliance).',
  },
  {
    name: 'kerberos-hostkeytab',
    description: 'Remove the Kerberos host keytab file in the guest',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    removeFiles: ['/etc/krb5.keytab'],
  },
  {
    name: 'kerberos-data',
    description: 'Remove Kerberos data in the guest',
    enabledByDefault: false,
    appliesTo: NOT_WINDOWS,
    removeFiles: ['/var/kerberos/krb5kdc/*'],
    keep: ['/var/kerberos/krb5kdc/kadm5.acl', '/var/kerberos/krb5kdc/kdc.conf'],
  },
  {
    name: 'ca-certificates',
    description: 'Remove CA certificates in the guest',
    enabledByDefault: false,
    appliesTo: NOT_WINDOWS,
    async run(ctx) {
      const keep = new Set(['/etc/pki/tls/certs/ca-bundle.crt', '/etc/pki/tls/certs/ca-bundle.trust.crt']);
      const globs = ['/etc/pki/CA/certs/*.crt', '/etc/pki/CA/crl/*.crt', '/etc/pki/CA/newcerts/*.crt', '/etc/pki/CA/private/*.key', '/etc/pki/tls/private/*.key', '/etc/pki/tls/certs/*.crt'];
      for (const glob of globs) for (const p of await ctx.fx.glob(glob)) if (!keep.has(p)) await removeCert(ctx, p);
    },
    notes: 'The CA store is rebuilt by the first-boot unit.',
  },
  {
    name: 'blkid-tab',
    description: 'Remove blkid tab in the guest',
    enabledByDefault: true,
    appliesTo: NOT_WINDOWS,
    async run(ctx) {
      const files = ['/var/run/blkid.tab', '/var/run/blkid.tab.old', '/etc/blkid/blkid.tab', '/etc/blkid/blkid.tab.old', '/etc/blkid.tab', '/etc/blkid.tab.old', '/dev/.blkid.tab', '/dev/.blkid.tab.old'];
      // A symlink here points elsewhere (often into /run): leave it, as virt-sysprep does.
      for (const f of files) for (const p of await ctx.fx.glob(f)) if ((await ctx.fx.fileType(p)) !== 'link') await ctx.fx.removeFile(p);
    },
  },
  {
    name: 'lvm-system-devices',
    description: 'Remove LVM2 system.devices file',
    enabledByDefault: true,
    appliesTo: LINUX,
    removeFiles: ['/etc/lvm/devices/system.devices'],
    notes: 'Added in guestfs-tools 1.52 (after the 1.48 on this host); enabled by default there. Disk WWIDs change in clones.',
  },
  {
    name: 'fs-uuids',
    description: 'Change filesystem UUIDs',
    enabledByDefault: false,
    appliesTo: {},
    phase: 'device',
    async run(ctx) {
      const fss = await ctx.g.listFilesystems();
      const mine = new Set(ctx.devices);
      for (const [dev, type] of Object.entries(fss)) {
        if (type === 'unknown' || !mine.has(dev)) continue;
        // btrfs subvolumes share their volume's UUID; set_uuid on one fails.
        if (dev.includes(':')) continue;
        await ctx.fx.device(`${dev} (filesystem UUID)`, async () => {
          try {
            try {
              await ctx.g.setUuid(dev, randomUUID());
            } catch (e) {
              // tune2fs -U refuses an ext filesystem mounted since its last check: check it, retry.
              if (!/^ext[234]$/.test(type) || !(await Promise.resolve(ctx.g.call('e2fsck', dev, { correct: true })).then(() => true, () => false))) throw e;
              await ctx.g.setUuid(dev, randomUUID());
            }
            return true;
          } catch (e) {
            // Like virt-sysprep: left as it is, with a warning (a type without set_uuid support,
            // or tune2fs refusing an ext4 that was not freshly checked).
            const why = (e as Error).message.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^set_uuid:?$/.test(l)).join(' ');
            ctx.fx.warn(`fs-uuids: cannot set a random UUID on ${dev} (${type}): ${why}`);
            return false;
          }
        });
      }
    },
    notes: 'Disabled by default, as in virt-sysprep: /etc/fstab and the bootloader may still name the old UUIDs.',
  },
  {
    name: 'lvm-uuids',
    description: 'Change LVM2 PV and VG UUIDs',
    enabledByDefault: true,
    appliesTo: LINUX,
    phase: 'device',
    order: 99,
    async run(ctx) {
      const { pvs, vgs } = await guestLvm(ctx);
      if (pvs.length === 0 && vgs.length === 0) return;
      // Only this guest's VGs are deactivated and changed: a shared appliance may hold others.
      if (ctx.dryRun) {
        for (const pv of pvs) await ctx.fx.device(`${pv} (PV UUID)`, async () => undefined);
        for (const vg of vgs) await ctx.fx.device(`${vg} (VG UUID)`, async () => undefined);
        return;
      }
      const change = async () => {
        await ctx.g.call('vg_activate', false, vgs);
        try {
          for (const pv of pvs) await ctx.fx.device(`${pv} (PV UUID)`, () => Promise.resolve(ctx.g.call('pvchange_uuid', pv)));
          for (const vg of vgs) await ctx.fx.device(`${vg} (VG UUID)`, () => Promise.resolve(ctx.g.call('vgchange_uuid', vg)));
        } finally {
          await ctx.g.call('vg_activate', true, vgs);
        }
      };
      // LUKS-on-LVM: an opened mapping holds its LV open, so it is closed while the VG is down.
      if (ctx.luks) await ctx.luks.releasing(vgs, change);
      else await change();
    },
  },
];
