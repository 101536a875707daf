// MQTT access control (访问控制): who may publish and subscribe to what. A device only under its own prefix and only
// the topic kinds of its kind of device; an internal service reads everything devices send and sends commands.
// Pure: the principal comes from authentication, the decision from the topic alone.
import { DEVICE_ID_PATTERN, type DeviceTopicKind } from './topics.js';

export type DeviceKind = 'vehicle' | 'collector' | 'sensor' | 'camera';

export type Principal = { type: 'device'; id: string; kind: DeviceKind } | { type: 'service'; name: string };

/** What each kind of device may send. Everything may report position, status and command acks. */
export const TOPICS_BY_DEVICE_KIND: Record<DeviceKind, readonly DeviceTopicKind[]> = {
  vehicle: ['position', 'positions', 'telemetry', 'status', 'acks'],
  collector: ['position', 'positions', 'status', 'reports', 'acks'],
  sensor: ['position', 'telemetry', 'status', 'acks'],
  camera: ['position', 'status', 'acks'],
};

export function canPublish(principal: Principal, topic: string): boolean {
  const parts = topic.split('/');
  if (principal.type === 'service') {
    // Services send commands to devices; they never impersonate a device's data.
    return parts.length === 4 && parts[0] === 'devices' && DEVICE_ID_PATTERN.test(parts[1]!) && parts[2] === 'commands';
  }
  if (parts.length !== 3 || parts[0] !== 'devices' || parts[1] !== principal.id) return false;
  return (TOPICS_BY_DEVICE_KIND[principal.kind] as readonly string[]).includes(parts[2]!);
}

export function canSubscribe(principal: Principal, filter: string): boolean {
  const parts = filter.split('/');
  if (principal.type === 'service') {
    // Anything under devices/, including shared subscriptions; never the broker's $SYS internals.
    const plain = parts[0] === '$share' ? parts.slice(2) : parts;
    return plain[0] === 'devices';
  }
  if (parts[0] !== 'devices' || parts[1] !== principal.id) return false;
  const rest = parts.slice(2).join('/');
  // Its own commands (all, one at a time, or one command) and its own refusals.
  return rest === 'errors' || rest === 'commands/#' || rest === 'commands/+' || /^commands\/[0-9a-f-]{36}$/.test(rest);
}
