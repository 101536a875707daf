// 用户管理 users as the admin screen manages them (hub/http/auth.ts): list, create with roles and department,
// enable/disable (disabling ends their sessions), set a new password; departments to choose from.
import { api, type TokenHolder } from '$lib/api/http';
import type { Role } from '$lib/auth/session.svelte';
import type { Page } from './devices';

export const ROLES: readonly Role[] = [
  'collector',
  'acceptor',
  'shiftLeader',
  'dispatcher',
  'department',
  'leader',
  'admin',
  'auditor',
];

export interface User {
  id: string;
  username: string;
  name: string;
  roles: Role[];
  departmentId: string | null;
  staffId: string | null;
  phone: string | null;
  enabled: boolean;
  passwordChangedAt: string;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

export interface NewUser {
  username: string;
  password: string;
  name: string;
  roles: Role[];
  departmentId?: string | null;
  staffId?: string | null;
  phone?: string | null;
}

export interface Department {
  id: string;
  name: string;
  kind: 'department' | 'districtGovernment';
  districtCode: string | null;
  enabled: boolean;
}

const path = (id: string, action = '') => `/api/users/${encodeURIComponent(id)}${action}`;

export function listUsers(
  session: TokenHolder,
  filter: { role?: Role | ''; enabled?: boolean | null; q?: string },
  page: { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<Page<User>> {
  return api(session, '/api/users', {
    signal,
    query: { role: filter.role, enabled: filter.enabled, q: filter.q?.trim(), ...page },
  });
}

export function createUser(session: TokenHolder, user: NewUser): Promise<User> {
  return api(session, '/api/users', { method: 'POST', body: user });
}

export function setUserEnabled(session: TokenHolder, id: string, enabled: boolean): Promise<User> {
  return api(session, path(id), { method: 'PATCH', body: { enabled } });
}

export function setPassword(session: TokenHolder, id: string, password: string): Promise<void> {
  return api(session, path(id, '/password'), { method: 'POST', body: { password } });
}

export function listDepartments(session: TokenHolder, signal?: AbortSignal): Promise<Department[]> {
  return api(session, '/api/departments', { signal });
}
