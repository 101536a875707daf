import { describe, expect, it } from 'vitest';
import { deadlineMark, usedPercent } from './deadline';
import type { HandlingClock, StepClock } from './types';

const clock = (light: HandlingClock['light'], used: number): HandlingClock => ({
  startedAt: '2026-12-01T01:00:00.000Z',
  deadline: '2026-12-01T05:00:00.000Z',
  limit: { value: 4, unit: 'workHours' },
  measuredAt: '2026-12-01T04:00:00.000Z',
  used,
  light,
});
const step = (name: string, light: StepClock['light'], endedAt: string | null): StepClock => ({
  step: name,
  startedAt: '2026-12-01T01:00:00.000Z',
  deadline: '2026-12-01T03:00:00.000Z',
  endedAt,
  used: 0.5,
  light,
});

describe('the traffic light a case row shows', () => {
  it('is the handling clock once the case was dispatched; red on a running clock is overdue', () => {
    expect(deadlineMark({ state: 'handling', clock: clock('red', 1.2), steps: [] })).toMatchObject({
      clock: 'handling',
      light: 'red',
      overdue: true,
      stopped: false,
    });
    expect(deadlineMark({ state: 'dispatched', clock: clock('yellow', 0.9), steps: [] })).toMatchObject({
      light: 'yellow',
      overdue: false,
    });
  });

  it('is not overdue once the clock stopped (handled late, or postponed)', () => {
    for (const state of ['handled', 'postponed', 'closed'] as const) {
      expect(deadlineMark({ state, clock: clock('red', 1.5), steps: [] })).toMatchObject({
        light: 'red',
        stopped: true,
        overdue: false,
      });
    }
  });

  it('before dispatch, is the step that still runs', () => {
    const steps = [step('verifyAndFile', 'green', '2026-12-01T02:00:00.000Z'), step('dispatch', 'red', null)];
    expect(deadlineMark({ state: 'filed', clock: null, steps })).toMatchObject({
      clock: 'dispatch',
      light: 'red',
      overdue: true,
    });
  });

  it('is none when no clock runs', () => {
    expect(deadlineMark({ state: 'reported', clock: null, steps: [] })).toBeNull();
    expect(
      deadlineMark({ state: 'accepted', clock: null, steps: [step('verifyAndFile', 'green', '2026-12-01T02:00:00Z')] }),
    ).toBeNull();
  });

  it('shows the share used as a percentage', () => {
    expect(usedPercent(0.456)).toBe('46%');
    expect(usedPercent(1.5)).toBe('150%');
  });
});
