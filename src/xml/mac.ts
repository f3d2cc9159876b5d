// MAC addresses for the NICs virtkit defines or clones.
import { randomBytes } from 'node:crypto';

/** A random MAC in QEMU's locally administered range 52:54:00:xx:xx:xx, not in `used` (added to it). */
export function randomMac(used: Set<string> = new Set()): string {
  for (;;) {
    const b = randomBytes(3);
    const mac = `52:54:00:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
    if (!used.has(mac)) {
      used.add(mac);
      return mac;
    }
  }
}
