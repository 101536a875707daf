// 地图实时数据 the map's live feed: rides the page's one `/live` connection (./connection.ts, which carries the session
// token, reconnects on login or logout and subscribes again when the session's sight changes) on the device, case and
// candidate layers, merges each snapshot into the store and streams the batched deltas (positions, states, cases,
// candidates) into it. Cameras have their own feed on the same connection (./cameras-feed.ts).
import { watchLive, watchLiveState, type LiveLayer } from './connection';
import { deviceLayerOf, type LiveMap } from './live-map.svelte';
import { liveStats } from './stats';
import {
  parseCandidatesEvent,
  parseCasesEvent,
  parsePositionsEvent,
  parseSnapshotEvent,
  parseStatusEvent,
  type DevicePosition,
} from './wire';

/** The hub's layers this feed carries. */
const LAYERS: readonly LiveLayer[] = ['vehicles', 'collectors', 'sensors', 'cases', 'candidates'];

/**
 * The connection carries the union of the page's layers: devices of kind camera come with the cameras layer a camera
 * screen follows, and are not the map's devices (cameras are drawn from the camera registry).
 */
const mapDevices = (positions: DevicePosition[]): DevicePosition[] =>
  positions.filter((p) => deviceLayerOf(p.kind) !== null);

/** Keeps `live` up to date from the page's connection until the returned function is called; this only writes to it. */
export function startLiveFeed(live: LiveMap): () => void {
  const stopState = watchLiveState((state) => (live.connection = state));
  const stopWatch = watchLive({
    layers: LAYERS,
    beforeSnapshot: () => live.beginSnapshot(),
    snapshot: (payload) => {
      const snapshot = parseSnapshotEvent(payload);
      live.applySnapshot({ ...snapshot, positions: mapDevices(snapshot.positions) });
    },
    delta: (event, payload) => {
      switch (event) {
        case 'positions': {
          const positions = mapDevices(parsePositionsEvent(payload));
          liveStats?.received(positions);
          if (positions.length > 0) live.devices.applyDeltas(positions);
          break;
        }
        case 'status': {
          const statuses = parseStatusEvent(payload);
          if (statuses.length > 0) live.devices.applyStatuses(statuses);
          break;
        }
        case 'cases': {
          const cases = parseCasesEvent(payload);
          if (cases.length > 0) live.cases.applyDeltas(cases);
          break;
        }
        case 'candidates': {
          const candidates = parseCandidatesEvent(payload);
          if (candidates.length > 0) live.candidates.applyDeltas(candidates);
          break;
        }
        case 'cameras':
          break;
      }
    },
  });
  return () => {
    stopWatch();
    stopState();
    live.connection = 'offline';
  };
}
