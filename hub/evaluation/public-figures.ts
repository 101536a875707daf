// 公开数据 the evaluation's public figures (art.49): counts and rates of the city, its districts and streets, the
// departments and the classes of problem for a period — never a person, never a score or grade about anyone. The
// public page (web/src/lib/public) shows these and nothing it counts itself, so the public and the leaders read one
// set of indicators (counters.ts, rates.ts).
import type { EvaluatedObject } from './evaluate.js';
import type { Period } from './period.js';
import type { EvaluationService } from './service.js';

export const PUBLIC_COUNTS = [
  'reported',
  'publicReported',
  'filed',
  'handlingDue',
  'handledOnTime',
  'overdueUnhandled',
  'closureDue',
  'closed',
  'closedOnTime',
] as const;
export const PUBLIC_RATES = ['closureRate', 'onTimeClosureRate', 'onTimeHandlingRate'] as const;
export type PublicCount = (typeof PUBLIC_COUNTS)[number];
export type PublicRate = (typeof PUBLIC_RATES)[number];

export interface PublicFigure {
  /** Area code, department id or `component:0101`; '' for the city. */
  id: string;
  name: string | null;
  /** The counts meaningful for the object (counters.ts). */
  counts: Partial<Record<PublicCount, number>>;
  /** Rates as fractions (0–1); null when nothing was due. */
  rates: Partial<Record<PublicRate, number | null>>;
}

/** A class of problem also carries its English name (the catalogue's; null when it has none) for the public page. */
export interface PublicClassFigure extends PublicFigure {
  nameEn: string | null;
}

export interface PublicFigures {
  /** As asked: `2026-11`. */
  period: string;
  from: string;
  to: string;
  timeZone: string;
  generatedAt: string;
  city: PublicFigure;
  districts: PublicFigure[];
  streets: PublicFigure[];
  departments: PublicFigure[];
  /** Most reported first. */
  classes: PublicClassFigure[];
}

function figure(o: EvaluatedObject): PublicFigure {
  return {
    id: o.id,
    name: o.name,
    counts: Object.fromEntries(PUBLIC_COUNTS.filter((c) => c in o.counts).map((c) => [c, o.counts[c]!])),
    rates: Object.fromEntries(PUBLIC_RATES.filter((r) => r in o.rates).map((r) => [r, o.rates[r]!.value])),
  };
}

/** English names of the classes `component:0101` … from the catalogue. */
async function englishClassNames(service: EvaluationService, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await service.pool.query<{ id: string; name_en: string }>(
    `SELECT kind || ':' || code AS id, name_en FROM catalogue_classes
      WHERE kind || ':' || code = ANY($1) AND name_en <> ''`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.name_en]));
}

export async function publicFigures(service: EvaluationService, period: Period): Promise<PublicFigures> {
  const {
    city,
    district: districts,
    street: streets,
    department: departments,
    class: classes,
  } = await service.evaluateMany(['city', 'district', 'street', 'department', 'class'], period);
  const english = await englishClassNames(
    service,
    classes.objects.map((o) => o.id),
  );
  return {
    period: period.label,
    from: period.from,
    to: period.to,
    timeZone: city.timeZone,
    generatedAt: city.generatedAt.toISOString(),
    city: figure(city.objects[0]!),
    districts: districts.objects.map(figure),
    streets: streets.objects.map(figure),
    departments: departments.objects.map(figure),
    classes: classes.objects
      .map((o) => ({ ...figure(o), nameEn: english.get(o.id) ?? null }))
      .sort((a, b) => (b.counts.reported ?? 0) - (a.counts.reported ?? 0) || a.id.localeCompare(b.id)),
  };
}
