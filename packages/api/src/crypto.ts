/** Provider credentials at rest: one implementation, in @baton/db (the worker decrypts them too). */
export { decryptSecret, encryptSecret, fingerprintOf } from '@baton/db/crypto';
