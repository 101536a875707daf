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
