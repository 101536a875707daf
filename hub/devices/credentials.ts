// 设备凭证 device credentials: random MQTT passwords, stored only as scrypt hashes in a self-describing string
// (`scrypt$N$r$p$salt$hash`) so the cost parameters can be raised later without invalidating existing hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// The credentials are ours, 192 random bits each: no dictionary or brute force reaches them, so the hash needs to be a
// one-way function more than a slow one. N = 2048 (~3–5 ms, 2 MiB) keeps reconnect storms of thousands of devices and
// bulk imports of tens of thousands cheap; stored hashes carry their own parameters, so this can be raised any time.
export const SCRYPT_PARAMS = { N: 2048, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const CREDENTIAL_BYTES = 24;

// Bounds for parameters read back from the database: a corrupted or hostile row must not make one login allocate
// gigabytes or spin for minutes.
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

/** A new credential: 24 random bytes as base64url (32 characters, safe in MQTT passwords, URLs and CSV cells). */
export function generateCredential(): string {
  return randomBytes(CREDENTIAL_BYTES).toString('base64url');
}

function deriveKey(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) would refuse larger parameters read from a stored hash.
  const maxmem = 256 * (options.N ?? SCRYPT_PARAMS.N) * (options.r ?? SCRYPT_PARAMS.r);
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, keyLength, { ...options, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** `scrypt$N$r$p$<salt base64>$<hash base64>` of any secret with the given cost (user passwords use a dearer one). */
export async function hashSecret(secret: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const { N, r, p } = params;
  const key = await deriveKey(secret, salt, KEY_BYTES, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** `scrypt$2048$8$1$<salt base64>$<hash base64>` of a credential; runs on the libuv thread pool (a few ms of CPU). */
export function hashCredential(secret: string): Promise<string> {
  return hashSecret(secret, SCRYPT_PARAMS);
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s ?? '') ? Number(s) : NaN)) as [
    number,
    number,
    number,
  ];
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return null;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return null;
  return { N, r, p, salt, key };
}

/** Whether `secret` matches a `hashSecret` or `hashCredential` hash; false (never a throw) for a malformed one. */
export async function verifyCredentialHash(secret: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const key = await deriveKey(secret, parsed.salt, parsed.key.length, { N: parsed.N, r: parsed.r, p: parsed.p });
  return timingSafeEqual(key, parsed.key);
}
