/** What every command shares: the global options, the tracker, errors as one line, confirmations. */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { RuneLog } from "../index.js";
import { experimentStream, storeOf } from "../tracker.js";
import { toJson } from "./format.js";

/** An error the CLI reports as one line (`runelog: <message>`) with exit code 1. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

export interface GlobalOptions {
  path: string;
  json: boolean;
}

/** The global options as seen from any (sub)command. */
export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as { path?: string; json?: boolean };
  return { path: o.path ?? process.env.RUNELOG_PATH ?? ".", json: Boolean(o.json) };
}

/**
 * A tracker on the store under --path. Reading commands refuse a path without a store, rather
 * than creating one there (a mistyped --path should not leave a store behind).
 */
export async function openTracker(cmd: Command, options: { create?: boolean } = {}): Promise<RuneLog> {
  const { path } = globals(cmd);
  const tracker = new RuneLog(path);
  const store = storeOf(tracker);
  if (!options.create && !(await store.exists())) {
    throw new CliError(`no runelog store in ${resolve(path)} (nothing at ${store.location}); pass --path DIR or set RUNELOG_PATH`);
  }
  return tracker;
}

/** How people are shown where an experiment's events live (a journal file, a database stream). */
export function journalOf(tracker: RuneLog, experimentId: string): string {
  return storeOf(tracker).journals.open(experimentStream(experimentId)).name;
}

/** Prints a value as JSON (for --json) on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(toJson(value) + "\n");
}

/**
 * Asks before something destructive. `--yes` skips the question; without a terminal to ask on,
 * refuses (a script must say --yes) instead of waiting for an answer that cannot come.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new CliError(`${question.replace(/\?$/, "")}: refused without confirmation (stdin is not a terminal); pass --yes to confirm`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") throw new CliError("cancelled; nothing was changed");
  } finally {
    rl.close();
  }
}

/** Parses repeated `k=v` options into a record. */
export function keyValues(list: string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new CliError(`${option} expects KEY=VALUE, got ${JSON.stringify(item)}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** This package's version: package.json found by walking up from the running script (no import.meta needed). */
export function packageVersion(): string {
  let dir: string;
  try {
    dir = dirname(realpathSync(process.argv[1] ?? "."));
  } catch {
    dir = process.cwd();
  }
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "runelog" && pkg.version) return pkg.version;
      } catch {
        // not a readable package.json: keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/** A positive integer option. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
    return n;
  };
}
