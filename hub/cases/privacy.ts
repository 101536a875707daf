// 投诉人隐私 complainant privacy: the caller's phone number is shown only to the roles that must call back (受理员
// acceptor, 值班长 shift leader) or check the record (审计员 auditor); everybody else sees it masked.
import type { Actor, Role } from './ports.js';

export const PHONE_ROLES: readonly Role[] = ['acceptor', 'shiftLeader', 'auditor'];

export function maySeePhone(actor: Actor): boolean {
  return actor.roles.some((r) => PHONE_ROLES.includes(r));
}

/** 13812345678 → 138****5678: enough to recognise a number, not to dial it. Short numbers keep only their last 2. */
export function maskPhone(phone: string): string {
  const digits = phone.trim();
  if (digits.length >= 11) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  if (digits.length <= 2) return '*'.repeat(digits.length);
  return `${'*'.repeat(digits.length - 2)}${digits.slice(-2)}`;
}

export function phoneFor(actor: Actor, phone: string | null): string | null {
  if (phone === null) return null;
  return maySeePhone(actor) ? phone : maskPhone(phone);
}

/** Sources whose description a complainant wrote (the 12319 hotline, the public): never published. */
const COMPLAINANT_SOURCES: readonly string[] = ['public', 'hotline'];

/**
 * What may look like personal data in free text: a run of 5+ digits (phone, ID card, house or room numbers), an
 * e-mail address, a Chinese licence plate (province abbreviation, a letter, 5–6 letters or digits).
 */
const PERSONAL_TEXT = [
  /[0-9０-９]{5,}/,
  /[0-9]{3,4}[- ][0-9]{3,4}[- ]?[0-9]{3,4}/,
  /\S+@\S+\.\S+/,
  /[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{5,6}/i,
];

/**
 * 信息公开 the description of a case as the public page may show it (art.49), or null: only what staff wrote (a
 * collector's or a leader's report, a detector's), and only when nothing in it looks like personal data. A
 * complainant's own words are never published: they may name people, addresses and numbers in ways no pattern finds.
 */
export function publicDescription(source: string, description: string | null): string | null {
  const text = description?.trim() ?? '';
  if (!text || COMPLAINANT_SOURCES.includes(source)) return null;
  if (PERSONAL_TEXT.some((pattern) => pattern.test(text))) return null;
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
