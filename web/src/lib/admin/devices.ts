// 设备管理 the device registry as the admin screen uses it (hub/http/devices.ts): list with filters and paging,
// register (the MQTT credential comes back once), enable/disable, rotate the credential, and import a CSV file.
import { api, type TokenHolder } from '$lib/api/http';
import type { Serialized } from '../../../../hub/serialized.js';
import type {
  Device as HubDevice,
  DeviceKind,
  ImportReport,
  NewDevice as HubNewDevice,
} from '../../../../hub/devices/registry.js';

export type { DeviceKind };
/** The kinds the screen offers, checked against the hub's (hub/devices/registry.ts DEVICE_KINDS) both ways. */
const KINDS: Record<DeviceKind, true> = { vehicle: true, collector: true, sensor: true, camera: true };
export const DEVICE_KINDS = Object.keys(KINDS) as DeviceKind[];

/** GET /api/devices items. */
export type Device = Serialized<HubDevice>;

export interface DeviceFilter {
  kind?: DeviceKind | '';
  enabled?: boolean | null;
  stale?: boolean | null;
  q?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** POST /api/devices. */
export type NewDevice = HubNewDevice;

/** POST /api/devices/import. */
export type DeviceImportReport = ImportReport;

const path = (id: string, action = '') => `/api/devices/${encodeURIComponent(id)}${action}`;

export function listDevices(
  session: TokenHolder,
  filter: DeviceFilter,
  page: { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<Page<Device>> {
  return api(session, '/api/devices', {
    signal,
    query: {
      kind: filter.kind,
      enabled: filter.enabled,
      stale: filter.stale,
      q: filter.q?.trim(),
      limit: page.limit,
      offset: page.offset,
    },
  });
}

export function createDevice(session: TokenHolder, device: NewDevice): Promise<{ device: Device; credential: string }> {
  return api(session, '/api/devices', { method: 'POST', body: device });
}

export function setDeviceEnabled(session: TokenHolder, id: string, enabled: boolean): Promise<Device> {
  return api(session, path(id, enabled ? '/enable' : '/disable'), { method: 'POST' });
}

export function rotateCredential(session: TokenHolder, id: string): Promise<{ credential: string }> {
  return api(session, path(id, '/credential'), { method: 'POST' });
}

/** The file is sent as it is (the hub reads UTF-8 or GB18030 as Excel writes it). */
export function importDevices(session: TokenHolder, file: Blob): Promise<DeviceImportReport> {
  return api(session, '/api/devices/import', { method: 'POST', body: new Blob([file], { type: 'text/csv' }) });
}
