// 视频候选 reading a video candidate's camera, zone and snapshot from what the hub stores.
import { describe, expect, it } from 'vitest';
import { cameraAndZone, snapshotId } from './candidates';

const MEDIA = '0b9f6c1e-8d3a-4f0e-9b1a-2c3d4e5f6a7b';

describe('video candidates', () => {
  it('reads camera and zone from the detector id, the camera from the snapshot first', () => {
    expect(cameraAndZone({ detectorId: 'video:cam_1:kerb:north', evidence: {} })).toEqual({
      cameraId: 'cam_1',
      zoneId: 'kerb:north',
    });
    expect(
      cameraAndZone({ detectorId: 'video:cam-2:z', evidence: { snapshot: { cameraId: 'cam-2', mediaId: MEDIA } } }),
    ).toEqual({ cameraId: 'cam-2', zoneId: 'z' });
    expect(cameraAndZone({ detectorId: 'cam-12', evidence: {} })).toEqual({ cameraId: '', zoneId: '' });
  });

  it('finds the snapshot’s media id, ignoring ids that are not stored media', () => {
    expect(snapshotId({ evidence: { snapshot: { mediaId: MEDIA }, mediaIds: [MEDIA] } })).toBe(MEDIA);
    expect(snapshotId({ evidence: { mediaIds: ['frame-1', MEDIA] } })).toBe(MEDIA);
    expect(snapshotId({ evidence: { mediaIds: ['frame-1'] } })).toBeNull();
    expect(snapshotId({ evidence: {} })).toBeNull();
  });
});
