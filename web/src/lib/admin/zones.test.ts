// 视频区域绘制 the zone drawing helpers: pointer → normalised image coordinates, kind switches, the API shape.
import { describe, expect, it } from 'vitest';
import {
  closable,
  imagePoint,
  newZone,
  nextZoneId,
  suggestClass,
  svgPoints,
  toApiZone,
  withKind,
  type VideoZone,
} from './zones';

describe('imagePoint', () => {
  const box = { left: 100, top: 50, width: 640, height: 480 };

  it('maps a pointer on the drawn image to 0–1 coordinates, x right and y down', () => {
    expect(imagePoint(box, 100, 50)).toEqual([0, 0]);
    expect(imagePoint(box, 740, 530)).toEqual([1, 1]);
    expect(imagePoint(box, 260, 410)).toEqual([0.25, 0.75]);
  });

  it('clamps a pointer just outside the frame to its edge and rounds to 1/10,000', () => {
    expect(imagePoint(box, 90, 600)).toEqual([0, 1]);
    expect(imagePoint(box, 100 + 640 / 3, 50)).toEqual([0.3333, 0]);
  });
});

describe('zones', () => {
  const square: [number, number][] = [
    [0.1, 0.1],
    [0.5, 0.1],
    [0.5, 0.5],
  ];

  it('a new zone gets a free id and its kind’s required threshold', () => {
    const first = newZone([], square, 'noParking', 'event:0406');
    expect(first).toMatchObject({ id: 'zone-1', kind: 'noParking', maxStationaryS: 300, classRef: 'event:0406' });
    expect(newZone([first], square, 'crowd')).toMatchObject({ id: 'zone-2', classRef: '', maxPersons: 20 });
    expect(nextZoneId([first, { id: 'zone-3' }])).toBe('zone-2');
    expect(nextZoneId([{ id: 'zone-1' }, { id: 'zone-2' }])).toBe('zone-3');
  });

  it('switching kind drops the thresholds that do not apply and adds the required ones', () => {
    const crowd = withKind({ ...newZone([], square, 'noParking', 'event:0406') }, 'crowd');
    expect(crowd.maxStationaryS).toBeUndefined();
    expect(crowd.maxPersons).toBe(20);
    const restricted = withKind({ ...crowd, minDurationS: 60 }, 'restricted');
    expect(restricted).not.toHaveProperty('maxPersons');
    expect(restricted).not.toHaveProperty('minDurationS');
    expect(restricted.hours).toEqual([{ from: '22:00', to: '06:00' }]);
  });

  it('a zone needs three points that enclose an area', () => {
    expect(closable(square.slice(0, 2))).toBe(false);
    expect(
      closable([
        [0, 0],
        [0.5, 0.5],
        [1, 1],
      ]),
    ).toBe(false);
    expect(closable(square)).toBe(true);
    expect(svgPoints(square)).toBe('0.1,0.1 0.5,0.1 0.5,0.5');
  });

  it('sends only what is set: blanks and other kinds’ thresholds are left out', () => {
    const zone = {
      id: ' kerb ',
      name: ' 禁停路段 ',
      kind: 'noParking',
      polygon: square,
      classRef: 'event:0406',
      standardId: null,
      classes: ['car', ' ', 'truck '],
      maxStationaryS: 120,
      maxPersons: 4,
      minScore: null,
    } as unknown as VideoZone;
    expect(toApiZone(zone)).toEqual({
      id: 'kerb',
      name: '禁停路段',
      kind: 'noParking',
      polygon: square,
      classRef: 'event:0406',
      classes: ['car', 'truck'],
      maxStationaryS: 120,
    });
  });

  it('suggests the class a kind usually raises by its name, whatever the numbering', () => {
    const gbt = [
      { ref: 'event:0406', nameZh: '占道经营' },
      { ref: 'component:0409', nameZh: '机动车乱停放' },
      { ref: 'event:0409', nameZh: '机动车乱停放' },
    ];
    expect(suggestClass('noParking', gbt)).toBe('event:0409');
    expect(suggestClass('noParking', [{ ref: 'event:0505', nameZh: '机动车乱停放' }])).toBe('event:0505');
    expect(suggestClass('crowd', gbt)).toBe('');
    expect(suggestClass('restricted', gbt)).toBe('');
  });
});
