// 红绿灯 the traffic light of a case in a list: the handling clock from dispatch, or before that the running step's
// clock (verify-and-file, dispatch, re-inspect), as the hub measured them; overdue (超期) is red on a running clock.
// Pure: the hub decides the colours (by the working calendar); this only picks which clock a row shows.
import type { CaseView, TrafficLight } from './types';

export interface DeadlineMark {
  /** handling: the department's clock; otherwise the step's name (verifyAndFile, dispatch, reinspect). */
  clock: string;
  light: TrafficLight;
  deadline: string;
  /** Share of the limit used (1 = at the deadline). */
  used: number;
  /** The clock stands still (handled, postponed, parked, or the step ended). */
  stopped: boolean;
  /** Past the deadline on a clock that still runs. */
  overdue: boolean;
}

const HANDLING_RUNS = ['dispatched', 'handling'];

export function deadlineMark(view: Pick<CaseView, 'state' | 'clock' | 'steps'>): DeadlineMark | null {
  if (view.clock) {
    const stopped = !HANDLING_RUNS.includes(view.state);
    return {
      clock: 'handling',
      light: view.clock.light,
      deadline: view.clock.deadline,
      used: view.clock.used,
      stopped,
      overdue: !stopped && view.clock.light === 'red',
    };
  }
  const running = view.steps.filter((s) => s.endedAt === null).at(-1);
  if (running) {
    return {
      clock: running.step,
      light: running.light,
      deadline: running.deadline,
      used: running.used,
      stopped: false,
      overdue: running.light === 'red',
    };
  }
  return null;
}

/** "45%" for the share of the limit used; over the limit shows how far over. */
export function usedPercent(used: number): string {
  return `${Math.round(used * 100)}%`;
}
