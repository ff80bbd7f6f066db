/** The runelog command line: the program, its commands, and errors as one readable line. */
import { Command, CommanderError } from "commander";
import { RuneLogError } from "../index.js";
import { experimentsCommand } from "./commands/experiments.js";
import { eventsCommand } from "./commands/events.js";
import { registryCommand } from "./commands/registry.js";
import { runsCommand } from "./commands/runs.js";
import { sweepCommand } from "./commands/sweep.js";
import { uiCommand } from "./commands/ui.js";
import { verifyCommand } from "./commands/verify.js";
import { CliError, packageVersion } from "./context.js";

export function buildProgram(): Command {
  const program = new Command("runelog")
    .description("runelog: an event-sourced, append-only experiment tracker. Inspect experiments, runs and models; run sweeps.")
    .version(packageVersion(), "-V, --version", "print the runelog version")
    .option("-p, --path <dir>", "folder holding the .runelog/ store (default: $RUNELOG_PATH, else .)")
    .option("--json", "print JSON for scripts instead of tables")
    .addCommand(experimentsCommand())
    .addCommand(runsCommand())
    .addCommand(registryCommand())
    .addCommand(verifyCommand())
    .addCommand(eventsCommand())
    .addCommand(sweepCommand())
    .addCommand(uiCommand())
    .addHelpText(
      "after",
      `
Examples:
  runelog experiments list
  runelog runs list logreg-demo --sort metrics.val_accuracy --desc
  runelog runs compare RUN_A RUN_B
  runelog events --follow
  runelog sweep examples/sweep.json

Every command takes --help. Docs: docs/cli.md`,
    );
  configure(program);
  return program;
}

/** Every command: errors through our handler (one line), help shows the global options too. */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.showSuggestionAfterError(true);
  cmd.configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  cmd.configureOutput({ outputError: () => {} }); // reported by run() as one line
  for (const sub of cmd.commands) configure(sub);
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    return report(err);
  }
}

/** One line on stderr, never a stack trace (RUNELOG_DEBUG=1 shows it, for bug reports). */
export function report(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version "exit" through here too, with code 0.
    if (err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.version") return err.exitCode;
    if (err.code === "commander.help") return 1; // a command with subcommands but none given: its help went to stderr
    process.stderr.write(`runelog: ${commanderMessage(err.message)}\n`);
    return err.exitCode || 1;
  }
  if (err instanceof CliError) {
    process.stderr.write(`runelog: ${err.message}\n`);
    return err.exitCode;
  }
  if (err instanceof RuneLogError) {
    process.stderr.write(`runelog: ${oneLine(err.message)}\n`);
  } else {
    const e = err as NodeJS.ErrnoException;
    const message = e?.code && e.path ? `${e.code === "ENOENT" ? "no such file or folder" : e.code === "EACCES" ? "permission denied" : e.code}: ${e.path}` : oneLine(e?.message ?? String(err));
    process.stderr.write(`runelog: ${message}${process.env.RUNELOG_DEBUG ? "" : " (set RUNELOG_DEBUG=1 for details)"}\n`);
  }
  if (process.env.RUNELOG_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
  return 1;
}

/** "error: unknown command 'rus'\n(Did you mean runs?)" → "unknown command 'rus' (did you mean runs?)" */
function commanderMessage(message: string): string {
  return oneLine(message.replace(/^error: /, "").replace(/\(Did you mean/g, "(did you mean"));
}

function oneLine(text: string): string {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join(" ");
}
