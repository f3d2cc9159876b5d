// Connection.open's auth callback (virConnectOpenAuth) and the typed errors of a failed open.
//
// libvirt asks for credentials on the call thread running the open; the addon posts each request
// here and blocks that thread until authReply (native/connect.cc, "auth"). This module turns the
// request into typed Credentials, runs the user's callback (sync or async), checks its answer and
// replies. Answers are never put in an error, a log or a message.
import { virConnectCredentialType as T } from './generated/libvirt-enums.js';
import { VirtError, VirtkitError, invalid } from './errors.js';

/** What libvirt asks for (VIR_CRED_*). */
export type CredentialType =
  | 'username'
  | 'authname'
  | 'language'
  | 'cnonce'
  | 'passphrase'
  | 'echoprompt'
  | 'noechoprompt'
  | 'realm'
  | 'external';

/** One credential libvirt asks for during {@link Connection.open}. */
export interface Credential {
  /** e.g. 'authname' (SASL's user name) or 'passphrase' (its password). */
  type: CredentialType;
  /** The prompt libvirt (or the SASL mechanism) gives, e.g. 'Please enter your authentication name'. */
  prompt: string;
  /** A challenge to show with the prompt, when the mechanism gives one. */
  challenge?: string;
  /** A default answer, when there is one. */
  defresult?: string;
}

/** An answer to one credential: the string itself, or `{ result }`. */
export type CredentialAnswer = string | { result: string };

/**
 * Answers libvirt's credential requests, one answer per credential, in order. May be async; it
 * runs within the open's deadline (`timeoutMs`), and `signal` fires when the open is given up.
 * Throwing refuses the open (VirtkitError `AUTH_FAILED`, the thrown value as `cause`).
 */
export type AuthCallback = (
  creds: Credential[],
  ctx: { uri: string; signal: AbortSignal },
) => CredentialAnswer[] | Promise<CredentialAnswer[]>;

const NAMES: Record<number, CredentialType> = {
  [T.VIR_CRED_USERNAME]: 'username',
  [T.VIR_CRED_AUTHNAME]: 'authname',
  [T.VIR_CRED_LANGUAGE]: 'language',
  [T.VIR_CRED_CNONCE]: 'cnonce',
  [T.VIR_CRED_PASSPHRASE]: 'passphrase',
  [T.VIR_CRED_ECHOPROMPT]: 'echoprompt',
  [T.VIR_CRED_NOECHOPROMPT]: 'noechoprompt',
  [T.VIR_CRED_REALM]: 'realm',
  [T.VIR_CRED_EXTERNAL]: 'external',
};
/** Every credential type virtkit can pass on: libvirt asks only for types the caller lists. */
export const CRED_TYPES: number[] = Object.keys(NAMES).map(Number);

interface NativeCred {
  type: number;
  prompt: string;
  challenge?: string;
  defresult?: string;
}

/** How the callback failed, if it did: the open's error is built from it. */
type Failure = { kind: 'threw'; cause: unknown } | { kind: 'invalid'; message: string };

/**
 * The native side of one open's auth: `handler` goes to the addon, `reply` is its authReply.
 * The data channels of one open ask the same questions again: each distinct request is put to
 * the callback once per open and its answer reused, then forgotten when the open ends (`end`).
 */
export class AuthSession {
  #cb: AuthCallback | undefined;
  readonly #ac = new AbortController();
  readonly #answers = new Map<string, Promise<string[]>>();
  readonly #pending = new Set<number>();
  failure?: Failure;

  constructor(
    cb: AuthCallback,
    readonly uri: string,
    readonly reply: (id: number, answers: string[] | null) => void,
  ) {
    this.#cb = cb;
  }

