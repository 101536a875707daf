// Prints the README's configuration table from the hub's own settings schema.
import { configTableMarkdown } from '../hub/config.js';

process.stdout.write(configTableMarkdown() + '\n');
