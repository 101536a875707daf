// 用户管理 users as the admin screen manages them (hub/http/auth.ts): list, create with roles and department,
// enable/disable (disabling ends their sessions), set a new password; departments to choose from.
import { api, type TokenHolder } from '$lib/api/http';
import type { Role } from '$lib/auth/session.svelte';
import type { Serialized } from '../../../../hub/serialized.js';
import type { NewUser as HubNewUser, User as HubUser } from '../../../../hub/auth/users.js';
import type { Department as HubDepartment } from '../../../../hub/catalogue/departments.js';
import type { Page } from './devices';

/** The roles the screen offers, checked against the hub's (hub/cases/ports.ts ROLES) both ways, in its order. */
const ROLE_SET: Record<Role, true> = {
  collector: true,
  acceptor: true,
  shiftLeader: true,
  dispatcher: true,
  department: true,
  leader: true,
  admin: true,
  auditor: true,
};
export const ROLES = Object.keys(ROLE_SET) as readonly Role[];

/** GET /api/users items. */
export type User = Serialized<HubUser>;
/** POST /api/users. */
export type NewUser = HubNewUser;
export type Department = Serialized<HubDepartment>;

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
