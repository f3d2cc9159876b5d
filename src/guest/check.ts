// The boundary check of every libguestfs call: each argument against the C type of its parameter
// (src/generated/guestfs-calls.ts, generated from guestfs.h), before anything is queued.
// A NUL in a path would make libguestfs act on a shorter path ('/dir\0/../..' is '/dir'); an int
// out of range would wrap (2**32 -> 0); NaN would become 0.
import { invalid, VirtkitError } from '../errors.js';
import { INT32, argInt, argInt64, argString, argStrings } from '../args.js';
import { guestfsSignatures, type GuestfsParam } from '../generated/guestfs-calls.js';

function checkValue(p: GuestfsParam, v: unknown, names: Readonly<Record<string, string>>): void {
  const name = names[p.name] ?? p.name;
  switch (p.type) {
    case 'string':
      // null is a C NULL: libguestfs refuses it itself where a value is required.
      if (v !== null && !Buffer.isBuffer(v)) argString(name, v);
      else if (Buffer.isBuffer(v) && v.includes(0)) throw invalid(`${name} must not contain a NUL byte`, { argument: name });
      return;
    case 'buffer':
      // Passed with its length: NUL is data here.
      if (typeof v === 'string') argString(name, v, { allowNul: true });
      else if (!Buffer.isBuffer(v)) throw invalid(`${name} must be a string or a Buffer`, { argument: name });
      return;
    case 'int':
    case 'bool':
      if (typeof v !== 'boolean') argInt(name, v, INT32);
      return;
    case 'int64':
      argInt64(name, v);
      return;
    case 'strings':
      argStrings(name, v);
      return;
    case 'optargs': {
      if (v === undefined || v === null) return;
      if (typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v)) throw invalid(`${name} must be an options object`, { argument: name });
      const fields = p.fields ?? {};
      for (const [key, value] of Object.entries(v)) {
        if (value === undefined) continue;
        const type = fields[key];
        const field = names[`${p.name}.${key}`] ?? `${name}.${key}`;
        if (type === undefined) throw invalid(`unknown option ${field} (known: ${Object.keys(fields).join(', ') || 'none'})`, { argument: field });
        if (type === 'string') argString(field, value);
        else if (type === 'int64') argInt64(field, value);
        else if (type === 'strings') argStrings(field, value);
        else if (typeof value !== 'boolean') argInt(field, value, INT32);
      }
      return;
    }
  }
}

/** Generic checks for a call the table does not describe: C strings, integers, string lists. */
function checkUnknown(name: string, v: unknown): void {
  if (v === null || v === undefined || typeof v === 'boolean' || Buffer.isBuffer(v)) return;
  if (typeof v === 'string') argString(name, v);
  else if (typeof v === 'number') argInt(name, v);
  else if (typeof v === 'bigint') argInt64(name, v);
  else if (Array.isArray(v)) argStrings(name, v);
  else if (typeof v === 'object') for (const [k, x] of Object.entries(v)) checkUnknown(`${name}.${k}`, x);
  else throw invalid(`${name} has an unsupported type (${typeof v})`, { argument: name });
}

/**
 * Throws INVALID_ARGUMENT (message and `details.argument` naming libguestfs' parameter, and
 * `details.call` the call) when an argument does not fit its C parameter; `names` gives the
 * caller's own names for the parameters (and 'optargs.<field>' for option fields), where a typed
 * wrapper calls them something else.
 */
export function checkGuestfsArgs(call: string, args: readonly unknown[], names: Readonly<Record<string, string>> = {}): void {
  try {
    const sig = guestfsSignatures[call];
    if (!sig) {
      args.forEach((a, i) => checkUnknown(`argument ${i}`, a));
      return;
    }
    if (args.length > sig.length) throw invalid(`takes ${sig.length} argument${sig.length === 1 ? '' : 's'} (${sig.map((p) => p.name).join(', ')}), got ${args.length}`);
    sig.forEach((p, i) => checkValue(p, args[i], names));
  } catch (e) {
    if (e instanceof VirtkitError && e.code === 'INVALID_ARGUMENT')
      throw invalid(`${call}: ${e.message}`, { ...e.details, call });
    throw e;
  }
}
