// cloud-init NoCloud seeds made in-process: the files (seed.ts), their YAML (yaml.ts) and the
// `cidata` ISO 9660 image (iso9660.ts). No binary is spawned.
export { noCloudSeed, noCloudSeedIso, NOCLOUD_LABEL } from './seed.js';
export type { NoCloudSeedInput, NoCloudFiles } from './seed.js';
export { toYaml, yamlString } from './yaml.js';
export type { YamlValue } from './yaml.js';
export { iso9660Image } from './iso9660.js';
export type { IsoFile, IsoImageOptions } from './iso9660.js';
