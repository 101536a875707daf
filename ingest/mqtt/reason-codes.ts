// MQTT reason codes (MQTT 原因码): what the built-in broker answers a refused login or a refused message with. One
// table per packet, used by the CONNECT and PUBLISH handlers and for the README (a test keeps the two in step).
// Pure: data and the markdown made from it.
import { REJECT_REASONS, type RejectReason } from '../observation.js';
import type { AuthFailure } from './connect.js';

export interface ReasonCode {
  code: number;
  /** The name the MQTT 5 specification gives the code. */
  name: string;
}

const PAYLOAD_FORMAT_INVALID: ReasonCode = { code: 0x99, name: 'Payload format invalid' };
const TOPIC_NAME_INVALID: ReasonCode = { code: 0x90, name: 'Topic Name invalid' };
const NOT_AUTHORIZED: ReasonCode = { code: 0x87, name: 'Not authorized' };
const QUOTA_EXCEEDED: ReasonCode = { code: 0x97, name: 'Quota exceeded' };
/** For a refusal that has no code of its own. */
export const IMPLEMENTATION_SPECIFIC_ERROR: ReasonCode = { code: 0x83, name: 'Implementation specific error' };

/**
 * The PUBACK (QoS 1) or PUBREC (QoS 2) reason code of a refused message from an MQTT 5 client, by the `reason` the
 * device also receives on its errors topic. MQTT 3.1.1 has no negative acknowledgement: there the refusal is acked.
 */
export const PUBACK_REASON_CODES: Readonly<Record<RejectReason, ReasonCode>> = {
  malformed_json: PAYLOAD_FORMAT_INVALID,
  schema: PAYLOAD_FORMAT_INVALID,
  out_of_range: PAYLOAD_FORMAT_INVALID,
  time_in_future: PAYLOAD_FORMAT_INVALID,
  time_too_old: PAYLOAD_FORMAT_INVALID,
  payload_too_large: PAYLOAD_FORMAT_INVALID,
  unknown_topic: TOPIC_NAME_INVALID,
  not_authorized: NOT_AUTHORIZED,
  // A device over its rate limit, and QoS 0 shed while the hub is overloaded.
  rate_limited: QUOTA_EXCEEDED,
};

export function pubackReasonCode(reason: RejectReason): ReasonCode {
  return PUBACK_REASON_CODES[reason] ?? IMPLEMENTATION_SPECIFIC_ERROR;
}

/**
 * The DISCONNECT an MQTT 5 client gets when the data of its message could not be made durable (database unreachable
 * and the local spool failing): no acknowledgement, so it sends the message again after reconnecting.
 */
export const NOT_DURABLE_DISCONNECT: ReasonCode = { code: 0x89, name: 'Server busy' };

export interface ConnackCode {
  /** MQTT 3.1.1 CONNACK return code. */
  returnCode: 2 | 3 | 4 | 5;
  /** The MQTT 5 CONNACK reason code the broker (aedes) sends for that return code. */
  reason: ReasonCode;
  /** When, for the README. */
  doc: string;
}

/** The CONNACK of each refused login. */
export const CONNACK_CODES: Readonly<Record<AuthFailure, ConnackCode>> = {
  bad_credentials: {
    returnCode: 4,
    reason: { code: 0x86, name: 'Bad User Name or Password' },
    doc: 'unknown device or service account, wrong credential',
  },
  no_username: {
    returnCode: 4,
    reason: { code: 0x86, name: 'Bad User Name or Password' },
    doc: 'no username',
  },
  disabled: { returnCode: 5, reason: NOT_AUTHORIZED, doc: 'disabled device or service account' },
  throttled: {
    returnCode: 5,
    reason: NOT_AUTHORIZED,
    doc: 'too many failed logins from the address: it must wait (1 s, 2 s, 4 s … up to 5 min)',
  },
  client_id_mismatch: {
    returnCode: 2,
    reason: { code: 0x85, name: 'Client Identifier not valid' },
    doc: "client id not the device's own (services: not starting with `svc:{name}`)",
  },
  error: {
    returnCode: 3,
    reason: { code: 0x88, name: 'Server unavailable' },
    doc: 'the hub could not check the credential (e.g. database unreachable)',
  },
};

const hex = (code: number) => `\`0x${code.toString(16).toUpperCase().padStart(2, '0')}\``;

/** The README's tables of what a refused login and a refused message get. */
export function reasonCodeTablesMarkdown(): string {
  const connack = Object.values(CONNACK_CODES).map(
    (c) => `| ${c.doc} | \`${c.returnCode}\` | ${hex(c.reason.code)} ${c.reason.name} |`,
  );
  const puback = REJECT_REASONS.map((reason) => {
    const c = pubackReasonCode(reason);
    return `| \`${reason}\` | ${hex(c.code)} ${c.name} |`;
  });
  return [
    '| login refused | MQTT 3.1.1 CONNACK return code | MQTT 5 CONNACK reason code |',
    '|---|---|---|',
    ...connack,
    '',
    '| message refused: `reason` | MQTT 5 PUBACK / PUBREC reason code |',
    '|---|---|',
    ...puback,
    `| any other reason | ${hex(IMPLEMENTATION_SPECIFIC_ERROR.code)} ${IMPLEMENTATION_SPECIFIC_ERROR.name} |`,
  ].join('\n');
}
