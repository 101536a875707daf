// 角色界面 the screens of the app and who may open each: the navigation bar lists the ones the user's roles reach, and
// RoleGate refuses the others (the hub refuses their actions anyway; this keeps people out of screens that are not theirs).
import type { Role } from '$lib/auth/session.svelte';

export interface Screen {
  /** Route path. */
  path: string;
  /** Roles that may open it; null: anyone, without logging in. */
  roles: readonly Role[] | null;
  zh: string;
  en: string;
}

export const SCREENS: readonly Screen[] = [
  { path: '/', roles: null, zh: '监督指挥', en: 'Supervision map' },
  { path: '/acceptor', roles: ['acceptor'], zh: '受理', en: 'Acceptance' },
  { path: '/shift-leader', roles: ['shiftLeader'], zh: '值班长', en: 'Shift leader' },
  { path: '/dispatcher', roles: ['dispatcher'], zh: '派遣', en: 'Dispatch' },
  { path: '/department', roles: ['department'], zh: '专业部门', en: 'Department' },
  { path: '/collector', roles: ['collector'], zh: '监督员', en: 'Collector' },
  { path: '/leader', roles: ['leader'], zh: '领导', en: 'Leader' },
  { path: '/video', roles: ['acceptor', 'shiftLeader', 'leader', 'admin'], zh: '视频监控', en: 'Video wall' },
  { path: '/admin', roles: ['admin'], zh: '系统管理', en: 'Administration' },
  { path: '/public', roles: null, zh: '公众公开', en: 'Public' },
];

export function screenOf(path: string): Screen | undefined {
  const clean = path.replace(/\/+$/, '') || '/';
  return SCREENS.find((s) => (s.path === '/' ? clean === '/' : clean === s.path || clean.startsWith(`${s.path}/`)));
}

export function mayOpen(screen: Screen, roles: readonly Role[] | null): boolean {
  if (screen.roles === null) return true;
  return roles !== null && roles.some((r) => screen.roles!.includes(r));
}
