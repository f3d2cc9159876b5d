// A template on libvirt's test driver (test:///default, no daemon): a source domain `<prefix>src`
// with one qcow2 disk in default-pool, made into the template `<prefix>tpl` without sealing (the
// driver's disks hold no guest). Shared by the unit tests that deploy from such a template.
import { Connection, Template, type StoragePool } from '../../src/index.js';

export interface TestTemplate {
  conn: Connection;
  pool: StoragePool;
  tpl: Template;
}

/** Opens test:///default and makes the template; the caller closes `conn`. */
export async function testTemplate(prefix: string): Promise<TestTemplate> {
  const conn = await Connection.open('test:///default');
  try {
    const pool = await conn.pool('default-pool');
    const vol = await pool.createVolume({ name: `${prefix}src.qcow2`, format: 'qcow2', capacity: 2 ** 20 });
    const src = await conn.defineDomain(`<domain type='test'><name>${prefix}src</name><memory>65536</memory><os><type>hvm</type></os><devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${await vol.path()}'/><target dev='vda' bus='virtio'/></disk>
      </devices></domain>`);
    const tpl = await Template.create(conn, { from: src, name: `${prefix}tpl`, pool, seal: false });
    return { conn, pool, tpl };
  } catch (e) {
    await conn.close(); // a failed set-up leaves no connection open
    throw e;
  }
}
