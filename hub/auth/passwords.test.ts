// 用户密码 user passwords: policy, scrypt at password cost, constant-shape verification.
import { describe, expect, it } from 'vitest';
import { dummyVerify, hashPassword, passwordProblem, PASSWORD_SCRYPT_PARAMS, verifyPassword } from './passwords.js';

describe('password policy', () => {
  it('wants at least 10 characters, counted as characters, not bytes', () => {
    expect(passwordProblem('123456789', 'alice')).toMatch(/at least 10/);
    expect(passwordProblem('1234567890', 'alice')).toBeNull();
    // 10 Chinese characters are 10 characters (30 bytes in UTF-8).
    expect(passwordProblem('数字城管监督指挥中心', 'alice')).toBeNull();
    expect(passwordProblem('数字城管监督指挥中', 'alice')).toMatch(/at least 10/);
    expect(passwordProblem('x'.repeat(257), 'alice')).toMatch(/at most 256/);
  });

  it('refuses the username as the password, whatever the case', () => {
    expect(passwordProblem('zhang.san.01', 'zhang.san.01')).toMatch(/not be the username/);
    expect(passwordProblem('ZHANG.SAN.01', 'zhang.san.01')).toMatch(/not be the username/);
    expect(passwordProblem('zhang.san.01!', 'zhang.san.01')).toBeNull();
  });
});

describe('password hashing', () => {
  it('uses scrypt at password cost (N = 2^15, r = 8, p = 1) with a fresh salt', async () => {
    expect(PASSWORD_SCRYPT_PARAMS).toEqual({ N: 32768, r: 8, p: 1 });
    const [a, b] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(a.split('$').slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
  });

  it('verifies the right password only', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery', 'not a hash')).toBe(false);
  });

  it('takes the same form of work for an unknown user (dummy verification)', async () => {
    const hash = await hashPassword('correct horse battery');
    await dummyVerify('warm up'); // the dummy hash is made once, on first use
    const time = async (f: () => Promise<unknown>) => {
      const t0 = performance.now();
      for (let i = 0; i < 3; i++) await f();
      return performance.now() - t0;
    };
    const real = await time(() => verifyPassword('wrong password', hash));
    const dummy = await time(() => dummyVerify('wrong password'));
    expect(await dummyVerify('correct horse battery')).toBe(false);
    // Both run one scrypt at the same cost; a loose bound, since the test box is shared.
    expect(dummy).toBeGreaterThan(real * 0.4);
    expect(dummy).toBeLessThan(real * 2.5);
  });
});
