import { describe, it, expect } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import {
  INT32,
  UINT32,
  SAFE_UINT,
  MAX_TIMEOUT_MS,
  argBool,
  argBytes,
  argEnum,
  argInt,
  argInt64,
  argNullableString,
  argOptBool,
  argOptEnum,
  argOptFunction,
  argOptInt,
  argOptSignal,
  argOptString,
  argOptTimeout,
  argOptions,
  argString,
  argStrings,
  argTimeout,
  argUint64,
} from '../../src/args.js';
import { checkLookup, checkName } from '../../src/validate.js';
import { checkGuestfsArgs } from '../../src/guest/check.js';

/** The refusal `fn` throws: INVALID_ARGUMENT naming `argument` in the message and in details. */
function refusal(fn: () => unknown, argument: string): VirtkitError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VirtkitError);
  const e = err as VirtkitError;
  expect(e.code).toBe('INVALID_ARGUMENT');
  expect(e.details?.argument).toBe(argument);
  expect(e.message).toContain(argument);
  return e;
}

describe('argString', () => {
  it('passes ordinary strings through unchanged', () => {
    expect(argString('s', 'abc')).toBe('abc');
    expect(argString('s', '')).toBe('');
    expect(argString('s', 'h\u00e9llo \u{1f600}')).toBe('h\u00e9llo \u{1f600}');
    expect(argOptString('s', undefined)).toBeUndefined();
    expect(argNullableString('s', null)).toBeNull();
  });

  it('refuses NUL anywhere, lone surrogates and non-strings', () => {
    refusal(() => argString('name', 'test\0x'), 'name');
    refusal(() => argString('name', '\0'), 'name');
    refusal(() => argString('name', 'a\uD800b'), 'name');
    refusal(() => argString('name', '\uDC00'), 'name');
    for (const v of [undefined, null, 1, true, {}, [], Buffer.from('x'), Symbol('x')]) refusal(() => argString('name', v), 'name');
    refusal(() => argOptString('o.x', null), 'o.x');
    refusal(() => argNullableString('v', undefined), 'v');
  });

  it('checks emptiness, blankness and byte length on request', () => {
    refusal(() => argString('x', '', { nonEmpty: true }), 'x');
    refusal(() => argString('x', '  \n', { nonBlank: true }), 'x');
    expect(argString('x', ' a ', { nonBlank: true })).toBe(' a ');
    expect(argString('x', 'éé', { maxBytes: 4 })).toBe('éé');
    refusal(() => argString('x', 'ééé', { maxBytes: 4 }), 'x');
  });

  it('allows NUL only when asked (length-delimited data), never a lone surrogate', () => {
    expect(argString('c', 'a\0b', { allowNul: true })).toBe('a\0b');
    refusal(() => argString('c', 'a\uD800', { allowNul: true }), 'c');
  });

  it('does not echo the string in the message', () => {
    const e = refusal(() => argString('password', 'hunter2\0'), 'password');
    expect(e.message).not.toContain('hunter2');
    expect(JSON.stringify(e.details)).not.toContain('hunter2');
  });

  it('argStrings names the element', () => {
    expect(argStrings('argv', ['a', 'b'])).toEqual(['a', 'b']);
    refusal(() => argStrings('argv', ['a', 'b\0']), 'argv[1]');
    refusal(() => argStrings('argv', ['a', 1]), 'argv[1]');
    refusal(() => argStrings('argv', 'a'), 'argv');
  });
});

