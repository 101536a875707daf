import { describe, expect, it } from 'vitest';
import { StatusIndex } from './status-index';

describe('StatusIndex', () => {
  it('tracks offline devices, newest report first, and says which devices changed', () => {
    const index = new StatusIndex();
    expect(index.apply([{ deviceId: 'a', state: 'offline', timeMs: 10 }])).toEqual(['a']);
    expect([...index.offline]).toEqual(['a']);
    expect(index.apply([{ deviceId: 'a', state: 'online', timeMs: 5 }])).toEqual([]); // older: ignored
    expect(index.apply([{ deviceId: 'a', state: 'online', timeMs: 20 }])).toEqual(['a']);
    expect(index.offline.size).toBe(0);
    expect(index.apply([{ deviceId: 'b', state: 'fault', timeMs: 1 }])).toEqual([]); // not an offline change
  });
});
