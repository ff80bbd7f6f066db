/**
 * A sweep's config (YAML or JSON) and the trials it makes. Grid lists are tried exhaustively;
 * random ranges are drawn `trials` times (with a seed, so a config always makes the same trials);
 * with both, every draw is combined with every grid point (Ray Tune's grid × num_samples).
 */
import { seededRandom } from "../../random.js";
import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { CliError } from "../context.js";

export type Goal = "maximize" | "minimize";

export interface RandomRange {
  min: number;
  max: number;
  /** Draw uniformly on a log scale (min > 0). */
  log?: boolean;
  /** Draw whole numbers in [min, max]. */
  int?: boolean;
}

export type ParamSpec = { kind: "grid"; values: unknown[] } | { kind: "range"; range: RandomRange } | { kind: "fixed"; value: unknown };

export interface SweepConfig {
  /** Experiment (name) every trial's run goes into; created when missing. */
  experiment: string;
  /** The trial command: an argv array (run directly) or a string (run by the shell). */
  command: string[] | string;
  /** Folder the command runs in: absolute, from the config's `cwd` (relative to the config file), else the current folder. */
  cwd: string;
  params: Record<string, ParamSpec>;
  /** Random draws (default 1). */
  trials: number;
  seed: number;
  /** Trials running at once (default: 4, at most the number of trials). */
  workers: number;
  metric?: string;
  goal: Goal;
  /** How many best runs to print at the end (default 5). */
  top: number;
}

const KEYS = ["experiment", "command", "cwd", "params", "trials", "seed", "workers", "metric", "goal", "top"];

