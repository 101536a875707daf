import { describe, expect, it } from 'vitest';
import { candidateClass, candidateMediaIds } from './evidence';

describe('a candidate’s evidence photos', () => {
  it('collects the merged drafts’ photos and snapshots, each once, oldest first', () => {
    const ids = candidateMediaIds({
      evidence: { mediaIds: ['a'], snapshot: { mediaId: 'a', cameraId: 'cam-1' } },
      evidenceItems: [
        { evidence: { mediaIds: ['a'], snapshot: { mediaId: 'a' } } },
        { evidence: { mediaIds: ['b', 7, ''] } },
        { evidence: { snapshot: { mediaId: 'c' } } },
        { evidence: null },
      ],
    });
    expect(ids).toEqual(['a', 'b', 'c']);
  });

  it('is empty without media', () => {
    expect(candidateMediaIds({ evidence: { track: 3 }, evidenceItems: [] })).toEqual([]);
  });
});

describe('a candidate’s class', () => {
  it('reads the kind from the reference it was raised with, or from classKind', () => {
    expect(candidateClass({ classCode: 'component:0101', classKind: 'component' })).toEqual({
      kind: 'component',
      code: '0101',
    });
    expect(candidateClass({ classCode: '0402', classKind: 'event' })).toEqual({ kind: 'event', code: '0402' });
    expect(candidateClass({ classCode: '0402', classKind: null })).toEqual({ kind: null, code: '0402' });
  });
});
