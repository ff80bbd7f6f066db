/** runelog verify: every line of every journal checked; exit 1 when something is damaged. */
import { Command } from "commander";
import { globals, openTracker, printJson } from "../context.js";
import { plural, style } from "../format.js";
import { Progress } from "../progress.js";

/** What each kind of damage means and what to do about it. */
export const ADVICE: Record<string, string> = {
  "torn-tail":
    "the last line was cut short (a writer crashed mid-append). Harmless: readers ignore it and the next write to this journal repairs it.",
  "bad-checksum":
    "a line's bytes changed after it was written (disk fault or a hand edit). Reads of this journal fail with JournalCorrupted; restore the file from a backup, or open the tracker with { onCorrupt: \"skip\" } to read past the line (its event is lost).",
  "bad-json":
    "a line is not valid JSON (overwritten or hand-edited). Restore the file from a backup, or open the tracker with { onCorrupt: \"skip\" } to read past it.",
  "broken-chain":
    "lines are missing, reordered or inserted here (the hash chain breaks). Restore the journal from a backup; { onCorrupt: \"skip\" } reads on, but events may be missing.",
  "not-a-file":
    "something other than a file (a directory) is where this journal goes. Move it away and restore the journal from a backup; until then every read of it fails with JournalCorrupted.",
  "unknown-event":
    "the event's type or schema version is unknown to this runelog: it was written by a newer version. Upgrade runelog (npm i runelog@latest).",
};

export function verifyCommand(): Command {
  return new Command("verify")
    .description("check every journal line (checksum, JSON, hash chain, event type); exit 1 when any is damaged")
    .action(async (_opts: unknown, command: Command) => {
      const tracker = await openTracker(command);
      const progress = new Progress({ label: "verifying journals", delayMs: 200 });
      let report;
      try {
        report = await tracker.verify();
      } finally {
        progress.stop();
      }
      if (globals(command).json) {
        printJson(report);
      } else {
        const kinds = new Set<string>();
        let events = 0;
        for (const j of report.journals) {
          events += j.events;
          const damaged = j.problems.some((p) => p.kind !== "torn-tail");
          const mark = damaged ? style.red("✗") : j.problems.length ? style.yellow("!") : style.green("✓");
          console.log(`${mark} ${j.file}  ${style.dim(plural(j.events, "event"))}`);
          for (const p of j.problems) {
            kinds.add(p.kind);
            console.log(p.kind === "not-a-file" ? `    ${j.file} ${p.kind}` : `    ${j.file}:${p.line} (offset ${p.offset}) ${p.kind}`);
          }
        }
        const problems = report.journals.reduce((n, j) => n + j.problems.length, 0);
        console.log(`\n${plural(report.journals.length, "journal")}, ${plural(events, "event")}: ${report.ok ? style.green("ok") : style.red(`${plural(problems, "problem")}`)}`);
        for (const kind of kinds) console.log(`  ${style.bold(kind)}: ${ADVICE[kind] ?? "see the docs (docs/concepts.md)"}`);
      }
      if (!report.ok) {
        process.stderr.write(`runelog: verify found damaged journal lines\n`);
        process.exitCode = 1;
      }
    });
}
