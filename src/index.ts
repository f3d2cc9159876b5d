export { seal, sealMany, listOperations, selectOperations } from './seal/index.js';
export type { SealOptions, SealReport, SealProgress, SealManyOptions, SealManyResult, OperationInfo, CustomizeOptions, PasswordSpec, FileAction, DiskSpec, DomainLike } from './seal/index.js';
export { hashPassword, sha512Crypt, verifySha512Crypt } from './crypt/index.js';
export { FIRSTBOOT_SCRIPT, SYSTEMD_UNIT } from './firstboot/index.js';
