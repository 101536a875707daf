// 用户密码 user passwords: the policy a new password must meet, and scrypt hashing at a real password cost. People pick
// guessable passwords, so unlike device credentials (192 random bits, hub/devices/credentials.ts) the hash must be slow.
import { randomBytes } from 'node:crypto';
import { hashSecret, verifyCredentialHash, type ScryptParams } from '../devices/credentials.js';

// N = 2^15, r = 8: 32 MiB and ~50–100 ms per hash on one core, the cost OWASP names for scrypt. The stored string
// carries its parameters, so raising them later leaves existing hashes valid.
export const PASSWORD_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

export const PASSWORD_MIN_LENGTH = 10;
// Long enough for any passphrase; the bound keeps one login request from hashing megabytes.
export const PASSWORD_MAX_LENGTH = 256;

/** What is wrong with `password` as a new password for `username`, or null when it is acceptable. */
export function passwordProblem(password: string, username: string): string | null {
  // Characters, not UTF-16 units: a Chinese passphrase of 10 characters is 10 characters.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `the password must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (length > PASSWORD_MAX_LENGTH) return `the password must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) {
    return 'the password must not be the username';
  }
  return null;
}

/** The self-describing scrypt hash (`scrypt$32768$8$1$salt$hash`) of a password. */
export function hashPassword(password: string): Promise<string> {
  return hashSecret(password.normalize('NFC'), PASSWORD_SCRYPT_PARAMS);
}

/** Whether `password` matches `storedHash`, compared in constant time; false for a malformed hash. */
export function verifyPassword(password: string, storedHash: string): Promise<boolean> {
  return verifyCredentialHash(password.normalize('NFC'), storedHash);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification against a hash nobody's password matches, so that a login for a username
 * that does not exist takes as long as one with a wrong password and the timing does not reveal which names exist.
 */
export async function dummyVerify(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64url'));
  await verifyPassword(password, await dummyHash);
  return false;
}
