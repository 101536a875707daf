// 月度运行报告页面 the monthly operations report (art.37) as one self-contained HTML page: figures, inline SVG charts
// (trend of reports and closings, by class, by department, overdue, exceptions) and the tables of indicators and grades.
// The same page is printed to PDF by Chromium, so it carries its own print styles and no script.
import { APPROVAL_KINDS } from '../cases/workflow.js';
import { barChart, escapeHtml, lineChart } from './charts.js';
import { COUNTER_BY_ID } from './counters.js';
import type { EvaluatedObject } from './evaluate.js';
import { EXCEPTION_NAMES_ZH, type LedgerRow } from './exceptions.js';
import { OBJECT_NAMES_ZH } from './objects.js';
import { RATE_BY_ID } from './rates.js';
import type { MonthlyReportData } from './report-data.js';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
const num = (v: number | null | undefined) => (v === null || v === undefined ? '—' : String(v));
const score = (o: EvaluatedObject) =>
  o.composite?.score === null || !o.composite ? '—' : o.composite.score.toFixed(2);
const grade = (o: EvaluatedObject) => o.composite?.grade ?? '—';
const label = (o: EvaluatedObject) => escapeHtml(o.name ?? (o.id || '全市'));
const rateName = (id: string) => escapeHtml(RATE_BY_ID.get(id)?.nameZh ?? id);
const countName = (id: string) => escapeHtml(COUNTER_BY_ID.get(id)?.nameZh ?? id);

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '<p class="empty">本月无数据 (nothing this month)</p>';
  return `<table><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i > 0 ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** Objects with their counts, rates, composite score and grade. */
function objectTable(objects: readonly EvaluatedObject[], counts: readonly string[], rates: readonly string[]): string {
  return table(
    ['名称', ...counts.map(countName), ...rates.map(rateName), '综合指标值', '等级'],
    objects.map((o) => [
      label(o),
      ...counts.map((c) => num(o.counts[c])),
      ...rates.map((r) => pct(o.rates[r]?.value)),
      score(o),
      grade(o),
    ]),
  );
}

function ledgerRow(row: LedgerRow): string[] {
  return [
    escapeHtml(row.name ?? row.departmentId ?? ''),
    num(row.cases),
    ...APPROVAL_KINDS.map((k) => {
      const c = row.kinds.find((x) => x.kind === k)!;
      return `${c.approved}/${c.requested} (${pct(c.share)})`;
    }),
    pct(row.share),
  ];
}

const POSITION_COLUMNS: Record<string, { counts: string[]; rates: string[] }> = {
  collector: {
    counts: ['collectorReported', 'validReported', 'missedReported', 'verifyDue', 'reinspectDue'],
    rates: ['validReportRate', 'missedReportRate', 'onTimeVerifyRate', 'onTimeReinspectRate', 'coverageRate'],
  },
  acceptor: { counts: ['accepted', 'rejected'], rates: ['onTimeAcceptRate', 'accurateAcceptRate'] },
  shiftLeader: {
    counts: ['filed', 'closeActions', 'voided'],
    rates: ['onTimeFilingRate', 'accurateFilingRate', 'onTimeCloseRate'],
  },
  dispatcher: { counts: ['dispatched', 'dispatchDue'], rates: ['onTimeDispatchRate', 'accurateDispatchRate'] },
};

const STYLE = `
  @page { size: A4; margin: 14mm 12mm; }
  body { font-family: 'Noto Sans CJK SC', 'Noto Serif CJK SC', sans-serif; color: #111827; font-size: 12px; margin: 0; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 15px; margin: 18px 0 6px; border-bottom: 2px solid #2563eb; padding-bottom: 2px; break-after: avoid; }
  h3 { font-size: 13px; margin: 10px 0 4px; break-after: avoid; }
  .meta { color: #4b5563; font-size: 11px; }
  .figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; margin: 8px 0; }
  .figure { border: 1px solid #d1d5db; border-radius: 4px; padding: 6px; }
  .figure b { display: block; font-size: 16px; }
  table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 10.5px; break-inside: auto; }
  tr { break-inside: avoid; }
  th, td { border: 1px solid #d1d5db; padding: 2px 4px; text-align: left; }
  th { background: #f3f4f6; }
  td.n { text-align: right; white-space: nowrap; }
  svg { display: block; margin: 4px 0; break-inside: avoid; }
  .empty { color: #6b7280; }
  .note { color: #4b5563; font-size: 10px; }
`;

export function monthlyReportHtml(d: MonthlyReportData): string {
  const c = d.city;
  const [year, month] = d.month.split('-');
  const title = `数字城管月度运行报告 ${year}年${Number(month)}月`;
  const figure = (name: string, value: string) => `<div class="figure">${escapeHtml(name)}<b>${value}</b></div>`;
  const topClasses = d.classes.slice(0, 10);
  const depts = d.departments;
  const deptLabels = depts.map((o) => o.name ?? o.id);
  const ledger = d.exceptions;

  const sections = [
    `<h1>${escapeHtml(title)}</h1>
     <p class="meta">Monthly operations report · ${escapeHtml(d.period.from)} – ${escapeHtml(d.period.to)} (${escapeHtml(d.timeZone)}) ·
       generated ${escapeHtml(d.generatedAt.toISOString())} · daily aggregates: ${escapeHtml(d.source)}</p>`,
    `<h2>一、运行概况 Summary</h2>
     <div class="figures">
       ${figure('上报数 reported', num(c.counts.reported))}
       ${figure('立案数 filed', num(c.counts.filed))}
       ${figure('应结案数 closures due', num(c.counts.closureDue))}
       ${figure('结案数 closed', num(c.counts.closed))}
       ${figure('结案率 closure rate', pct(c.rates.closureRate?.value))}
       ${figure('按期结案率 on-time closure', pct(c.rates.onTimeClosureRate?.value))}
       ${figure('按期处置率 on-time handling', pct(c.rates.onTimeHandlingRate?.value))}
       ${figure('超期未处置数 overdue', num(c.counts.overdueUnhandled))}
       ${figure('返工率 rework rate', pct(c.rates.reworkRate?.value))}
       ${figure('异常处置占比 exceptions', pct(ledger.city.share))}
       ${figure('综合指标值 composite', score(c))}
       ${figure('等级 grade', grade(c))}
     </div>`,
    `<h2>二、上报与结案趋势 Reports and closings per day</h2>
     ${lineChart(
       '每日上报、结案与超期',
       d.trend.map((t) => t.day.slice(5)),
       [
         { name: '上报 reported', values: d.trend.map((t) => t.reported) },
         { name: '结案 closings', values: d.trend.map((t) => t.closings) },
         { name: '超期 overdue', values: d.trend.map((t) => t.overdue), color: '#dc2626' },
       ],
     )}`,
    `<h2>三、按类别 By class</h2>
     ${
       topClasses.length
         ? barChart(
             '按类别上报与结案',
             topClasses.map((o) => `${o.name ?? o.id}`),
             [
               { name: '上报 reported', values: topClasses.map((o) => o.counts.reported ?? 0) },
               { name: '立案 filed', values: topClasses.map((o) => o.counts.filed ?? 0) },
               { name: '结案 closed', values: topClasses.map((o) => o.counts.closed ?? 0) },
             ],
           )
         : ''
     }
     ${table(
       [
         '类别',
         countName('reported'),
         countName('filed'),
         countName('closureDue'),
         countName('closed'),
         rateName('closureRate'),
       ],
       topClasses.map((o) => [
         `${label(o)} (${escapeHtml(o.id)})`,
         num(o.counts.reported),
         num(o.counts.filed),
         num(o.counts.closureDue),
         num(o.counts.closed),
         pct(o.rates.closureRate?.value),
       ]),
     )}`,
    `<h2>四、专业部门 By department</h2>
     ${
       depts.length
         ? barChart('部门处置', deptLabels, [
             { name: '应处置 due', values: depts.map((o) => o.counts.handlingDue ?? 0) },
             { name: '按期处置 on time', values: depts.map((o) => o.counts.handledOnTime ?? 0), color: '#16a34a' },
             { name: '超期未处置 overdue', values: depts.map((o) => o.counts.overdueUnhandled ?? 0), color: '#dc2626' },
           ])
         : ''
     }
     ${objectTable(
       depts,
       ['dispatched', 'handlingDue', 'handledOnTime', 'overdueUnhandled', 'reworked', 'closureDue', 'closed'],
       ['closureRate', 'onTimeHandlingRate', 'reworkRate'],
     )}`,
    `<h2>五、超期 Overdue</h2>
     ${
       depts.length
         ? barChart(
             '超期处置与超期未处置',
             deptLabels,
             [
               { name: '超期处置 handled late', values: depts.map((o) => o.counts.handledLate ?? 0), color: '#d97706' },
               {
                 name: '超期未处置 not handled',
                 values: depts.map((o) => o.counts.overdueUnhandled ?? 0),
                 color: '#dc2626',
               },
             ],
             { stacked: true },
           )
         : '<p class="empty">本月无超期 (nothing overdue)</p>'
     }`,
    `<h2>六、异常处置台账 Exceptions (art.40)</h2>
     ${barChart(
       '异常处置 (批准数)',
       [...ledger.departments.map((r) => r.name ?? r.departmentId ?? ''), '监督中心'],
       APPROVAL_KINDS.map((k) => ({
         name: EXCEPTION_NAMES_ZH[k],
         values: [...ledger.departments, ledger.centre].map((r) => r.kinds.find((x) => x.kind === k)!.approved),
       })),
       { stacked: true },
     )}
     ${table(
       ['部门', '案件数', ...APPROVAL_KINDS.map((k) => `${EXCEPTION_NAMES_ZH[k]} 批准/申请 (占比)`), '合计占比'],
       [...ledger.departments.map(ledgerRow), ledgerRow(ledger.centre), ledgerRow(ledger.city)],
     )}
     <p class="note">部门的占比以派遣至该部门的案件数为分母，全市与监督中心以立案数为分母。Shares: approved ÷ cases dispatched to the
       department; for the city and the centre ÷ cases filed.</p>`,
    `<h2>七、区域评价 Areas</h2>
     <h3>${OBJECT_NAMES_ZH.district}</h3>
     ${objectTable(d.districts, ['reported', 'filed', 'closureDue', 'closed'], ['publicReportRate', 'closureRate', 'onTimeClosureRate'])}
     <h3>${OBJECT_NAMES_ZH.street}</h3>
     ${objectTable(d.streets, ['reported', 'filed', 'closureDue', 'closed'], ['publicReportRate', 'closureRate', 'onTimeClosureRate'])}`,
    `<h2>八、岗位评价 Positions</h2>
     ${d.positions
       .map(
         (p) =>
           `<h3>${OBJECT_NAMES_ZH[p.kind]}</h3>${objectTable(p.objects, POSITION_COLUMNS[p.kind]!.counts, POSITION_COLUMNS[p.kind]!.rates)}`,
       )
       .join('')}`,
    `<h2>九、全市指标 All indicators (city)</h2>
     ${table(
       ['指标', '值'],
       [
         ...Object.entries(c.counts).map(([id, v]) => [
           `${countName(id)} <span class="note">${escapeHtml(id)}</span>`,
           num(v),
         ]),
         ...Object.entries(c.rates).map(([id, r]) => [
           `${rateName(id)} <span class="note">${escapeHtml(id)}</span>`,
           `${pct(r.value)} (${r.numerator}/${r.denominator})`,
         ]),
       ],
     )}
     <p class="note">等级 A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E &lt; 40。指标定义与来源见 GET /api/evaluation/definitions。</p>`,
  ];
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${sections.join('\n')}
</body>
</html>
`;
}
