#!/usr/bin/env node
// 场景验证命令 `npm run scenario -- <name> [--url … --mqtt … --admin-token …]` or `--embedded`: plays detection scenarios
// with injected violations against a running (or a freshly started, built) hub and prints precision and recall per
// rule kind; exit 1 when a violation was missed or a false candidate appeared. `--help` for the options.
import { parseScenarioArgs, SCENARIO_USAGE, UsageError } from './scenarios/args.js';
import { startEmbeddedHub, type EmbeddedHub } from './scenarios/embedded-hub.js';
import { SCENARIOS, scenarioByName } from './scenarios/index.js';
import { runScenario, scheduleStarts, type HubEndpoints, type RunResult } from './scenarios/runner.js';
import { formatScore } from './scenarios/score.js';

let command;
try {
  command = parseScenarioArgs(
    process.argv.slice(2),
    process.env,
    SCENARIOS.map((s) => s.name),
  );
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`error: ${err.message}\nRun with --help for usage.\n`);
  process.exit(err.exitCode);
}
if (command.kind === 'help') {
  process.stdout.write(SCENARIO_USAGE);
  process.exit(0);
}
if (command.kind === 'list') {
  for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(24)} ${s.summary}\n`);
  process.exit(0);
}

const say = (line: string) => {
  if (!command.json) process.stdout.write(`${line}\n`);
};
const scenarios = command.names.map((n) => scenarioByName(n)!);
let embedded: EmbeddedHub | undefined;
const results: RunResult[] = [];
let exitCode = 0;
try {
  let hub: HubEndpoints;
  if (command.embedded) {
    say('starting the built hub (dist/hub/main.js) with a temporary DATA_DIR …');
    embedded = await startEmbeddedHub();
    hub = embedded.hub;
  } else {
    hub = { httpUrl: command.httpUrl, mqttUrl: command.mqttUrl, adminToken: command.adminToken!, jt808: command.jt808 };
  }
  const starts =
    command.startMs === null
      ? scheduleStarts(scenarios, Date.now(), command.timeZone)
      : scenarios.reduce<number[]>((acc, s, i) => {
          acc.push(i === 0 ? command.startMs! : acc[i - 1]! + scenarios[i - 1]!.durationMs + 5 * 60_000);
          return acc;
        }, []);
  for (const [i, scenario] of scenarios.entries()) {
    const result = await runScenario(scenario, {
      hub,
      startMs: starts[i]!,
      timeZone: command.timeZone,
      keep: command.keep,
      log: say,
      ...(command.playSeconds !== null ? { playSeconds: command.playSeconds } : {}),
    });
    results.push(result);
    say(formatScore(scenario.name, result.score));
    for (const r of result.rejections.slice(0, 10)) say(`  REFUSED by the hub: ${r}`);
    if (!result.passed) exitCode = 1;
  }
} catch (err) {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  if (embedded) process.stderr.write(`hub output (last 3000 characters):\n${embedded.output().slice(-3000)}\n`);
  exitCode = 3;
} finally {
  await embedded?.stop();
}
if (command.json) {
  process.stdout.write(
    `${JSON.stringify(
      results.map((r) => ({
        scenario: r.scenario,
        runId: r.runId,
        start: new Date(r.startMs).toISOString(),
        end: new Date(r.endMs).toISOString(),
        devices: r.devices,
        observations: r.observations,
        passed: r.passed,
        kinds: r.score.kinds,
        missed: r.score.matches.filter((m) => !m.candidate).map((m) => m.violation),
        unmatched: r.score.unmatched,
        rejections: r.rejections,
      })),
      null,
      2,
    )}\n`,
  );
} else if (results.length > 1) {
  say(`\n${results.filter((r) => r.passed).length}/${results.length} scenarios passed`);
}
process.exit(exitCode);
