// Error identity: instanceof and isVirtError accept an error of virtkit's other build (the
// CommonJS and ESM bundles each have their own classes); test/package/pack.test.ts checks the
// real two builds, this the rule with a stand-in for the other build's error.
import { describe, expect, it } from 'vitest';
import { GuestfsError, VirtError, VirtkitError, isVirtError } from '../../src/errors.js';

/** An error as the other build's class would make it: its own prototype, the registered brand. */
function foreign(kind: string, props: Record<string, unknown>): Error {
  class OtherBuildError extends Error {}
  const e = Object.assign(new OtherBuildError('from the other build'), props);
  Object.defineProperty(e, Symbol.for('virtkit.error'), { value: kind });
  return e;
}

describe('error identity', () => {
  it('instanceof honours the brand of the other build', () => {
    const v = foreign('VirtError', { code: 'VIR_ERR_NO_DOMAIN' });
    expect(v instanceof VirtError).toBe(true);
    expect(isVirtError(v, 'VIR_ERR_NO_DOMAIN')).toBe(true);
    expect(isVirtError(v, 'VIR_ERR_NO_NETWORK')).toBe(false);
    expect(v instanceof VirtkitError).toBe(false);
    expect(foreign('VirtkitError', { code: 'CLOSED' }) instanceof VirtkitError).toBe(true);
    expect(foreign('GuestfsError', { errno: 2 }) instanceof GuestfsError).toBe(true);
    expect(foreign('GuestfsError', {}) instanceof VirtError).toBe(false);
  });

  it('keeps plain instanceof for own errors, subclasses and non-errors', () => {
    const own = new VirtkitError('INVALID_ARGUMENT', 'x');
    expect(own instanceof VirtkitError).toBe(true);
    expect(own instanceof Error).toBe(true);
    expect(new VirtError('x', 42, 10) instanceof VirtError).toBe(true);
    class Narrow extends VirtkitError {}
    expect(new Narrow('CLOSED', 'y') instanceof Narrow).toBe(true);
    expect(new Narrow('CLOSED', 'y') instanceof VirtkitError).toBe(true);
    // The brand makes an error a VirtkitError, not a Narrow.
    expect(own instanceof Narrow).toBe(false);
    for (const v of [null, undefined, 'VirtError', 42, {}, new Error('plain')]) {
      expect(v instanceof VirtError).toBe(false);
      expect(isVirtError(v)).toBe(false);
    }
  });

  it('the brand is not enumerable (JSON and util.inspect stay as they were)', () => {
    const e = new VirtError('gone', 42, 10);
    expect(Object.keys(e)).not.toContain(Symbol.for('virtkit.error'));
    expect(JSON.stringify(e)).not.toContain('virtkit.error');
    expect(Object.getOwnPropertySymbols(e)).toEqual([Symbol.for('virtkit.error')]);
  });
});
