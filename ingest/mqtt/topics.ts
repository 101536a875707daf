// MQTT topic scheme (主题): devices publish under their own prefix, `devices/{deviceId}/{kind}`, and receive
// commands on `devices/{deviceId}/commands/{commandId}` and refusals on `devices/{deviceId}/errors`.
// Pure: parsing only; what each kind carries is in payloads.ts, who may use which topic in acl.ts.

export type DeviceTopicKind = 'position' | 'positions' | 'telemetry' | 'status' | 'reports' | 'acks';

export const DEVICE_TOPIC_KINDS: readonly DeviceTopicKind[] = [
  'position',
  'positions',
  'telemetry',
  'status',
  'reports',
  'acks',
];

export interface DeviceTopic {
  deviceId: string;
  kind: DeviceTopicKind;
}

/** Device ids: letters, digits, `-`, `_`, `.`, `:`; 1–64 characters (also the MQTT username). */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** `devices/{id}/{kind}` → its parts; null for any other topic (including a known prefix with an unknown kind). */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'devices') return null;
  const [, deviceId, kind] = parts as [string, string, string];
  if (!DEVICE_ID_PATTERN.test(deviceId)) return null;
  if (!(DEVICE_TOPIC_KINDS as readonly string[]).includes(kind)) return null;
  return { deviceId, kind: kind as DeviceTopicKind };
}

/** The device id in a topic under `devices/`, even when the rest of the topic is wrong (to send the error back). */
export function deviceIdOfTopic(topic: string): string | null {
  const parts = topic.split('/');
  return parts[0] === 'devices' && parts[1] && DEVICE_ID_PATTERN.test(parts[1]) ? parts[1] : null;
}

export const errorTopic = (deviceId: string): string => `devices/${deviceId}/errors`;
export const commandTopic = (deviceId: string, commandId: string): string =>
  `devices/${deviceId}/commands/${commandId}`;
