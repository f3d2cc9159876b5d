// Domain events of one connection, for the code that waits on a domain (Domain.waitForState,
// waitForAddress): Connection feeds every lifecycle event, every guest agent lifecycle event and
// the loss of the daemon in, waiters subscribe by UUID. Keyed by the connection's Core, which
// Connection and Domain share.
import type { Core } from './core.js';

type Wake = () => void;

class WakeSets {
  readonly #byUuid = new Map<string, Set<Wake>>();
  add(uuid: string, wake: Wake): () => void {
    const key = uuid.toLowerCase();
    let set = this.#byUuid.get(key);
    if (!set) this.#byUuid.set(key, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0 && this.#byUuid.get(key) === set) this.#byUuid.delete(key);
    };
  }
  wake(uuid: string): void {
    for (const wake of [...(this.#byUuid.get(uuid.toLowerCase()) ?? [])]) wake();
  }
  wakeAll(): void {
    for (const set of [...this.#byUuid.values()]) for (const wake of [...set]) wake();
  }
  count(uuid: string): number {
    return this.#byUuid.get(uuid.toLowerCase())?.size ?? 0;
  }
}

class DomainWaiters {
  readonly #lifecycle = new WakeSets();
  readonly #agent = new WakeSets();

  /**
   * Calls `wake` on every lifecycle event of the domain `uuid` (and once the daemon is lost);
   * with `agent`, on its guest agent's lifecycle events too. Returns the unsubscribe.
   */
  subscribe(uuid: string, wake: Wake, opts: { agent?: boolean } = {}): () => void {
    const offs = [this.#lifecycle.add(uuid, wake)];
    if (opts.agent) offs.push(this.#agent.add(uuid, wake));
    return () => {
      for (const off of offs) off();
    };
  }

  /** A lifecycle event for the domain `uuid`. */
  changed(uuid: string): void {
    this.#lifecycle.wake(uuid);
  }

  /** A guest agent lifecycle event for the domain `uuid`. */
  agent(uuid: string): void {
    this.#agent.wake(uuid);
  }

  /** The events stopped (daemon lost, connection closed): every waiter re-checks, and learns why. */
  lost(): void {
    this.#lifecycle.wakeAll();
    this.#agent.wakeAll();
  }

  /** @internal How many waiters the domain `uuid` has (lifecycle, agent): tests check none is left behind. */
  count(uuid: string): { lifecycle: number; agent: number } {
    return { lifecycle: this.#lifecycle.count(uuid), agent: this.#agent.count(uuid) };
  }
}

const waiters = new WeakMap<Core, DomainWaiters>();

/** The waiters of this connection. */
export function domainWaiters(core: Core): DomainWaiters {
  let w = waiters.get(core);
  if (!w) waiters.set(core, (w = new DomainWaiters()));
  return w;
}
