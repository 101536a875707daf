import { describe, expect, it } from 'vitest';
import { isConnectionError } from './durable-writer.js';

describe('isConnectionError', () => {
  it('tells an unreachable database from a batch the database refuses', () => {
    expect(
      isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('Query read timeout'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('null value in column'), { code: '23502' }))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('invalid input syntax'), { code: '22P02' }))).toBe(false);
  });
});
