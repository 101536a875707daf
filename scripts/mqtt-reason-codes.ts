// Prints the README's tables of MQTT CONNACK and PUBACK codes from the broker's own tables.
import { reasonCodeTablesMarkdown } from '../ingest/mqtt/reason-codes.js';

process.stdout.write(reasonCodeTablesMarkdown() + '\n');
