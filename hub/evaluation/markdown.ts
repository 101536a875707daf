// 指标说明表 the README's tables of the evaluation — counts, rates, composite weights — printed from the definitions
// themselves (`npm run docs:evaluation`), kept in step by a test like the configuration table.
import { COUNTERS, type CounterFilter } from './counters.js';
import { OBJECT_KINDS, OBJECT_NAMES_ZH, type ObjectKind } from './objects.js';
import { COVERAGE_COUNTS, RATES } from './rates.js';
import { SCORE_BY_ID } from './scores.js';
import { DEFAULT_WEIGHTS } from './weights.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function objects(kinds: readonly ObjectKind[]): string {
  const all = OBJECT_KINDS.filter((k) => kinds.includes(k));
  const areas = ['city', 'district', 'street', 'community', 'cell'] as const;
  const parts: string[] = [];
  if (areas.every((k) => all.includes(k))) parts.push('areas');
  for (const k of all)
    if (!(areas.every((a) => all.includes(a)) && (areas as readonly string[]).includes(k))) parts.push(k);
  return parts.join(', ');
}

function filterText(f: CounterFilter): string {
  const flags = [
    f.onTime === undefined ? null : f.onTime ? 'on time' : 'late',
    f.done === undefined ? null : f.done ? 'done' : 'not done',
    f.valid === undefined ? null : f.valid ? 'valid' : 'not valid',
    f.sources ? `source ${f.sources.join('/')}` : null,
  ].filter(Boolean);
  return `\`${f.kind}\`${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

export function evaluationMarkdown(): string {
  const counts = [
    '| count | 名称 | facts counted | for | source | how it is counted |',
    '|---|---|---|---|---|---|',
    ...COUNTERS.map(
      (d) =>
        `| \`${d.id}\` | ${d.nameZh} | ${filterText(d.filter)} | ${objects(d.objects)} | ${cell(d.source)} | ${cell(d.note)} |`,
    ),
    ...COVERAGE_COUNTS.map(
      (d) => `| \`${d.id}\` | ${d.nameZh} | stored patrol coverage | collector | cell-coverage rule | ${d.nameEn} |`,
    ),
  ];
  const rates = [
    '| rate | 名称 | = | for | source | note |',
    '|---|---|---|---|---|---|',
    ...RATES.map(
      (r) =>
        `| \`${r.id}\` | ${r.nameZh} | ${r.numerator.join(' + ')} ÷ ${r.denominator.join(' + ')} | ${objects(r.objects)} | ${cell(r.source)} | ${cell(r.note)} |`,
    ),
  ];
  const composites = [
    '| object | default weights (score × weight) | source | note |',
    '|---|---|---|---|',
    ...OBJECT_KINDS.filter((k) => DEFAULT_WEIGHTS[k] !== null).map((k) => {
      const d = DEFAULT_WEIGHTS[k]!;
      const terms = d.terms
        .map((t) => {
          const item = SCORE_BY_ID.get(t.item)!;
          const how =
            item.scoring.kind === 'bands'
              ? `bands of ${item.scoring.count}${item.scoring.perCell ? ' per cell' : ''}`
              : item.scoring.kind === 'inverseRate'
                ? `100 − ${item.scoring.rate}`
                : item.scoring.rate;
          return `${item.nameZh} (${how}) × ${t.weight}`;
        })
        .join(' + ');
      return `| ${k} ${OBJECT_NAMES_ZH[k]} | ${terms} | ${cell(d.source)} | ${cell(d.note)} |`;
    }),
  ];
  return [counts.join('\n'), rates.join('\n'), composites.join('\n')].join('\n\n');
}
