// The README's "Host objects" example, runnable as is:
//   npx tsx --import ./scripts/text-hooks.mjs examples/host-objects.ts
// Node devices and host interfaces on libvirt's built-in test driver (no daemon, nothing real
// changes); the test driver has no secrets or network filters, so that part runs only when
// VIRTKIT_EXAMPLE_URI names a real daemon (e.g. qemu:///system).
import { Connection } from '../src/index.js';

await using conn = await Connection.open('test:///default');
for (const dev of await conn.nodeDevices({ cap: 'scsi_host' })) {
  const s = await dev.summary();                        // { name, parent, path, driver, capabilities, pci?, net?, ... }
  console.log(s.name, 'on', s.parent, s.capabilities);  // scsi_host1 on computer [ 'scsi_host', 'fc_host', 'vport_ops' ]
}
const eth = await conn.hostInterface('aa:bb:cc:dd:ee:ff');  // by name or MAC
console.log(eth.name, await eth.isActive(), (await eth.summary()).addresses);  // eth1 true [ { family: 'ipv4', address: '192.168.0.5', prefix: 24 } ]

const uri = process.env.VIRTKIT_EXAMPLE_URI;
if (uri) {
  await using real = await Connection.open(uri);
  const key = await real.defineSecret({ type: 'volume', usage: '/var/lib/libvirt/images/example-luks.qcow2' }, { value: 'a passphrase' });
  console.log(key, (await real.secret({ type: 'volume', usage: key.usage! })).uuid === key.uuid);  // Secret { uuid: ..., usageType: 'volume', ... } true
  await key.undefine();
  const ssh = await real.defineNWFilter({ name: 'example-ssh-in', chain: 'ipv4', rules: [{ action: 'accept', direction: 'in', protocol: 'tcp', match: { dstportstart: 22 } }] });
  console.log(ssh, (await ssh.parsed()).rules);
  await ssh.undefine();
}
