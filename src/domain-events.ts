// Domain lifecycle events of one connection, for the code that waits on a domain's state
// (Domain.waitForState): Connection feeds every lifecycle event and the loss of the daemon in,
// waiters subscribe by UUID. Keyed by the connection's Core, which Connection and Domain share.
import type { Core } from './core.js';

type Wake = () => void;

class DomainWaiters {
  readonly #byUuid = new Map<string, Set<Wake>>();

  /** Calls `wake` on every lifecycle event of the domain `uuid` (and once the daemon is lost); returns the unsubscribe. */
  subscribe(uuid: string, wake: Wake): () => void {
    const key = uuid.toLowerCase();
    let set = this.#byUuid.get(key);
    if (!set) this.#byUuid.set(key, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.#byUuid.get(key) === set) this.#byUuid.delete(key);
    };
  }

  /** A lifecycle event for the domain `uuid`. */
  changed(uuid: string): void {
    for (const wake of [...(this.#byUuid.get(uuid.toLowerCase()) ?? [])]) wake();
  }

  /** The events stopped (daemon lost, connection closed): every waiter re-checks, and learns why. */
  lost(): void {
    for (const set of [...this.#byUuid.values()]) for (const wake of [...set]) wake();
  }
}

const waiters = new WeakMap<Core, DomainWaiters>();

/** The waiters of this connection. */
export function domainWaiters(core: Core): DomainWaiters {
  let w = waiters.get(core);
  if (!w) waiters.set(core, (w = new DomainWaiters()));
  return w;
}
