// Password hashing for /etc/shadow.
export { sha512Crypt, hashPassword, randomSalt, verifySha512Crypt } from './sha512-crypt.js';
