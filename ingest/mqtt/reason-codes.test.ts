import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REJECT_REASONS, type RejectReason } from '../observation.js';
import {
  CONNACK_CODES,
  IMPLEMENTATION_SPECIFIC_ERROR,
  PUBACK_REASON_CODES,
  pubackReasonCode,
  reasonCodeTablesMarkdown,
} from './reason-codes.js';

/** The reason codes MQTT 5 allows in a PUBACK or PUBREC that refuses a message (spec 3.4.2.1 and 3.5.2.1). */
const PUBACK_FAILURE_CODES = [0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];

/** How aedes 2 turns an MQTT 3.1.1 CONNACK return code into an MQTT 5 reason code (lib/handlers/connect.js). */
const AEDES_CONNACK_MAPPING: Record<number, number> = { 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };

describe('MQTT reason codes', () => {
  it('answers every refusal reason with a failure code a PUBACK may carry', () => {
    for (const reason of REJECT_REASONS) expect(PUBACK_FAILURE_CODES).toContain(PUBACK_REASON_CODES[reason].code);
    expect(pubackReasonCode('payload_too_large').code).toBe(0x99);
    expect(pubackReasonCode('unknown_topic').code).toBe(0x90);
    expect(pubackReasonCode('not_authorized').code).toBe(0x87);
    expect(pubackReasonCode('rate_limited').code).toBe(0x97);
    // A reason missing from the table (only possible from untyped code) is still answered, never with success.
    expect(pubackReasonCode('mystery' as RejectReason)).toBe(IMPLEMENTATION_SPECIFIC_ERROR);
  });

  it('names the MQTT 5 CONNACK code aedes sends for each return code we refuse a login with', () => {
    for (const c of Object.values(CONNACK_CODES)) expect(c.reason.code).toBe(AEDES_CONNACK_MAPPING[c.returnCode]);
  });

  it('is documented in README by the tables made from the same codes', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(reasonCodeTablesMarkdown());
  });
});
