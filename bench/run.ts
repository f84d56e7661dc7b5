/**
 * `npm run bench`: every benchmark, each against its ceiling, peer or target measured in the same
 * run, printed as Markdown for docs/PERFORMANCE.md. Arguments pick benches by name
 * (`platform`, `reply`, `heartbeat`, `sse`, `scaleout`, `matrix-wakeup`, `matrix-send`, `queue`, `bot-runner`, `agents`, `agents-http`, `debugger`, `embodiments`); none runs all.
 */
import { machine } from './lib.ts';
import { benchPlatform } from './platform.ts';
import { benchReplyLatency } from './runtime-reply.ts';
import { benchHeartbeats } from './runtime-heartbeat.ts';
import { benchSse } from './runtime-sse.ts';
import { benchScaleout } from './runtime-scaleout.ts';
import { benchWakeup } from './matrix-wakeup.ts';
import { benchSend } from './matrix-send.ts';
import { benchQueue } from './queue.ts';
import { benchBotRunner } from './bot-runner.ts';
import { benchAgents } from './agents.ts';
import { benchAgentsHttp } from './agents-http.ts';
import { benchDebugger } from './debugger.ts';
import { benchEmbodiments } from './embodiments.ts';

const pick = process.argv.slice(2);
const want = (name: string) => pick.length === 0 || pick.includes(name);
const f = (n: number, d = 1) => n.toFixed(d);
const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

console.log(`# Orrery bench — ${new Date().toISOString()} — ${await machine()}\n`);

