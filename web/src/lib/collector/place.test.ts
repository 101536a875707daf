// 导航到现场 distance and map-app links for a collector's task.
import { describe, expect, it } from 'vitest';
import { distanceM, formatDistance, isAppleMobile, mapLinks } from './place';

describe('the way to a task', () => {
  it('measures great-circle distances', () => {
    // 0.001° of latitude is 111.2 m anywhere; 0.01° of longitude at 36.66° N is 891.9 m.
    expect(distanceM({ lon: 117.02, lat: 36.66 }, { lon: 117.02, lat: 36.661 })).toBeCloseTo(111.19, 1);
    expect(distanceM({ lon: 117.02, lat: 36.66 }, { lon: 117.03, lat: 36.66 })).toBeCloseTo(891.9, 0);
    expect(distanceM({ lon: 117.02, lat: 36.66 }, { lon: 117.02, lat: 36.66 })).toBe(0);
  });

  it('shows metres below a kilometre, one decimal below ten', () => {
    expect(formatDistance(349.6)).toBe('350 m');
    expect(formatDistance(1234)).toBe('1.2 km');
    expect(formatDistance(12_345)).toBe('12 km');
  });

  it('links the phone’s map app to the point, with a label', () => {
    const links = mapLinks({ lon: 117.0148, lat: 36.6702 }, '20261201-0006 暴露垃圾');
    expect(links.geo).toBe(
      'geo:36.670200,117.014800?q=36.670200,117.014800(20261201-0006%20%E6%9A%B4%E9%9C%B2%E5%9E%83%E5%9C%BE)',
    );
    expect(links.amap).toContain('position=117.014800,36.670200');
    expect(links.amap).toContain('coordinate=wgs84');
    expect(links.apple).toContain('ll=36.670200,117.014800');
    expect(isAppleMobile('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)')).toBe(true);
    expect(isAppleMobile('Mozilla/5.0 (Linux; Android 14; Pixel 8)')).toBe(false);
  });
});
