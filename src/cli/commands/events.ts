/** runelog events [--follow]: the stored events, as they are appended (like tail -f). */
import { Command } from "commander";
import { type JournalEvent, RunNotFound, type RuneLog } from "../../index.js";
import { CliError, globals, openTracker } from "../context.js";
import { formatNumber, formatValue, style, toJson } from "../format.js";
import { findExperiment } from "./experiments.js";

interface EventsOptions {
  experiment?: string;
  run?: string;
  since?: string;
  until?: string;
  type?: string[];
  last?: number;
  follow?: boolean;
}

export function eventsCommand(): Command {
  return new Command("events")
    .description("print the stored events in journal order; --follow keeps printing new ones as they are appended (Ctrl-C stops)")
    .option("-e, --experiment <experiment>", "only this experiment's events (name or id)")
    .option("-r, --run <run>", "only this run's events")
    .option("--since <time>", "only events at or after this time (ISO 8601) or event id")
    .option("--until <time>", "only events at or before this time (ISO 8601) or event id")
    .option("-t, --type <type>", "only events of this type, e.g. MetricsLogged (repeatable)", (v: string, prev: string[] = []) => [...prev, ...v.split(",")])
    .option("-n, --last <n>", "start with only the last n matching events", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new CliError(`--last must be a whole number, got ${JSON.stringify(v)}`);
      return n;
    })
    .option("-f, --follow", "keep running and print events as they are appended")
    .action(async (opts: EventsOptions, command: Command) => {
      if (opts.follow && opts.until) throw new CliError("--follow and --until do not go together");
      const tracker = await openTracker(command);
      const json = globals(command).json;
      const experiment = opts.experiment === undefined ? undefined : (await findExperiment(tracker, opts.experiment)).experimentId;
      if (opts.run !== undefined && !(await tracker.getRun(opts.run))) throw new RunNotFound(opts.run);
      const names = await experimentNames(tracker);
      const types = opts.type ? new Set(opts.type) : null;
      const print = (e: JournalEvent) => process.stdout.write((json ? toJson(e, 0) : describe(e, names)) + "\n");
      const wanted = (e: JournalEvent) => !types || types.has(e.type);
      const query = { experiment, runId: opts.run, since: opts.since, until: opts.until };

      // --last N holds back the stored events until the last N are known; with --follow, new ones print as they come.
      const held: JournalEvent[] = [];
      let caughtUp = false;
      const catchUp = () => {
        held.forEach(print);
        held.length = 0;
        caughtUp = true;
      };
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        for await (const e of tracker.events({ ...query, follow: opts.follow, signal: stop.signal, onCaughtUp: catchUp })) {
          if (e.type === "ExperimentCreated") names.set(e.data.experimentId, e.data.name);
          if (!wanted(e)) continue;
          if (opts.last === undefined || caughtUp) print(e);
          else {
            held.push(e);
            if (held.length > opts.last) held.shift();
          }
        }
        if (!caughtUp) catchUp();
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}

async function experimentNames(tracker: RuneLog): Promise<Map<string, string>> {
  return new Map((await tracker.listExperiments()).map((e) => [e.experimentId, e.name]));
}

/** One event as a line a person can scan: time, type, then what it says. */
export function describe(e: JournalEvent, names: Map<string, string>): string {
  const d = e.data as Record<string, unknown>;
  const run = typeof d.runId === "string" ? `run ${d.runId}` : "";
  let what: string;
  switch (e.type) {
    case "ExperimentCreated":
      what = `experiment ${e.data.experimentId} "${e.data.name}"`;
      break;
    case "ExperimentDeleted":
      what = `experiment ${e.data.experimentId}${names.has(e.data.experimentId) ? ` "${names.get(e.data.experimentId)}"` : ""}`;
      break;
    case "RunStarted":
      what = `${run} in experiment ${e.data.experimentId}${names.has(e.data.experimentId) ? ` "${names.get(e.data.experimentId)}"` : ""} (pid ${e.data.pid} on ${e.data.host})${pairs(e.data.tags)}`;
      break;
    case "RunResumed":
      what = `${run} (pid ${e.data.pid} on ${e.data.host})`;
      break;
    case "RunEnded":
      what = `${run} ${e.data.status}`;
      break;
    case "ParamsLogged":
      what = `${run}${pairs(e.data.params)}`;
      break;
    case "MetricsLogged":
      what = `${run} step ${e.data.step}${pairs(Object.fromEntries(Object.entries(e.data.metrics).map(([k, v]) => [k, typeof v === "number" ? formatNumber(v) : v])))}`;
      break;
    case "TagsSet":
      what = `${run}${pairs(e.data.tags)}`;
      break;
    case "ArtifactLogged":
      what = `${run} "${e.data.name}" (${e.data.size} bytes${e.data.model ? ", model" : ""})`;
      break;
    case "ModelVersionRegistered":
      what = `${e.data.modelName} version ${e.data.version} from run ${e.data.sourceRunId} "${e.data.artifactName}"`;
      break;
    case "ModelTagsSet":
      what = `${e.data.modelName} version ${e.data.version}${pairs(e.data.tags)}`;
      break;
    case "ModelTagsRemoved":
      what = `${e.data.modelName} version ${e.data.version} ${e.data.keys.join(", ")}`;
      break;
    case "ModelAliasSet":
      what = `${e.data.modelName}@${e.data.alias} → version ${e.data.version}`;
      break;
    case "ModelAliasDeleted":
      what = `${e.data.modelName}@${e.data.alias}`;
      break;
    default:
      what = toJson(d, 0);
  }
  return `${style.dim(e.ts)}  ${style.bold(String(e.type).padEnd(22))}  ${what}`;
}

function pairs(record: Record<string, unknown>): string {
  const entries = Object.entries(record);
  return entries.length ? "  " + entries.map(([k, v]) => `${k}=${formatValue(v)}`).join(" ") : "";
}
