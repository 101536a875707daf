// Prints the README's case workflow table from the transition table itself (hub/cases/workflow.ts).
import { workflowMarkdown } from '../hub/cases/workflow.js';

process.stdout.write(workflowMarkdown() + '\n');
