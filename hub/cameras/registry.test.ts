// 视频监控点 the camera registry on the real database: zone validation per kind, the publish cache the media server asks
// synchronously (with each camera's publish key version, durable across restarts), live status (listeners hear only
// real changes, the live map every stored change), last-frame time that never goes back, and the specs the video
// pipeline reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraRegistry, redactRtspUrl, type CameraLiveState, type CameraStatusChange } from './registry.js';
import { zoneIssues } from './zones.js';
import { migratedTestDatabase, type TestDatabase } from '../../test/support/database.js';

let db: TestDatabase;
let registry: CameraRegistry;

beforeAll(async () => {
  db = await migratedTestDatabase();
  registry = new CameraRegistry(db.pool);
});
afterAll(async () => {
  await db?.drop();
});

const square = [
  [0, 0],
  [0.5, 0],
  [0.5, 0.5],
  [0, 0.5],
];

describe('zoneIssues', () => {
  it('accepts one zone of each kind with its thresholds', () => {
    expect(
      zoneIssues([
        { id: 'a', name: 'A', kind: 'noParking', polygon: square, classRef: 'event:0406', maxStationaryS: 600 },
        { id: 'b', name: 'B', kind: 'crowd', polygon: square, classRef: 'event:0501', maxPersons: 20, minDurationS: 0 },
        {
          id: 'c',
          name: 'C',
          kind: 'restricted',
          polygon: square,
          classRef: 'event:0302',
          hours: [{ from: '22:00', to: '06:00' }],
          classes: ['truck'],
          minScore: 0.5,
          standardId: null,
        },
      ]),
    ).toEqual([]);
  });

  it('names each bad value by its path', () => {
    expect(
      zoneIssues([
        { id: 'a', name: ' ', kind: 'noParking', polygon: square.slice(0, 2), classRef: '0406x', maxStationaryS: 0 },
        { id: 'b', name: 'B', kind: 'parade', polygon: square, classRef: 'event:0406', colour: 'red' },
        { id: 'c', name: 'C', kind: 'crowd', polygon: square, classRef: 'event:0406', maxPersons: 2.5, minScore: 2 },
      ]),
    ).toEqual([
      { field: 'zones[0].name', message: 'must be a non-blank text of at most 200 characters' },
      { field: 'zones[0].classRef', message: 'must be a catalogue class like event:0406 or component:0101' },
      { field: 'zones[0].polygon', message: 'must be 3–100 points [x, y] in image coordinates 0–1' },
      { field: 'zones[0].maxStationaryS', message: 'must be a whole number from 1 to 86400' },
      { field: 'zones[1].colour', message: 'is not a zone property' },
      { field: 'zones[1].kind', message: 'must be one of noParking, crowd, restricted' },
      { field: 'zones[2].minScore', message: 'must be a number from 0 to 1' },
      { field: 'zones[2].maxPersons', message: 'must be a whole number from 1 to 10000' },
    ]);
    expect(zoneIssues('x')).toEqual([{ field: 'zones', message: 'must be an array of zones' }]);
  });
});

