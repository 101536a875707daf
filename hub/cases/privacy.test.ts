// 投诉人隐私 who sees the complainant's phone number.
import { describe, expect, it } from 'vitest';
import type { Actor, Role } from './ports.js';
import { maskPhone, phoneFor } from './privacy.js';

const as = (...roles: Role[]): Actor => ({ userId: 'u', name: 'u', roles, departmentId: null });

describe('complainant phone', () => {
  it('masks the middle of a mobile number and all but the last two digits of a short one', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+8613812345678')).toBe('+86****5678');
    expect(maskPhone('12319')).toBe('***19');
    expect(maskPhone('12')).toBe('**');
  });

  it('shows it whole only to acceptors, shift leaders and auditors', () => {
    for (const r of ['acceptor', 'shiftLeader', 'auditor'] as const)
      expect(phoneFor(as(r), '13812345678')).toBe('13812345678');
    for (const r of ['collector', 'dispatcher', 'department', 'leader', 'admin'] as const) {
      expect(phoneFor(as(r), '13812345678')).toBe('138****5678');
    }
    expect(phoneFor(as('collector', 'acceptor'), '13812345678')).toBe('13812345678');
    expect(phoneFor(as('leader'), null)).toBeNull();
  });
});
