/**
 * `npm run bench` (or `node dist/bench/run.js [--quick] [ingest|replay|tail|results|search …]`).
 * Runs every benchmark (or the ones named), prints one JSON object per benchmark on stdout, writes
 * each to bench/results/<name>-<timestamp>.json, and ends with a table: each ratio beside its target.
 * BENCH_QUICK=1 or --quick shrinks every size about 10× for a smoke run. Progress goes to stderr.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { ingestBench } from "./ingest.js";
import { type BenchResult, BENCH_DIR, log, machine, now, QUICK, sizes } from "./lib.js";
import { buildReplayStore, replayBench } from "./replay.js";
import { resultsBench } from "./results.js";
import { searchBench } from "./search.js";
import { tailBench } from "./tail.js";
import { uiServerBench } from "./ui-server.js";

const ALL = ["ingest", "replay", "tail", "results", "search", "ui-server"] as const;
type Name = (typeof ALL)[number];

async function main(): Promise<void> {
  const asked = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  for (const a of asked) if (!ALL.includes(a as Name)) throw new Error(`unknown benchmark ${a}; choose from ${ALL.join(", ")}`);
  const selected = (asked.length > 0 ? asked : ALL) as readonly Name[];
  const t0 = now();
  const load = loadavg().map((x) => Math.round(x * 100) / 100);
  log(`${QUICK ? "QUICK" : "full"} run of ${selected.join(", ")} on ${machine().cpuCount} × ${machine().cpuModel}, load average ${load.join(" ")}`);
  // dist/bench → <repo>/bench/results
  const outDir = resolve(BENCH_DIR, "..", "..", "bench", "results");
  mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const results: BenchResult[] = [];
  const record = (r: BenchResult) => {
    r.machine.loadAverageAtStart = load;
    results.push(r);
    process.stdout.write(JSON.stringify(r) + "\n");
    writeFileSync(join(outDir, `${r.bench}${QUICK ? "-quick" : ""}-${stamp}.json`), JSON.stringify(r, null, 2) + "\n");
  };

  if (selected.includes("ingest")) record(await ingestBench());
  if (selected.includes("replay") || selected.includes("tail")) {
    log(`replay: building a ${sizes.replayEvents.toLocaleString("en")}-event journal (${sizes.replayRuns} runs)`);
    const store = await buildReplayStore(sizes.replayEvents, sizes.replayRuns);
    try {
      log(`replay: ${store.events.toLocaleString("en")} events, ${(store.bytes / 2 ** 20).toFixed(1)} MB in ${(store.buildMs / 1000).toFixed(1)} s`);
      if (selected.includes("replay")) record(await replayBench(store));
      if (selected.includes("tail")) record(await tailBench(store));
    } finally {
      store.remove();
    }
  }
  if (selected.includes("results")) record(await resultsBench());
  if (selected.includes("search")) record(await searchBench());
  if (selected.includes("ui-server")) record(await uiServerBench());

  printTable(results, (now() - t0) / 1000, outDir);
}

function printTable(results: BenchResult[], seconds: number, outDir: string): void {
  const rows = results.flatMap((r) => r.checks);
  const head = ["bench", "what", "measured", "target", ""];
  const cells = rows.map((c) => [c.bench, c.what, c.measured, c.target, c.target === "(info)" ? "" : c.pass ? "✓" : "✗"]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const m = machine();
  const out = [
    "",
    `runelog benchmarks${QUICK ? " (QUICK: sizes ÷10, not comparable with the targets' sizes)" : ""} — ${m.cpuCount} × ${m.cpuModel}, node ${m.node}, ${(m.totalMemoryMB / 1024).toFixed(1)} GB, load average at start ${results[0]?.machine.loadAverageAtStart?.join(" ") ?? "?"}`,
    line(head),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map(line),
    "",
    `${rows.filter((c) => c.target !== "(info)" && c.pass).length}/${rows.filter((c) => c.target !== "(info)").length} targets met in ${seconds.toFixed(0)} s; JSON in ${outDir}`,
    "",
  ];
  process.stdout.write(out.join("\n"));
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
