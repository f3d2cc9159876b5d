// Which operations exist (listOperations) and which a seal runs: the `--operations` syntax of virt-sysprep: "defaults", "all", names, "-name" to remove,
// applied left to right; plus an `enable` list. Checked entirely before anything is touched.
import { VirtkitError, invalid } from '../errors.js';
import { LEFT_OUT, OPERATIONS, OPERATIONS_BY_NAME } from './operations/index.js';

function unknown(name: string): VirtkitError {
  const why = LEFT_OUT[name]?.reason;
  return new VirtkitError(
    'UNKNOWN_OPERATION',
    why ? `seal operation "${name}" is not supported by virtkit: ${why}` : `unknown seal operation "${name}" (see listOperations())`,
    { details: { operation: name } },
  );
}

/**
 * Resolves an operations expression to the set of operation names to run.
 * @param expr e.g. "defaults,-ssh-userdir" or "all,-customize"; absent means "defaults".
 * @param enable names added after `expr` is applied.
 * @throws VirtkitError('UNKNOWN_OPERATION') naming the first unknown name; INVALID_ARGUMENT for an
 *   empty name ('', 'a,,b') or a selection of no operation at all ('-defaults').
 */
export function selectOperations(expr?: string, enable: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  const items = expr === undefined ? ['defaults'] : expr.split(',').map((s) => s.trim());
  for (const item of items) {
    // virt-sysprep refuses these too ("empty operation name"): '', ',', 'a,,b', '-'.
    if (item === '' || item === '-') throw invalid(`operations: empty operation name in ${JSON.stringify(expr)}`, { argument: 'operations' });
    const remove = item.startsWith('-');
    const name = remove ? item.slice(1) : item;
    const names =
      name === 'defaults' ? OPERATIONS.filter((o) => o.enabledByDefault).map((o) => o.name)
      : name === 'all' ? OPERATIONS.map((o) => o.name)
      : OPERATIONS_BY_NAME.has(name) ? [name]
      : remove && LEFT_OUT[name] ? []
      : null;
    if (names === null) throw unknown(name);
    for (const n of names) remove ? out.delete(n) : out.add(n);
  }
  for (const name of enable) {
    if (!OPERATIONS_BY_NAME.has(name)) throw unknown(name);
    out.add(name);
  }
  // '-defaults' alone, or everything removed again: a seal that would do nothing is a mistake.
  if (out.size === 0) throw invalid(`operations: ${JSON.stringify(expr ?? 'defaults')} selects no operation`, { argument: 'operations' });
  return out;
}

/** One entry of listOperations(). */
export interface OperationInfo {
  name: string;
  enabledByDefault: boolean;
  description: string;
  /** How virtkit's version differs from virt-sysprep's, or why it is left out. */
  notes?: string;
  /** False for virt-sysprep operations virtkit does not implement. */
  supported: boolean;
}

/**
 * The seal operations, named and defaulted as `virt-sysprep --list-operations` (plus
 * virt-sysprep's later lvm-system-devices and zsh-history). Unsupported ones are listed with
 * `supported: false` and the reason.
 */
export function listOperations(): OperationInfo[] {
  const ops: OperationInfo[] = OPERATIONS.map((o) => ({
    name: o.name, enabledByDefault: o.enabledByDefault, description: o.description, supported: true,
    ...(o.notes ? { notes: o.notes } : {}),
  }));
  for (const [name, { description, reason }] of Object.entries(LEFT_OUT)) {
    ops.push({ name, enabledByDefault: false, description, notes: `Not supported: ${reason}`, supported: false });
  }
  return ops.sort((a, b) => a.name.localeCompare(b.name));
}