describe('argInt and the 64-bit variants', () => {
  it('accepts integers within the C type', () => {
    expect(argInt('i', 0, INT32)).toBe(0);
    expect(argInt('i', INT32.max, INT32)).toBe(2 ** 31 - 1);
    expect(argInt('i', INT32.min, INT32)).toBe(-(2 ** 31));
    expect(argInt('u', UINT32.max, UINT32)).toBe(2 ** 32 - 1);
    expect(argInt('n', Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
    expect(argOptInt('n', undefined)).toBeUndefined();
  });

  it('refuses out of range, fractions, NaN, Infinity and non-numbers', () => {
    refusal(() => argInt('id', 2 ** 32 + 1, INT32), 'id');
    refusal(() => argInt('id', 2 ** 31, INT32), 'id');
    refusal(() => argInt('id', -(2 ** 31) - 1, INT32), 'id');
    refusal(() => argInt('uid', 2 ** 32, UINT32), 'uid');
    refusal(() => argInt('uid', -1, UINT32), 'uid');
    refusal(() => argInt('n', 2 ** 53), 'n');
    refusal(() => argInt('n', 2 ** 53, SAFE_UINT), 'n');
    for (const v of [NaN, Infinity, -Infinity, 1.5, '1', null, undefined, true, 1n]) refusal(() => argInt('n', v, INT32), 'n');
  });

  it('argInt64 and argUint64 take safe numbers or bigints within the C type', () => {
    expect(argInt64('o', -5)).toBe(-5);
    expect(argInt64('o', 2n ** 63n - 1n)).toBe(2n ** 63n - 1n);
    expect(argUint64('c', 2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    refusal(() => argInt64('o', 2n ** 63n), 'o');
    refusal(() => argInt64('o', 2 ** 64), 'o');
    refusal(() => argInt64('o', NaN), 'o');
    refusal(() => argUint64('c', -1), 'c');
    refusal(() => argUint64('c', -1n), 'c');
    refusal(() => argUint64('c', 2n ** 64n), 'c');
    refusal(() => argUint64('c', 0.5), 'c');
  });
});

describe('argEnum, argBool, argTimeout, argOptions and friends', () => {
  it('argEnum takes exactly the listed values', () => {
    expect(argEnum('mode', 'acpi', ['acpi', 'agent'])).toBe('acpi');
    expect(argOptEnum('mode', undefined, ['acpi'])).toBeUndefined();
    const e = refusal(() => argEnum('mode', 'bogus', ['acpi', 'agent']), 'mode');
    expect(e.message).toContain("'acpi', 'agent'");
    for (const v of ['ACPI', '', null, 1, {}]) refusal(() => argEnum('mode', v, ['acpi', 'agent']), 'mode');
  });

  it('argBool refuses truthy and falsy stand-ins', () => {
    expect(argBool('b', false)).toBe(false);
    expect(argOptBool('b', undefined)).toBeUndefined();
    for (const v of ['false', 'true', 0, 1, null, {}]) refusal(() => argBool('b', v), 'b');
  });

  it('argTimeout takes finite, non-negative, bounded durations', () => {
    expect(argTimeout('t', 0)).toBe(0);
    expect(argTimeout('t', MAX_TIMEOUT_MS)).toBe(MAX_TIMEOUT_MS);
    expect(argOptTimeout('t', undefined, 60_000)).toBe(60_000);
    for (const v of [NaN, Infinity, -1, MAX_TIMEOUT_MS + 1, '10', null]) refusal(() => argTimeout('t', v), 't');
    refusal(() => argTimeout('i', 0, { min: 1 }), 'i');
    refusal(() => argOptTimeout('i', 61_000, 200, { max: 60_000 }), 'i');
  });

  it('argOptions takes objects (absent: {}), argOptSignal and argOptFunction check their types', () => {
    expect(argOptions('opts', undefined)).toEqual({});
    const o = { a: 1 };
    expect(argOptions('opts', o)).toBe(o);
    for (const v of [null, 'x', 1, []]) refusal(() => argOptions('opts', v as never), 'opts');
    expect(argOptSignal('signal', undefined)).toBeUndefined();
    const ac = new AbortController();
    expect(argOptSignal('signal', ac.signal)).toBe(ac.signal);
    refusal(() => argOptSignal('signal', {}), 'signal');
    refusal(() => argOptFunction('onProgress', 'x'), 'onProgress');
  });

  it('argBytes takes strings (NUL allowed) and byte arrays', () => {
    expect(argBytes('data', 'a\0b')).toBe('a\0b');
    const b = Buffer.from('xy');
    expect(argBytes('data', b)).toBe(b);
    const u = new Uint8Array([1, 2, 3]).subarray(1);
    expect([...(argBytes('data', u) as Buffer)]).toEqual([2, 3]);
    for (const v of [123, null, undefined, {}, [1, 2]]) refusal(() => argBytes('data', v), 'data');
  });
});

describe('checkName and checkLookup', () => {
  it('checkName keeps its rules and names the argument', () => {
    expect(checkName('volume', 'a.qcow2')).toBe('a.qcow2');
    expect(refusal(() => checkName('volume', 'a\0b', 'volume name'), 'volume name').details).toMatchObject({ argument: 'volume name' });
    expect(() => checkName('snapshot', 'a/b', 'spec.name')).toThrow(VirtkitError);
    expect(() => checkName('domain', 'a\uD800', 'newName')).toThrow(/well-formed/);
  });
  it('checkLookup refuses NUL and empty strings only', () => {
    expect(checkLookup('name', 'odd name/with slash')).toBe('odd name/with slash');
    refusal(() => checkLookup('name', ''), 'name');
    refusal(() => checkLookup('name', 'test\0x'), 'name');
  });
});

describe('checkGuestfsArgs (the generated libguestfs signatures)', () => {
  const code = (fn: () => void) => {
    try {
      fn();
      return undefined;
    } catch (e) {
      return (e as VirtkitError).code;
    }
  };
  it('accepts what fits the C parameters', () => {
    expect(code(() => checkGuestfsArgs('cat', ['/etc/hosts']))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('chown', [0, -1, '/d']))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('write', ['/x', 'a\0b']))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('write', ['/x', Buffer.from([0, 1])]))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('truncate_size', ['/x', 2n ** 40n]))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('mkfs', ['ext4', '/dev/sda1', { blocksize: 4096, label: 'root' }]))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('mkfs', ['ext4', '/dev/sda1']))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('set_trace', [true]))).toBeUndefined();
    expect(code(() => checkGuestfsArgs('aug_defvar', ['v', null]))).toBeUndefined();
  });
  it('refuses NUL in C strings, ints outside int, bad int64, wrong types and extra arguments', () => {
    refusal(() => checkGuestfsArgs('cat', ['/f\0.txt']), 'path');
    refusal(() => checkGuestfsArgs('rm_rf', ['/dir\0/../..']), 'path');
    refusal(() => checkGuestfsArgs('cat', [Buffer.from('/f\0.txt')]), 'path');
    refusal(() => checkGuestfsArgs('chown', [2 ** 32, 0, '/d']), 'owner');
    refusal(() => checkGuestfsArgs('chown', [0, NaN, '/d']), 'group');
    refusal(() => checkGuestfsArgs('chown', [2 ** 32, NaN, '/d'], { owner: 'uid', group: 'gid' }), 'uid');
    refusal(() => checkGuestfsArgs('truncate_size', ['/x', 2 ** 64]), 'size');
    refusal(() => checkGuestfsArgs('truncate_size', ['/x', 2n ** 63n]), 'size');
    refusal(() => checkGuestfsArgs('write', ['/x', 123]), 'content');
    refusal(() => checkGuestfsArgs('command', [['ls', '/a\0b']]), 'arguments[1]');
    refusal(() => checkGuestfsArgs('mkfs', ['ext4', '/dev/sda1', { blocksize: 2 ** 31 }]), 'optargs.blocksize');
    refusal(() => checkGuestfsArgs('mkfs', ['ext4', '/dev/sda1', { label: 'a\0b' }]), 'optargs.label');
    refusal(() => checkGuestfsArgs('mkfs', ['ext4', '/dev/sda1', { bogus: 1 }]), 'optargs.bogus');
    refusal(() => checkGuestfsArgs('mkfs', ['ext4', '/dev/sda1', 'x']), 'optargs');
    expect(checkGuestfsArgs.bind(null, 'cat', ['/a', '/b'])).toThrow(/takes 1 argument/);
    const e = refusal(() => checkGuestfsArgs('cat', ['/f\0.txt']), 'path');
    expect(e.message).toMatch(/^cat: path/);
    expect(e.details).toMatchObject({ call: 'cat' });
  });
});