describe('CameraRegistry', () => {
  it('keeps the publish cache in step with enabled, and loads it from the table', async () => {
    await registry.create({ id: 'c1', name: 'One', lon: 117, lat: 36.6, source: 'rtmp' });
    await registry.create({ id: 'c2', name: 'Two', lon: 117, lat: 36.6, source: 'rtmp', enabled: false });
    expect([registry.mayPublish('c1'), registry.mayPublish('c2'), registry.mayPublish('c3')]).toEqual([
      true,
      false,
      false,
    ]);
    await registry.update('c1', { enabled: false });
    await registry.update('c2', { enabled: true });
    expect([registry.mayPublish('c1'), registry.mayPublish('c2')]).toEqual([false, true]);
    const fresh = new CameraRegistry(db.pool);
    expect(fresh.mayPublish('c2')).toBe(false);
    await fresh.loadPublishable();
    expect([fresh.mayPublish('c1'), fresh.mayPublish('c2')]).toEqual([false, true]);
  });

  it('reports status changes once, and last-frame time never goes back', async () => {
    const heard: CameraStatusChange[] = [];
    const off = registry.onStatus((c) => heard.push(c));
    const t0 = Date.parse('2026-12-01T02:00:00Z');
    expect(await registry.setStatus('c2', 'online', t0)).toBe(true);
    expect(await registry.setStatus('c2', 'online', t0 + 1000)).toBe(false);
    expect(await registry.setStatus('ghost', 'online', t0)).toBe(false);
    await registry.recordFrame('c2', t0 + 5000);
    await registry.recordFrame('c2', t0 + 3000);
    let c2 = await registry.get('c2');
    expect(c2.lastFrameAt?.toISOString()).toBe('2026-12-01T02:00:05.000Z');
    expect(c2.statusChangedAt?.toISOString()).toBe('2026-12-01T02:00:00.000Z');
    expect(await registry.setStatus('c2', 'offline', t0 + 9000)).toBe(true);
    off();
    await registry.setStatus('c2', 'online', t0 + 10_000);
    expect(heard).toEqual([
      { cameraId: 'c2', status: 'online', atMs: t0 },
      { cameraId: 'c2', status: 'offline', atMs: t0 + 9000 },
    ]);
    expect(await registry.markAllOffline(t0 + 20_000)).toBe(1);
    c2 = await registry.get('c2');
    expect(c2.status).toBe('offline');
  });

  it('gives the pipeline the enabled cameras only', async () => {
    const zone = { id: 'z', name: 'Z', kind: 'crowd', polygon: square, classRef: 'event:0501', maxPersons: 10 };
    await registry.update('c2', { zones: [zone], sampleIntervalMs: 1000 });
    expect(await registry.specs()).toEqual([
      { id: 'c2', name: 'Two', lon: 117, lat: 36.6, sampleIntervalMs: 1000, zones: [zone] },
    ]);
  });

  it('revoking publish keys raises the camera’s key version, kept across restarts; other cameras keep theirs', async () => {
    await registry.create({ id: 'k1', name: 'Keys', lon: 117, lat: 36.6, source: 'rtmp' });
    expect(registry.publishKeyVersion('k1')).toBe(0);
    expect((await registry.revokePublishKeys('k1')).publishKeyVersion).toBe(1);
    expect((await registry.revokePublishKeys('k1')).publishKeyVersion).toBe(2);
    expect(registry.publishKeyVersion('k1')).toBe(2);
    expect(registry.publishKeyVersion('c2')).toBe(0);
    await expect(registry.revokePublishKeys('ghost')).rejects.toMatchObject({ code: 'CameraNotFound' });
    // Disabled: no version at all (may not publish); enabled again, the revoked keys stay revoked.
    await registry.update('k1', { enabled: false });
    expect(registry.publishKeyVersion('k1')).toBeNull();
    await registry.update('k1', { enabled: true });
    expect(registry.publishKeyVersion('k1')).toBe(2);
    const fresh = new CameraRegistry(db.pool);
    await fresh.loadPublishable();
    expect(fresh.publishKeyVersion('k1')).toBe(2);
  });

  it('tells live listeners every stored change: created, edited, online/offline, a newer frame', async () => {
    const heard: CameraLiveState[] = [];
    const off = registry.onLiveChange((c) => heard.push(c));
    const t0 = Date.parse('2026-12-01T03:00:00Z');
    await registry.create({ id: 'l1', name: 'Live', lon: 117.01, lat: 36.61, source: 'rtmp' });
    await registry.setStatus('l1', 'online', t0);
    await registry.setStatus('l1', 'online', t0 + 500); // no change: nothing heard
    await registry.recordFrame('l1', t0 + 2000);
    await registry.recordFrame('l1', t0 + 1000); // older: nothing stored, nothing heard
    await registry.update('l1', { name: 'Live 2', lon: 117.02 });
    await registry.setStatus('l1', 'offline', t0 + 9000);
    off();
    await registry.setStatus('l1', 'online', t0 + 10_000);
    const iso = (ms: number) => new Date(ms).toISOString();
    expect(
      heard.map((c) => [
        c.id,
        c.status,
        c.statusChangedAt?.toISOString() ?? null,
        c.lastFrameAt?.toISOString() ?? null,
      ]),
    ).toEqual([
      ['l1', 'offline', null, null],
      ['l1', 'online', iso(t0), iso(t0)],
      ['l1', 'online', iso(t0), iso(t0 + 2000)],
      ['l1', 'online', iso(t0), iso(t0 + 2000)],
      ['l1', 'offline', iso(t0 + 9000), iso(t0 + 2000)],
    ]);
    // The edit moved it (the live map filters by place) and is newer than the entry it had before.
    expect(heard[3]).toMatchObject({ lon: 117.02, lat: 36.61, enabled: true });
    expect(heard[3]!.updatedAt.getTime()).toBeGreaterThan(heard[0]!.updatedAt.getTime());
    expect((await registry.liveStates()).find((c) => c.id === 'l1')).toMatchObject({ status: 'online', lon: 117.02 });
  });
});

describe('redactRtspUrl', () => {
  it('hides the password, keeps the rest', () => {
    expect(redactRtspUrl('rtsp://admin:pa55@10.0.0.5:554/h264')).toBe('rtsp://admin:***@10.0.0.5:554/h264');
    expect(redactRtspUrl('rtsp://10.0.0.5/h264')).toBe('rtsp://10.0.0.5/h264');
  });
});
