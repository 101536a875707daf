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

/** A connected device that records what the hub tells it: messages on its errors topic, and its commands. */
export interface ListeningDevice {
  client: mqtt.MqttClient;
  provisioned: Provisioned;
  errors: { topic: string; reason: string; message: string }[];
  commands: { topic: string; body: Record<string, unknown> }[];
}

/** Provisions a device of `kind`, connects it and subscribes it to its errors topic (its commands come unasked). */
export async function listeningDevice(
  hub: { httpUrl: string; mqttUrl: string; adminToken: string },
  id: string,
  kind = 'vehicle',
  options: mqtt.IClientOptions = {},
): Promise<ListeningDevice> {
  const provisioned = await provisionDevice(hub.httpUrl, hub.adminToken, { id, kind });
  const client = await connectDevice(hub.mqttUrl, provisioned, options);
  const errors: ListeningDevice['errors'] = [];
  const commands: ListeningDevice['commands'] = [];
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/errors')) errors.push(JSON.parse(payload.toString()));
    else commands.push({ topic, body: JSON.parse(payload.toString()) });
  });
  await client.subscribeAsync(`devices/${id}/errors`);
  return { client, provisioned, errors, commands };
}
