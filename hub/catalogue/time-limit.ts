// 处置时限 time-limit text of a city's standard (`2紧急工作时`, `4工作时`, `2工作日`) → value + unit. Pure; anything it
// cannot read exactly (free text, `立即`, ranges, seasons) is a typed failure with the reason, never a guess: a wrong
// deadline on a case is worse than one an administrator has to set by hand.
import type { TimeLimit, TimeLimitUnit } from '../cases/ports.js';

export type TimeLimitFailureReason = 'empty' | 'noNumber' | 'range' | 'unknownUnit' | 'extraText' | 'notPositive';

export type TimeLimitParse =
  { ok: true; limit: TimeLimit } | { ok: false; reason: TimeLimitFailureReason; message: string };

// Longest first so `紧急工作时` is not read as `工作时`. `个` is the optional measure word (`4个工作时`).
const UNIT_WORDS: readonly [string, TimeLimitUnit][] = [
  ['紧急工作小时', 'urgentHours'],
  ['紧急工作时', 'urgentHours'],
  ['工作小时', 'workHours'],
  ['工作时', 'workHours'],
  ['工作日', 'workDays'],
];

const UNIT_TEXT: Record<TimeLimitUnit, string> = { workHours: '工作时', workDays: '工作日', urgentHours: '紧急工作时' };

/** Fullwidth digits and point (１２．５) as ASCII; the limit column is often typed with a Chinese input method. */
function toHalfwidth(text: string): string {
  return text.replace(/[\uff10-\uff19\uff0e]/g, (c) => (c === '\uff0e' ? '.' : String(c.charCodeAt(0) - 0xff10)));
}

export function parseTimeLimit(raw: string): TimeLimitParse {
  const fail = (reason: TimeLimitFailureReason, message: string): TimeLimitParse => ({ ok: false, reason, message });
  const text = toHalfwidth(raw.normalize('NFC')).replace(/\s+/g, '');
  if (text === '') return fail('empty', 'no time limit given');
  if (/\d\s*[-~～—至到]\s*\d/.test(text)) {
    return fail('range', `"${raw.trim()}" is a range; the standard must give one limit per situation`);
  }
  const match = /^(\d+(?:\.\d+)?)个?(.*)$/.exec(text);
  if (!match) {
    return /\d/.test(text)
      ? fail('extraText', `"${raw.trim()}" has text before the number; expected e.g. 4工作时, 2工作日 or 2紧急工作时`)
      : fail('noNumber', `"${raw.trim()}" has no number; expected e.g. 4工作时, 2工作日 or 2紧急工作时`);
  }
  const value = Number(match[1]);
  const rest = match[2]!;
  const unit = UNIT_WORDS.find(([word]) => rest.startsWith(word));
  if (!unit) return fail('unknownUnit', `"${raw.trim()}" has no known unit (工作时, 工作日 or 紧急工作时)`);
  if (rest.length > unit[0].length) {
    return fail('extraText', `"${raw.trim()}" has text after the unit ("${rest.slice(unit[0].length)}")`);
  }
  if (!(value > 0)) return fail('notPositive', `"${raw.trim()}" is not a positive time limit`);
  return { ok: true, limit: { value, unit: unit[1] } };
}

/** The canonical text of a limit, e.g. { 2, urgentHours } → `2紧急工作时`. */
export function formatTimeLimit(limit: TimeLimit): string {
  return `${limit.value}${UNIT_TEXT[limit.unit]}`;
}
