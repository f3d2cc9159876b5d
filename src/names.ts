// The name rules now live in src/validate.ts; this module only keeps the import path working for
// modules not yet moved to it (storage, template/{template,deploy,import}). New code: import validate.js.
export { checkName, checkLookup, looksLikeUuid } from './validate.js';
