// 评价等级 grades of a composite score (综合指标值), as in [UMP] PositionService.getRatingLevel: A ≥ 90, B 75–89,
// C 60–74, D 40–59, E < 40.
export const GRADES = [
  { grade: 'A', min: 90 },
  { grade: 'B', min: 75 },
  { grade: 'C', min: 60 },
  { grade: 'D', min: 40 },
  { grade: 'E', min: -Infinity },
] as const;
export type Grade = (typeof GRADES)[number]['grade'];

export function gradeOf(score: number | null): Grade | null {
  if (score === null) return null;
  return GRADES.find((g) => score >= g.min)!.grade;
}
