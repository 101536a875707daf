import { describe, expect, it } from 'vitest';
import { caseListPath } from './api';

describe('the case list query', () => {
  it('repeats array parameters and leaves out what is not set', () => {
    expect(
      caseListPath(
        { state: ['dispatched', 'handling'], pendingApproval: ['return'], departmentId: 'water', overdue: false },
        { limit: 20, offset: 40 },
      ),
    ).toBe(
      '/api/cases?state=dispatched&state=handling&pendingApproval=return&departmentId=water&overdue=false&limit=20&offset=40',
    );
    expect(caseListPath({}, { limit: 1, offset: 0 })).toBe('/api/cases?limit=1&offset=0');
  });
});