  /** Called by the addon, on the main thread, for each request (never throws). */
  readonly handler = (creds: NativeCred[], id: number): void => {
    this.#pending.add(id);
    void this.#answer(creds).then(
      (a) => this.#send(id, a),
      (e: unknown) => {
        if (!this.failure) this.failure = e instanceof VirtkitError && e.code === 'INVALID_ARGUMENT' ? { kind: 'invalid', message: e.message } : { kind: 'threw', cause: e };
        this.#send(id, null);
      },
    );
  };

  #send(id: number, answers: string[] | null): void {
    if (!this.#pending.delete(id)) return; // given up on already
    try {
      this.reply(id, answers);
    } catch {
      /* the addon refused an answer (a NUL): the wait is failed natively */
    }
  }

  #answer(creds: NativeCred[]): Promise<string[]> {
    const cb = this.#cb;
    if (!cb) return Promise.reject(new VirtkitError('AUTH_FAILED', 'the open is over'));
    const typed: Credential[] = creds.map((c) => {
      const o: Credential = { type: NAMES[c.type] ?? ('external' as CredentialType), prompt: c.prompt };
      if (c.challenge !== undefined) o.challenge = c.challenge;
      if (c.defresult !== undefined) o.defresult = c.defresult;
      return o;
    });
    const key = JSON.stringify(creds.map((c) => [c.type, c.prompt, c.challenge ?? null]));
    let p = this.#answers.get(key);
    if (!p) {
      p = (async () => checkAnswers(await cb(typed, { uri: this.uri, signal: this.#ac.signal }), typed))();
      this.#answers.set(key, p);
    }
    return p;
  }

  /** The open settled: unanswered requests fail now (their call threads return), the callback and its answers are dropped. */
  end(): void {
    this.#cb = undefined;
    this.#answers.clear();
    this.#ac.abort();
    for (const id of [...this.#pending]) this.#send(id, null);
  }
}

/** The callback's answer as one string per credential, or an INVALID_ARGUMENT naming what is wrong (never a value). */
export function checkAnswers(v: unknown, creds: Credential[]): string[] {
  if (!Array.isArray(v)) throw invalid(`the auth callback must return an array of ${creds.length} answers (one per credential), got ${v === null ? 'null' : typeof v}`, { argument: 'auth' });
  if (v.length !== creds.length) throw invalid(`the auth callback must return ${creds.length} answers (one per credential), got ${v.length}`, { argument: 'auth' });
  return v.map((a: unknown, i) => {
    const s = typeof a === 'string' ? a : a !== null && typeof a === 'object' && typeof (a as { result?: unknown }).result === 'string' ? (a as { result: string }).result : undefined;
    if (s === undefined) throw invalid(`the auth callback's answer ${i} (${creds[i].type}) must be a string or { result: string }`, { argument: 'auth', index: i });
    if (s.includes('\0')) throw invalid(`the auth callback's answer ${i} (${creds[i].type}) contains a NUL character`, { argument: 'auth', index: i });
    return s;
  });
}

const ECONNREFUSED = 111;
const ENOENT = 2;
const UNREACHABLE_ERRNOS = new Set([113 /* EHOSTUNREACH */, 101 /* ENETUNREACH */, 110 /* ETIMEDOUT */, 112 /* EHOSTDOWN */, 100 /* ENETDOWN */]);
const AUTH_CODES = new Set(['VIR_ERR_AUTH_FAILED', 'VIR_ERR_AUTH_CANCELLED', 'VIR_ERR_AUTH_UNAVAILABLE']);

/**
 * The typed error of a failed open: `AUTH_FAILED` when the daemon refused the credentials (or
 * wanted some and no `auth` was given), `CONNECTION_REFUSED` when nothing listens there (TCP
 * refused, no unix socket), `HOST_UNREACHABLE` when the host cannot be reached or named; other
 * libvirt errors stay VirtErrors. The libvirt error is the `cause`.
 */
export function openError(e: unknown, uri: string, session?: AuthSession): Error {
  const f = session?.failure;
  if (f?.kind === 'invalid') return new VirtkitError('INVALID_ARGUMENT', f.message, { cause: e, details: { argument: 'auth', uri } });
  if (f?.kind === 'threw') return new VirtkitError('AUTH_FAILED', `the auth callback failed while opening '${uri}': ${describe(f.cause)}`, { cause: f.cause, details: { uri } });
  if (!(e instanceof VirtError)) return e instanceof Error ? e : new Error(String(e));
  if (AUTH_CODES.has(e.code)) {
    const hint = session ? '' : ' (no auth callback was given: Connection.open(uri, { auth }))';
    return new VirtkitError('AUTH_FAILED', `authentication to '${uri}' failed: ${e.message}${hint}`, { cause: e, details: { uri } });
  }
  const kind = transportFailure(e, uri);
  if (kind === 'refused') return new VirtkitError('CONNECTION_REFUSED', `connection to '${uri}' refused (is libvirtd running and listening there?): ${e.message}`, { cause: e, details: { uri } });
  if (kind === 'unreachable') return new VirtkitError('HOST_UNREACHABLE', `cannot reach the host of '${uri}': ${e.message}`, { cause: e, details: { uri } });
  if (kind === 'auth') return new VirtkitError('AUTH_FAILED', `authentication to '${uri}' failed: ${e.message}`, { cause: e, details: { uri } });
  return e;
}

function describe(v: unknown): string {
  return v instanceof Error ? v.message : String(v);
}

function transport(uri: string): string {
  const m = /^[a-z0-9]+(?:\+([a-z0-9]+))?:/i.exec(uri);
  return (m?.[1] ?? '').toLowerCase();
}

// Which transport failure a VIR_ERR_SYSTEM_ERROR of an open is, from its errno (and, for the
// ssh binary, whose errors reach libvirt as its stderr, from ssh's own words).
function transportFailure(e: VirtError, uri: string): 'refused' | 'unreachable' | 'auth' | undefined {
  if (e.code !== 'VIR_ERR_SYSTEM_ERROR') return undefined;
  const t = transport(uri);
  if (t === 'ssh' || t === 'libssh' || t === 'libssh2') {
    if (/ssh: connect to host .* Connection refused/.test(e.message)) return 'refused';
    if (/ssh: (connect to host .* (No route to host|Network is unreachable|Connection timed out)|Could not resolve hostname)/.test(e.message)) return 'unreachable';
    if (/Permission denied \(/.test(e.message)) return 'auth';
  }
  if (e.errno === ECONNREFUSED) return 'refused';
  // A unix socket that is not there: no daemon listens (a TLS file missing is ENOENT too: not this).
  if (e.errno === ENOENT && (t === 'unix' || (t === '' && /^[a-z0-9]+:\/\/\//i.test(uri)))) return 'refused';
  if (e.errno !== undefined && UNREACHABLE_ERRNOS.has(e.errno)) return 'unreachable';
  if (/Cannot resolve address|Name or service not known|Temporary failure in name resolution/.test(e.message)) return 'unreachable';
  return undefined;
}
