import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { VirtkitError } from '../../src/errors.js';
import { listOperations, selectOperations } from '../../src/seal/index.js';
import { OPERATIONS } from '../../src/seal/operations/index.js';

/** `virt-sysprep --list-operations`: "name * description" (the star marks defaults). */
function liveOperations(): Map<string, boolean> | undefined {
  try {
    const out = execFileSync('virt-sysprep', ['--list-operations'], { encoding: 'utf8' });
    return new Map(out.trim().split('\n').map((line) => {
      const m = /^(\S+)\s+(\*?)\s/.exec(line)!;
      return [m[1]!, m[2] === '*'] as const;
    }));
  } catch {
    return undefined;
  }
}

/** Operations virt-sysprep gained after 1.48 (the host's version): both enabled by default upstream. */
const NEWER_THAN_148 = new Map([['lvm-system-devices', true], ['zsh-history', true]]);
const LEFT_OUT = new Set(['script']);

describe('operation catalogue', () => {
  const live = liveOperations();

  it.skipIf(!live)('has every virt-sysprep operation (but script) with the same default', () => {
    const ours = new Map(OPERATIONS.map((o) => [o.name, o.enabledByDefault]));
    const rows: string[] = [];
    for (const [name, dflt] of live!) {
      if (LEFT_OUT.has(name)) continue;
      expect(ours.has(name), `missing ${name}`).toBe(true);
      expect(ours.get(name), `default of ${name}`).toBe(dflt);
      rows.push(`${name}${dflt ? ' *' : ''}`);
    }
    for (const name of ours.keys()) if (!live!.has(name)) expect(NEWER_THAN_148.has(name), `extra operation ${name}`).toBe(true);
    console.log(`virt-sysprep ${live!.size} operations; virtkit implements ${ours.size} (${[...LEFT_OUT].join(', ')} left out; ${[...NEWER_THAN_148.keys()].join(', ')} from later virt-sysprep)`);
  });

  it.skipIf(!live)("'defaults' equals virt-sysprep's default set (minus script, plus newer defaults)", () => {
    const want = new Set([...live!].filter(([n, d]) => d && !LEFT_OUT.has(n)).map(([n]) => n));
    for (const [n, d] of NEWER_THAN_148) if (d) want.add(n);
    expect([...selectOperations('defaults')].sort()).toEqual([...want].sort());
    expect([...selectOperations()].sort()).toEqual([...want].sort());
  });

  it('listOperations lists script as unsupported with the reason', () => {
    const script = listOperations().find((o) => o.name === 'script')!;
    expect(script.supported).toBe(false);
    expect(script.notes).toMatch(/FUSE/);
    expect(listOperations().filter((o) => o.supported)).toHaveLength(OPERATIONS.length);
  });
});

describe('selectOperations', () => {
  const defaults = selectOperations('defaults');

  it('applies items left to right', () => {
    expect(selectOperations('defaults,-ssh-userdir').has('ssh-userdir')).toBe(false);
    expect(selectOperations('defaults,-ssh-userdir').size).toBe(defaults.size - 1);
    expect([...selectOperations('machine-id,logfiles')].sort()).toEqual(['logfiles', 'machine-id']);
    expect(selectOperations('all').size).toBe(OPERATIONS.length);
    expect(selectOperations('all,-customize,-fs-uuids').has('fs-uuids')).toBe(false);
    expect(selectOperations('-logfiles,defaults').has('logfiles')).toBe(true);
    expect(selectOperations('defaults,firewall-rules').has('firewall-rules')).toBe(true);
    expect(selectOperations(' machine-id ,logfiles ').size).toBe(2);
  });

  it('refuses an empty name or an empty selection (issue 15.6), as virt-sysprep does', () => {
    for (const expr of ['', ',', ' ', 'machine-id,,logfiles', '-', '-defaults', 'machine-id,-machine-id']) {
      try {
        selectOperations(expr);
        expect.fail(`accepted ${JSON.stringify(expr)}`);
      } catch (e) {
        expect(e).toBeInstanceOf(VirtkitError);
        expect((e as VirtkitError).code).toBe('INVALID_ARGUMENT');
        expect((e as VirtkitError).details).toMatchObject({ argument: 'operations' });
      }
    }
    // enable can still fill an emptied expression.
    expect([...selectOperations('-defaults', ['machine-id'])]).toEqual(['machine-id']);
  });

  it('adds `enable` after the expression', () => {
    const s = selectOperations('defaults,-machine-id', ['machine-id', 'user-account']);
    expect(s.has('machine-id') && s.has('user-account')).toBe(true);
  });

  it('refuses unknown names with UNKNOWN_OPERATION naming them', () => {
    const bad = (f: () => unknown, name: string) => {
      try {
        f();
        expect.fail('no error');
      } catch (e) {
        expect(e).toBeInstanceOf(VirtkitError);
        expect((e as VirtkitError).code).toBe('UNKNOWN_OPERATION');
        expect((e as VirtkitError).message).toContain(`"${name}"`);
      }
    };
    bad(() => selectOperations('defaults,bogus-op'), 'bogus-op');
    bad(() => selectOperations('-nope'), 'nope');
    bad(() => selectOperations('defaults', ['zzz']), 'zzz');
    bad(() => selectOperations('script'), 'script');
    expect(selectOperations('defaults,-script').size).toBe(defaults.size);
  });
});
