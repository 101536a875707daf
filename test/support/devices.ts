// Provisioning and connecting devices the way an operator and a device would: the admin API, then MQTT with the
// device's own credential.
import mqtt from 'mqtt';

export interface Provisioned {
  id: string;
  credential: string;
}

export async function provisionDevice(
  httpUrl: string,
  adminToken: string,
  device: { id: string; kind: string; name?: string; [k: string]: unknown },
): Promise<Provisioned> {
  const res = await fetch(`${httpUrl}/api/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: device.id, ...device }),
  });
  if (res.status !== 201) throw new Error(`provisioning ${device.id}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { credential: string };
  return { id: device.id, credential: body.credential };
}

export function connectDevice(
  mqttUrl: string,
  device: Provisioned,
  options: mqtt.IClientOptions = {},
): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(mqttUrl, {
    clientId: device.id,
    username: device.id,
    password: device.credential,
    reconnectPeriod: 0,
    ...options,
  });
}

export const adminHeaders = (token: string) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
});