export async function loadSweepConfig(file: string): Promise<SweepConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CliError(`cannot read sweep config ${file}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(`sweep config ${file} is not valid ${extname(file).toLowerCase() === ".json" ? "JSON" : "YAML"}: ${(err as Error).message.split("\n")[0]}`);
  }
  return parseSweepConfig(raw, file, dirname(resolve(file)));
}

/** Checks a parsed config and fills in defaults; every problem names the key. */
export function parseSweepConfig(raw: unknown, source = "sweep config", configDir = process.cwd()): SweepConfig {
  const bad = (key: string, problem: string) => new CliError(`invalid ${source}: ${key} ${problem}`);
  if (!isPlainObject(raw)) throw bad("(top level)", "must be an object with experiment, command and params");
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) throw bad(k, `is not a sweep setting (settings: ${KEYS.join(", ")})`);

  if (typeof raw.experiment !== "string" || raw.experiment.trim() === "") throw bad("experiment", "must be an experiment name");
  let command: string[] | string;
  if (typeof raw.command === "string" && raw.command.trim() !== "") command = raw.command;
  else if (Array.isArray(raw.command) && raw.command.length > 0 && raw.command.every((a) => typeof a === "string")) command = raw.command as string[];
  else throw bad("command", 'must be a command line (a string run by the shell) or an argv list like ["node", "trial.js"]');

  if (raw.cwd !== undefined && (typeof raw.cwd !== "string" || raw.cwd === "")) throw bad("cwd", "must be a folder (relative to the config file)");
  const cwd = raw.cwd === undefined ? process.cwd() : resolve(configDir, raw.cwd);

  if (!isPlainObject(raw.params) || Object.keys(raw.params).length === 0) throw bad("params", "must map each parameter name to a list (grid), a range {min, max} or a value");
  const params: Record<string, ParamSpec> = {};
  for (const [name, spec] of Object.entries(raw.params)) params[name] = paramSpec(spec, `params.${name}`, bad);

  const trials = raw.trials === undefined ? 1 : positiveInt(raw.trials, "trials", bad);
  const seed = raw.seed === undefined ? 0 : integer(raw.seed, "seed", bad);
  const workers = raw.workers === undefined ? 4 : positiveInt(raw.workers, "workers", bad);
  if (raw.metric !== undefined && (typeof raw.metric !== "string" || raw.metric === "")) throw bad("metric", "must be a metric name");
  const goal = raw.goal === undefined ? "maximize" : raw.goal;
  if (goal !== "maximize" && goal !== "minimize") throw bad("goal", 'must be "maximize" or "minimize"');
  const top = raw.top === undefined ? 5 : positiveInt(raw.top, "top", bad);
  return { experiment: raw.experiment, command, cwd, params, trials, seed, workers, metric: raw.metric as string | undefined, goal, top };
}

function paramSpec(spec: unknown, key: string, bad: (k: string, p: string) => CliError): ParamSpec {
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw bad(key, "is an empty list: give at least one value");
    return { kind: "grid", values: spec };
  }
  if (isPlainObject(spec) && ("min" in spec || "max" in spec)) {
    for (const k of Object.keys(spec)) if (!["min", "max", "log", "int"].includes(k)) throw bad(`${key}.${k}`, "is not a range setting (min, max, log, int)");
    const { min, max, log, int } = spec;
    if (typeof min !== "number" || !Number.isFinite(min)) throw bad(`${key}.min`, "must be a number");
    if (typeof max !== "number" || !Number.isFinite(max)) throw bad(`${key}.max`, "must be a number");
    if (min > max) throw bad(key, `has min ${min} above max ${max}`);
    if (log !== undefined && typeof log !== "boolean") throw bad(`${key}.log`, "must be true or false");
    if (int !== undefined && typeof int !== "boolean") throw bad(`${key}.int`, "must be true or false");
    if (log && min <= 0) throw bad(key, "is a log range, so min must be above 0");
    if (int && Math.ceil(min) > Math.floor(max)) throw bad(key, "is an int range with no whole number between min and max");
    return { kind: "range", range: { min, max, log: Boolean(log), int: Boolean(int) } };
  }
  if (isPlainObject(spec)) throw bad(key, "must be a list (grid), a range {min, max, log?, int?}, or a single value");
  return { kind: "fixed", value: spec };
}

/** Every trial's params, in a fixed order: grid points in order, each with its random draws. */
export function expandTrials(config: Pick<SweepConfig, "params" | "trials" | "seed">): Array<Record<string, unknown>> {
  const names = Object.keys(config.params);
  let grid: Array<Record<string, unknown>> = [{}];
  for (const name of names) {
    const spec = config.params[name]!;
    if (spec.kind !== "grid") continue;
    grid = grid.flatMap((point) => spec.values.map((v) => ({ ...point, [name]: v })));
  }
  const random = seededRandom(config.seed);
  const out: Array<Record<string, unknown>> = [];
  for (const point of grid) {
    for (let draw = 0; draw < config.trials; draw++) {
      const params: Record<string, unknown> = {};
      for (const name of names) {
        const spec = config.params[name]!;
        params[name] = spec.kind === "grid" ? point[name] : spec.kind === "fixed" ? spec.value : sample(spec.range, random);
      }
      out.push(params);
    }
  }
  return out;
}

export function sample(range: RandomRange, random: () => number): number {
  const { min, max, log, int } = range;
  if (int) {
    if (log) {
      const lo = Math.log(Math.ceil(min) - 0.5); // min > 0, so ceil(min) >= 1
      const hi = Math.log(Math.floor(max) + 0.5);
      return clamp(Math.round(Math.exp(lo + random() * (hi - lo))), Math.ceil(min), Math.floor(max));
    }
    const lo = Math.ceil(min);
    return lo + Math.floor(random() * (Math.floor(max) - lo + 1));
  }
  const value = log ? Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))) : min + random() * (max - min);
  return clamp(Number(value.toPrecision(12)), min, max); // 12 digits: readable in tables, far finer than any sweep needs
}


function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function positiveInt(v: unknown, key: string, bad: (k: string, p: string) => CliError): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw bad(key, `must be a whole number of at least 1, got ${JSON.stringify(v)}`);
  return v;
}

function integer(v: unknown, key: string, bad: (k: string, p: string) => CliError): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw bad(key, `must be a whole number, got ${JSON.stringify(v)}`);
  return v;
}
