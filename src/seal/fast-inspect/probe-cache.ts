// Inspection and the device map ask the same read-only questions (list_devices, list_partitions
// and vfs_type each cost 150-330 ms under TCG: udev settle, blkid). Before anything is written
// the answers cannot change, so this view answers each question once.
import type { SealGuest } from '../guest-api.js';

const MEMO = new Set(['listDevices', 'listPartitions', 'vfsType', 'lvs', 'vgs', 'pvs']);

/** A view of `g` that memoizes the device probes; use it only until the first write. */
export function probeCache(g: SealGuest): SealGuest {
  const memo = new Map<string, Promise<unknown>>();
  return new Proxy(g, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      if (typeof v !== 'function') return v;
      const fn = v as (...a: unknown[]) => unknown;
      if (typeof key !== 'string' || !MEMO.has(key)) return (...a: unknown[]) => fn.apply(target, a);
      return (...a: unknown[]) => {
        const k = `${key} ${JSON.stringify(a)}`;
        let p = memo.get(k);
        if (!p) {
          p = Promise.resolve(fn.apply(target, a));
          // A failure is not cached, and not left unhandled here.
          p.catch(() => memo.delete(k));
          memo.set(k, p);
        }
        return p;
      };
    },
  });
}
