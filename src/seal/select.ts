// The `--operations` syntax of virt-sysprep: "defaults", "all", names, "-name" to remove,
// applied left to right; plus an `enable` list. Checked entirely before anything is touched.
import { VirtkitError } from '../errors.js';
import { LEFT_OUT, OPERATIONS, OPERATIONS_BY_NAME } from './operations/index.js';

function unknown(name: string): VirtkitError {
  const why = LEFT_OUT[name];
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
 * @throws VirtkitError('UNKNOWN_OPERATION') naming the first unknown name.
 */
export function selectOperations(expr?: string, enable: readonly string[] = []): Set<string> {
  const out = new Set<string>();
  const items = expr === undefined ? ['defaults'] : expr.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
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
  return out;
}
