// The state calls storage pools, networks and node devices share (active, persistent, autostart):
// one body each, so those classes keep only their documented one-line methods. NWFilter has
// none of these calls and does not use it.
import type { Core } from '../core.js';
import { argBool } from '../args.js';

/**
 * The native calls behind them. Autostart is libvirt's int in the generated bindings (networks,
 * node devices) and a boolean in the hand-written pool binding, hence V.
 */
export interface HostObjectNative<V extends number | boolean> {
  isActive(): Promise<boolean>;
  isPersistent(): Promise<boolean>;
  getAutostart(): Promise<V>;
  setAutostart(on: V): Promise<void>;
}

/** libvirt's int form of a flag, for the generated bindings. */
export const intFlag = (on: boolean): number => (on ? 1 : 0);

/** @internal isActive / isPersistent / autostart / setAutostart of one host object. */
export class HostObjectState<V extends number | boolean> {
  readonly #core: Core;
  readonly #n: HostObjectNative<V>;
  readonly #encode: (on: boolean) => V;
  constructor(core: Core, n: HostObjectNative<V>, encode: (on: boolean) => V) {
    this.#core = core;
    this.#n = n;
    this.#encode = encode;
  }
  isActive(): Promise<boolean> {
    return this.#core.call(() => this.#n.isActive());
  }
  isPersistent(): Promise<boolean> {
    return this.#core.call(() => this.#n.isPersistent());
  }
  async autostart(): Promise<boolean> {
    return Boolean(await this.#core.call(() => this.#n.getAutostart()));
  }
  /** INVALID_ARGUMENT (a rejection) unless `on` is a boolean. */
  async setAutostart(on: boolean): Promise<void> {
    const v = this.#encode(argBool('on', on));
    return this.#core.call(() => this.#n.setAutostart(v));
  }
}
