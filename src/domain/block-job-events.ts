// Block-job events of one connection (VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2), for the block-job handles
// that wait on them: Connection feeds each event in (and the loss of the daemon), a job subscribes
// by domain UUID and disk target. Keyed by the connection's Core, as domain-events.ts is.
import type { Core } from '../core.js';

/** One block-job event as a job sees it: `status` 'completed' | 'failed' | 'canceled' | 'ready'. */
export interface BlockJobNotice {
  disk: string;
  job: string;
  status: string;
}
type Listener = (n: BlockJobNotice | 'lost') => void;

class BlockJobEvents {
  readonly #byUuid = new Map<string, Set<Listener>>();

  /** Calls `fn` on every block-job event of the domain `uuid` (and with 'lost' when events stop). */
  subscribe(uuid: string, fn: Listener): () => void {
    const key = uuid.toLowerCase();
    let set = this.#byUuid.get(key);
    if (!set) this.#byUuid.set(key, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#byUuid.get(key) === set) this.#byUuid.delete(key);
    };
  }
  emit(uuid: string, n: BlockJobNotice): void {
    for (const fn of [...(this.#byUuid.get(uuid.toLowerCase()) ?? [])]) fn(n);
  }
  lost(): void {
    for (const set of [...this.#byUuid.values()]) for (const fn of [...set]) fn('lost');
  }
}

const buses = new WeakMap<Core, BlockJobEvents>();

/** The block-job events of this connection. */
export function blockJobEvents(core: Core): BlockJobEvents {
  let b = buses.get(core);
  if (!b) buses.set(core, (b = new BlockJobEvents()));
  return b;
}
