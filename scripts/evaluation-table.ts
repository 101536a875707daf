// Prints the README's evaluation tables (counts, rates, composite weights) from the definitions (hub/evaluation/).
import { evaluationMarkdown } from '../hub/evaluation/markdown.js';

process.stdout.write(evaluationMarkdown() + '\n');
