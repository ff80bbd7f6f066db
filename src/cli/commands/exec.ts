/** runelog exec / runelog ingest: any program logs by printing JSON lines (docs/any-language.md). */
import { createReadStream, statSync } from "node:fs";
import { Command } from "commander";
import { execCommand as runExec } from "../../interop/exec.js";
import { ingestLines } from "../../interop/ingest.js";
import { CliError, collect, globals, keyValues, openTracker, printJson } from "../context.js";

const warn = (message: string) => void process.stderr.write(message + "\n");

export function execCommand(): Command {
  return new Command("exec")
    .description("run COMMAND as a run: its JSON-lines records are logged, every other output line is shown as it is")
    .usage("[--experiment NAME] [--tag KEY=VALUE]… -- COMMAND [ARG…]")
    .option("-e, --experiment <name>", "experiment to log into (created when missing; default: Default)")
    .option("-t, --tag <key=value>", "tag the run (repeatable)", collect)
    .argument("<command...>", "the command and its arguments (put them after --)")
    .addHelpText("after", `\nExample:\n  runelog exec --experiment py -- python3 examples/train.py\n\nA line like {"metrics": {"loss": 0.3}, "step": 1} is logged; see docs/any-language.md.`)
    .action(async (command: string[], opts: { experiment?: string; tag?: string[] }, cmd: Command) => {
      const tracker = await openTracker(cmd, { create: true });
      const result = await runExec(tracker, command, {
        ...(opts.experiment !== undefined ? { experimentName: opts.experiment } : {}),
        tags: keyValues(opts.tag, "--tag"),
        warn,
      });
      process.exitCode = result.exitCode;
    });
}

export function ingestCommand(): Command {
  return new Command("ingest")
    .description("log JSON-lines records from FILE (or standard input) into a new run, or into an existing one with --run")
    .option("-e, --experiment <name>", "experiment of the new run (created when missing; default: Default)")
    .option("-r, --run <runId>", "log into this existing run and leave its status alone")
    .argument("[file]", "a file of JSON lines; standard input when omitted or -")
    .action(async (file: string | undefined, opts: { experiment?: string; run?: string }, cmd: Command) => {
      if (opts.run !== undefined && opts.experiment !== undefined) throw new CliError("--experiment and --run cannot be used together (the run already has its experiment)");
      if (file !== undefined && file !== "-" && !statSync(file, { throwIfNoEntry: false })?.isFile()) throw new CliError(`no such file: ${file}`);
      const tracker = await openTracker(cmd, { create: opts.run === undefined });
      const input = file === undefined || file === "-" ? process.stdin : createReadStream(file);
      const result = await ingestLines(tracker, input, {
        ...(opts.experiment !== undefined ? { experimentName: opts.experiment } : {}),
        ...(opts.run !== undefined ? { runId: opts.run } : {}),
        warn,
      });
      if (globals(cmd).json) printJson({ runId: result.runId, ...result.feed });
      else process.stderr.write(`runelog: ${result.feed.records - result.feed.rejected} of ${result.feed.records} records logged into run ${result.runId}\n`);
      if (result.feed.rejected) process.exitCode = 1;
    });
}
