// 设备凭证 device credentials: generation, scrypt hashing and verification.
import { describe, expect, it } from 'vitest';
import { generateCredential, hashCredential, SCRYPT_PARAMS, verifyCredentialHash } from './credentials.js';

describe('device credentials', () => {
  it('are 24 random bytes as base64url', () => {
    const a = generateCredential();
    const b = generateCredential();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(24);
    expect(a).not.toBe(b);
  });

  it('hash into a self-describing scrypt string with a fresh salt each time', async () => {
    const secret = generateCredential();
    const [h1, h2] = await Promise.all([hashCredential(secret), hashCredential(secret)]);
    const parts = h1.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '2048', '8', '1']);
    expect(SCRYPT_PARAMS).toEqual({ N: 2048, r: 8, p: 1 });
    expect(Buffer.from(parts[4]!, 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5]!, 'base64')).toHaveLength(32);
    expect(h1).not.toBe(h2);
    expect(h1).not.toContain(secret);
  });

  it('verify the right secret only', async () => {
    const secret = generateCredential();
    const hash = await hashCredential(secret);
    expect(await verifyCredentialHash(secret, hash)).toBe(true);
    expect(await verifyCredentialHash(`${secret}x`, hash)).toBe(false);
    expect(await verifyCredentialHash('', hash)).toBe(false);
    expect(await verifyCredentialHash(generateCredential(), hash)).toBe(false);
  });

  it('verify hashes made with other cost parameters (they are read from the string)', async () => {
    // What a later, cheaper or dearer, parameter choice would have stored.
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync('s3cret', salt, 32, { N: 1024, r: 8, p: 2 });
    const stored = `scrypt$1024$8$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyCredentialHash('s3cret', stored)).toBe(true);
    expect(await verifyCredentialHash('s3cre', stored)).toBe(false);
  });

  it('refuse malformed or hostile stored hashes instead of throwing', async () => {
    const good = await hashCredential('x');
    const [, , , , salt, key] = good.split('$');
    for (const stored of [
      '',
      'x',
      'bcrypt$2b$10$abc',
      `scrypt$16384$8$1$${salt}`,
      `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${key}`, // would need gigabytes
      `scrypt$16384$0$1$${salt}$${key}`,
      `scrypt$16384$8$1$$${key}`,
      `scrypt$16384$8$1$${salt}$`,
    ]) {
      expect(await verifyCredentialHash('x', stored), stored).toBe(false);
    }
  });
});
