export { Template, type RecoverReport } from './template.js';
export { flattenClone, } from './flatten.js';
export { removeClone } from './deploy.js';
export { consumeSeed } from './deploy-seed.js';
export type { CreateTemplateOptions, ConvertOptions, DeployOptions, DeployManyOptions, DeployNetwork, Identity, TemplateProgress, TemplateSealOptions } from './types.js';
export type { ImportTemplateOptions, ImportDomainSpec } from './import.js';
export type { ReplicateOptions, ReplicateProgress } from './replicate.js';