if (want('platform')) {
  const { rows, healthRatio, loginRatio } = await benchPlatform();
  console.log('## Platform: /health and login against a bare Fastify route (ceiling)\n');
  console.log('| benchmark | req/s | p50 ms | p99 ms | errors | non-2xx | ratio to ceiling |\n|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.name} | ${f(r.rps, 0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${f(r.rps / rows[0]!.rps, 3)} |`);
  console.log(`\nratio /health : ceiling = ${f(healthRatio, 3)}; login : ceiling = ${f(loginRatio, 4)}\n`);
}
if (want('reply')) {
  const rows = await benchReplyLatency();
  console.log('## (a) Trigger → reply latency, `orrery connect` with the echo model\n');
  console.log('| mode | samples | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.mode} | ${r.samples} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} |`);
  console.log(`\ntarget stream p50 ≤ 20 ms: ${verdict(rows[0]!.p50 <= 20)}; stream is ${f(rows[1]!.p50 / rows[0]!.p50, 0)}× faster than the original's 5 s poll at p50\n`);
}
if (want('heartbeat')) {
  const rows = await benchHeartbeats();
  const r = rows[1]!;
  console.log('## (b) Heartbeat throughput\n');
  console.log('| server | bots | connections | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows) console.log(`| ${x.name} | ${x.bots} | ${x.connections} | ${f(x.rps, 0)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} |`);
  console.log(`\ntarget ≥ 5000 heartbeats/s: ${verdict(r.rps >= 5000 && r.errors + r.non2xx === 0)}; ratio to ceiling ${f(r.rps / rows[0]!.rps, 3)}\n`);
}
if (want('sse')) {
  const rows = await benchSse();
  const r = rows[1]!;
  console.log('## (c) Shared space over SSE\n');
  console.log('| server | readers | msgs/s | messages | deliveries / expected | p50 ms | p99 ms | max ms | server CPU s | post p50 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows) console.log(`| ${x.name} | ${x.readers} | ${x.rate} | ${x.messages} | ${x.deliveries} / ${x.expected} | ${f(x.p50)} | ${f(x.p99)} | ${f(x.max)} | ${f(x.serverCpuS)} | ${f(x.postP50)} |`);
  console.log(`\ntarget p99 ≤ 100 ms: ${verdict(r.p99 <= 100 && r.deliveries === r.expected)}; Orrery p99 is ${f(r.p99 / rows[0]!.p99, 1)}× the ceiling's\n`);
}
if (want('scaleout')) {
  const rows = await benchScaleout();
  console.log('## (d) Scale-out: two instances on one PostgreSQL database\n');
  if (!rows) console.log('PostgreSQL not reachable (BENCH_PG_URL); skipped.\n');
  else {
    console.log('| path | deliveries / expected | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.path} | ${r.deliveries} / ${r.expected} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} |`);
    console.log(`\nacross instances adds ${f(rows[1]!.p50 - rows[0]!.p50)} ms at p50 over the same instance\n`);
  }
}
if (want('matrix-wakeup')) {
  const rows = await benchWakeup();
  const r = rows[1]!;
  console.log(`## (e) Matrix \`/sync\` wake-up, send → another client's long-poll answers, ${r.idle} idle syncing clients\n`);
  console.log('| server | idle | stagger s | rounds | p50 ms | p99 ms | max ms | send p50 ms | spurious | idle early | idle re-polls | server CPU s | PostgreSQL CPU s | others’ CPU s | setup s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows) {
    console.log(`| ${x.name} | ${x.idle} | ${f(x.staggerMs / 1000, 0)} | ${x.rounds} | ${f(x.p50)} | ${f(x.p99)} | ${f(x.max)} | ${f(x.sendP50)} | ${x.spurious} | ${x.idleEarly} | ${x.idleRepolls} | ${f(x.serverCpuS)} | ${f(x.postgresCpuS)} | ${f(x.otherCpuS)} | ${f(x.setupS)} |`);
  }
  console.log(`\ntarget p50 ≤ 10 ms: ${verdict(r.p50 <= 10)}; p99 ≤ 100 ms: ${verdict(r.p99 <= 100)}; Orrery p50 is ${f(r.p50 / rows[0]!.p50, 1)}× the ceiling's\n`);
}
if (want('matrix-send')) {
  const rows = await benchSend();
  console.log('## (f) Matrix send throughput, members long-polling `/sync`\n');
  console.log('| database | members | polling | senders | events/s | p50 ms | p99 ms | errors | sync answers/s | caught up | server CPU s | server CPU ms/event | PostgreSQL CPU s | others’ CPU s | ceiling: GET /versions req/s (p50 ms) | ceiling: store insertEvents alone, events/s (p50 ms) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of rows) {
    console.log(`| ${x.database} | ${x.members} | ${x.polling} | ${x.senders} | ${f(x.eventsPerS, 0)} | ${f(x.p50)} | ${f(x.p99)} | ${x.errors} | ${f(x.syncAnswersPerS, 0)} | ${x.caughtUp} | ${f(x.serverCpuS)} | ${f(x.cpuMsPerEvent, 2)} | ${f(x.postgresCpuS)} | ${f(x.otherCpuS)} | ${f(x.trivialPerS, 0)} (${f(x.trivialP50)}) | ${f(x.storePerS, 0)} (${f(x.storeP50)}) |`);
  }
  for (const x of rows) {
    const target = x.database === 'SQLite' ? 2000 : 1500;
    console.log(`\n${x.database}: target ≥ ${target} events/s: ${verdict(x.eventsPerS >= target && x.errors === 0)}; ratio to GET /versions ${f(x.eventsPerS / x.trivialPerS, 3)}, to the store alone ${f(x.eventsPerS / x.storePerS, 3)}${x.firstError ? `; first error: ${x.firstError}` : ''}`);
  }
  console.log('');
}
if (want('queue')) {
  const rows = await benchQueue();
  console.log('## (g) Queue: enqueue → handler start latency and throughput, against the raw libraries\n');
  console.log('| system | database | latency samples | p50 ms | p99 ms | jobs × rounds | jobs/s, median (range) |\n|---|---|---:|---:|---:|---:|---:|');
  for (const x of rows) {
    console.log(x.skipped ? `| ${x.system} | ${x.database} | skipped: ${x.skipped} | | | | |` : `| ${x.system} | ${x.database} | ${x.samples} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${x.jobs} × ${x.rounds} | ${f(x.jobsPerS, 0)} (${f(x.jobsPerSRange[0], 0)}–${f(x.jobsPerSRange[1], 0)}) |`);
  }
  const embedded = rows.find((x) => x.database === 'SQLite');
  const adapter = rows.find((x) => x.system.includes('PostgreSQL adapter'));
  const graphile = rows.find((x) => x.system.includes('Graphile'));
  console.log('');
  if (embedded) console.log(`target embedded ≥ 2000 jobs/s: ${verdict(embedded.jobsPerS >= 2000)}`);
  if (adapter && graphile && !adapter.skipped) {
    // Round by round (the two ran back to back): the machine's load changes less within a round.
    const ratios = adapter.jobsPerSByRound.map((r, k) => r / graphile.jobsPerSByRound[k]!);
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
    console.log(`target PostgreSQL adapter ≥ 80 % of raw Graphile Worker: ${verdict(median >= 0.8)} (median of the rounds' ratios ${f(100 * median, 0)} %; per round ${ratios.map((r) => `${f(100 * r, 0)} %`).join(', ')})`);
  }
  console.log('');
}
if (want('bot-runner')) {
  const rows = await benchBotRunner();
  console.log('## (h) Bot runner: trigger → job start and trigger → reply, `orrery bot-runner` against Orrery\n');
  console.log('| database | queue adapter | triggers | answered | trigger → job start p50 ms | p99 ms | trigger → reply p50 ms | p99 ms |\n|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.database} | ${r.adapter} | ${r.triggers} | ${r.answered} | ${f(r.startP50)} | ${f(r.startP99)} | ${f(r.replyP50)} | ${f(r.replyP99)} |`);
  const embedded = rows.find((r) => r.adapter === 'embedded');
  if (embedded) console.log(`\ntarget trigger → reply p50 ≤ 50 ms on the embedded adapter: ${verdict(embedded.replyP50 <= 50)}\n`);
}
if (want('agents')) {
  const { rows, perComponent, throughput, kind, unavailable } = await benchAgents();
  console.log(`## (i) Agents: the same \`.smyth\` agent on SmythOS's engine (SRE) and on Orrery, in-process (generated agents: ${kind})\n`);
  if (unavailable) console.log(`${unavailable}: SRE rows skipped.\n`);
  console.log('| agent | components | engine | runs | median ms | p90 ms | CPU ms/run | same answer as SRE |\n|---|---:|---|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(r.skipped ? `| ${r.agent} | ${r.components} | ${r.engine} | skipped: ${r.skipped} | | | | |` : `| ${r.agent} | ${r.components} | ${r.engine} | ${r.runs} | ${f(r.median, 3)} | ${f(r.p90, 3)} | ${f(r.cpuMs, 3)} | ${r.sameAnswer ? 'yes' : 'NO'} |`);
  }
  for (const r of rows.filter((x) => x.answer)) console.log(`\n${r.engine} on ${r.agent} answered otherwise: ${r.answer}`);
  if (perComponent.length) {
    console.log('\n| engine | shape | N | µs per component (slope against chain-0) |\n|---|---|---:|---:|');
    for (const p of perComponent) console.log(`| ${p.engine} | ${p.shape} | ${p.n} | ${f(p.us, 1)} |`);
  }
  if (throughput.length) {
    console.log('\n| linear-utility, engine | calls in flight | runs/s |\n|---|---:|---:|');
    for (const t of throughput) console.log(`| ${t.engine} | ${t.inFlight} | ${f(t.runsPerS, 1)} |`);
  }
  const row = (agent: string, engine: string) => rows.find((r) => r.agent === agent && r.engine.startsWith(engine) && !r.skipped);
  const orrery = row('linear-utility', 'Orrery');
  const best = row('linear-utility', 'SRE best case');
  console.log('');
  if (orrery && best) console.log(`target linear-utility ≥ 10× faster than SRE's best case in the same run: ${verdict(best.median / orrery.median >= 10 && orrery.sameAnswer)} (${f(best.median / orrery.median, 1)}×)`);
  for (const p of perComponent.filter((x) => x.engine === 'Orrery')) console.log(`target ≤ 50 µs per component call (${p.shape}-${p.n}): ${verdict(p.us <= 50)} (${f(p.us, 1)} µs)`);
  console.log('');
}
if (want('agents-http')) {
  const r = await benchAgentsHttp();
  console.log(`## Agents over HTTP: linear-utility.smyth at POST /api/pipe (${r.database}), ${Number(process.env.BENCH_CONNECTIONS ?? 32)} connections\n`);
  console.log('| server | runs/s | server CPU µs/run | p50 ms | p99 ms | errors | non-2xx | ratio to ceiling |\n|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of r.rows) console.log(`| ${x.name} | ${f(x.rps, 0)} | ${f(x.cpuUsPerRequest, 0)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} | ${f(x.rps / r.rows[0]!.rps, 3)} |`);
  console.log(`\none call at a time: p50 ${f(r.serial.p50, 2)} ms, p90 ${f(r.serial.p90, 2)} ms over ${r.serial.runs} calls`);
  const orrery = r.rows[1]!;
  const sre = r.rows[2];
  if (sre) console.log(`Orrery over HTTP: ${f(orrery.rps / sre.rps, 0)}× SmythOS's engine's runs/s, p50 ${f(sre.p50 / Math.max(orrery.p50, 1), 0)}× lower`);
  console.log(`target ≥ 2,000 runs/s over HTTP: ${verdict(orrery.rps >= 2000 && orrery.errors + orrery.non2xx === 0)}\n`);
}
if (want('debugger')) {
  const r = await benchDebugger();
  console.log(`## Debugger: a step's round trip against plain calls; monitor overhead (${r.database}, one client at a time)\n`);
  console.log('| variant | calls | p50 ms | p99 ms |\n|---|---:|---:|---:|');
  for (const row of r.steps) console.log(`| ${row.name} | ${row.calls} | ${f(row.p50, 2)} | ${f(row.p99, 2)} |`);
  console.log(`\nstep p50 ÷ plain one-wave p50 = ${f(r.stepRatio, 2)} (target ≤ 2): ${verdict(r.stepRatio <= 2)}\n`);
  console.log('| monitors attached | calls | p50 ms | p99 ms | component events a monitor read / expected |\n|---:|---:|---:|---:|---:|');
  for (const row of r.monitors) console.log(`| ${row.monitors} | ${row.calls} | ${f(row.p50, 2)} | ${f(row.p99, 2)} | ${row.eventsPerMonitor} / ${row.eventsExpected} |`);
  console.log(`\n10 monitors add ${f(r.monitorOverhead * 100, 1)} % at p50 (target ≤ 20 %): ${verdict(r.monitorOverhead <= 0.2)}\n`);
}
if (want('embodiments')) {
  const r = await benchEmbodiments();
  console.log(`## Embodiments: OpenAI-compatible chat and MCP tools/call against a direct skill call (${r.database}, echo model, one client at a time)\n`);
  console.log('| variant | calls | p50 ms | p99 ms |\n|---|---:|---:|---:|');
  for (const row of r.rows) console.log(`| ${row.name} | ${row.calls} | ${f(row.p50, 2)} | ${f(row.p99, 2)} |`);
  console.log(`\nchat completions p50 ÷ direct p50 = ${f(r.chatRatio, 2)} (target ≤ 1.5): ${verdict(r.chatRatio <= 1.5)}`);
  console.log(`MCP tools/call p50 ÷ direct p50 = ${f(r.mcpRatio, 2)} (target ≤ 1.5): ${verdict(r.mcpRatio <= 1.5)}`);
  console.log(`streaming time to first byte p50 ÷ direct p50 = ${f(r.ttfbRatio, 2)} (target ≤ 1.5): ${verdict(r.ttfbRatio <= 1.5)}\n`);
}
