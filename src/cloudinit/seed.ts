// cloud-init's NoCloud seed made in-process: meta-data, user-data (#cloud-config) and
// network-config from the same identity deploy takes (hostname, users' SSH keys, the root
// password hash, free-form data), plus caller-given cloud-config keys and network
// configuration; and the `cidata` ISO 9660 image that carries them to the guest.
//
// What the identity becomes (cloud-init 22.x, Debian 12's, and later):
//   hostname            meta-data local-hostname; cloud-config hostname (+ fqdn when it has a dot)
//   sshAuthorizedKeys   users: [default, { name, ssh_authorized_keys, lock_passwd: false }] (an
//                       existing user keeps its account and password, only gains the keys; a
//                       missing one is created); root's keys also set disable_root: false so
//                       cloud-init does not prefix them with "Please login as …"
//   rootPasswordHash    the root entry's hashed_passwd (lock_passwd: false keeps it usable)
//   data                meta-data 'virtkit-data' (a mapping), for `cloud-init query ds.meta_data`
// `instanceId` is meta-data instance-id: cloud-init runs its per-instance modules once per id, so
// each clone needs its own (deploy passes the domain UUID).
import { invalid } from '../errors.js';
import { argString } from '../args.js';
import { checkIdentity, type CloneIdentity } from '../xml/identity.js';
import { toYaml, type YamlValue } from './yaml.js';
import { iso9660Image } from './iso9660.js';

/** Input of {@link noCloudSeed}: a clone's identity plus what only cloud-init knows. */
export interface NoCloudSeedInput extends CloneIdentity {
  /** meta-data instance-id (e.g. the domain UUID): 1-255 printable ASCII characters, no space. */
  instanceId: string;
  /**
   * Extra top-level #cloud-config keys (e.g. { packages: ['nginx'], runcmd: [['touch', '/x']] }).
   * Keys the identity writes (hostname, fqdn, users, disable_root) are refused: set them through
   * the identity instead.
   */
  userData?: Record<string, unknown>;
  /** The network-config file (cloud-init network config version 1 or 2, e.g. { version: 2, ethernets: { … } }). */
  networkConfig?: Record<string, unknown>;
}

/** The files of a NoCloud seed, named as cloud-init reads them. */
export interface NoCloudFiles {
  'meta-data': string;
  'user-data': string;
  'network-config'?: string;
}

const INSTANCE_ID = /^[\x21-\x7e]{1,255}$/;
const OWN_KEYS = ['hostname', 'fqdn', 'users', 'disable_root'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The NoCloud files for `input`. INVALID_ARGUMENT (with `details.argument`) on a field the
 * identity rules refuse, an extra cloud-config key that collides with one the identity writes, or
 * a value YAML cannot carry. A hash or a key is never echoed in a message.
 */
export function noCloudSeed(input: NoCloudSeedInput, argument = 'seed'): NoCloudFiles {
  if (!isObject(input)) throw invalid(`${argument} must be an object`, { argument });
  const { instanceId, userData, networkConfig, ...identityFields } = input;
  const id = checkIdentity(identityFields, argument);
  argString(`${argument}.instanceId`, instanceId);
  if (!INSTANCE_ID.test(instanceId)) throw invalid(`${argument}.instanceId must be 1-255 printable ASCII characters without spaces`, { argument: `${argument}.instanceId` });
  if (userData !== undefined && !isObject(userData)) throw invalid(`${argument}.userData must be an object of cloud-config keys`, { argument: `${argument}.userData` });
  if (networkConfig !== undefined && !isObject(networkConfig)) throw invalid(`${argument}.networkConfig must be an object (network config v1 or v2)`, { argument: `${argument}.networkConfig` });
  if (networkConfig !== undefined && networkConfig.version !== 1 && networkConfig.version !== 2) {
    throw invalid(`${argument}.networkConfig.version must be 1 or 2`, { argument: `${argument}.networkConfig.version` });
  }
  for (const k of Object.keys(userData ?? {})) {
    if (OWN_KEYS.includes(k)) throw invalid(`${argument}.userData.${k} is written from the identity; set it there`, { argument: `${argument}.userData.${k}` });
  }

  const meta: Record<string, YamlValue> = { 'instance-id': instanceId };
  if (id.hostname !== undefined) meta['local-hostname'] = id.hostname;
  if (id.data !== undefined) meta['virtkit-data'] = { ...id.data };

  const config: Record<string, unknown> = {};
  if (id.hostname !== undefined) {
    config.hostname = id.hostname.split('.')[0]!;
    if (id.hostname.includes('.')) config.fqdn = id.hostname;
  }
  const users = new Map<string, Record<string, YamlValue>>();
  const user = (name: string) => {
    let u = users.get(name);
    if (!u) users.set(name, (u = { name, lock_passwd: false }));
    return u;
  };
  for (const [name, keys] of Object.entries(id.sshAuthorizedKeys ?? {})) if (keys.length > 0) user(name).ssh_authorized_keys = keys;
  if (id.rootPasswordHash !== undefined) user('root').hashed_passwd = id.rootPasswordHash;
  if (users.size > 0) {
    // 'default' keeps the image's default user (cloud-init creates it only when users lists it)
    config.users = ['default', ...users.values()];
    if (users.get('root')?.ssh_authorized_keys) config.disable_root = false;
  }
  Object.assign(config, userData);

  const files: NoCloudFiles = {
    'meta-data': toYaml(meta, `${argument}.meta-data`),
    'user-data': '#cloud-config\n' + toYaml(config, `${argument}.userData`),
  };
  if (networkConfig !== undefined) files['network-config'] = toYaml(networkConfig, `${argument}.networkConfig`);
  return files;
}

/** The volume label cloud-init's NoCloud data source looks for. */
export const NOCLOUD_LABEL = 'cidata';

/**
 * The NoCloud seed as an ISO 9660 image labelled `cidata` (attach it read-only as a CD-ROM).
 * `date` fixes the image's timestamps (default now), so the same input can give the same bytes.
 */
export function noCloudSeedIso(input: NoCloudSeedInput, opts: { date?: Date } = {}): Buffer {
  const files = noCloudSeed(input);
  return iso9660Image({
    volumeId: NOCLOUD_LABEL,
    date: opts.date,
    files: Object.entries(files).map(([name, data]) => ({ name, data: data as string })),
  });
}
