/** History and audit: the stored events as one stream (and, with follow, the ones still to come), and verify(). */
import { findLiveExperiment } from "../../projections/index.js";
import { type EventFilter, followEvents, horizonOf, mergedEvents, parseInstant, type VerifyReport, verifyStore } from "../audit.js";
import { ExperimentNotFound, InvalidInput } from "../errors.js";
import type { JournalEvent } from "../events.js";
import type { Position, StreamName } from "../store/types.js";
import * as validate from "../validate.js";
import { type Context, experimentStream } from "./context.js";
import type { EventsQuery } from "./types.js";

export class HistoryApi {
  constructor(private readonly ctx: Context) {}

  /** Stored events in journal order, exactly as stored, streamed (a journal is never loaded whole). */
  events(query?: EventsQuery): AsyncIterable<JournalEvent> {
    const q = validate.optionsObject("query", query);
    const experiment = q.experiment === undefined ? undefined : validate.identifier("experiment", q.experiment);
    const runId = q.runId === undefined ? undefined : validate.identifier("runId", q.runId);
    const since = q.since === undefined ? undefined : parseInstant("since", q.since);
    const until = q.until === undefined ? undefined : parseInstant("until", q.until);
    const follow = q.follow === undefined ? false : validate.boolean("follow", q.follow);
    if (q.signal !== undefined && !(q.signal instanceof AbortSignal)) throw new InvalidInput("signal", "must be an AbortSignal");
    if (q.onCaughtUp !== undefined && typeof q.onCaughtUp !== "function") throw new InvalidInput("onCaughtUp", "must be a function");
    const { signal, onCaughtUp } = q as EventsQuery;
    if (follow && (until !== undefined || this.ctx.past)) throw new InvalidInput("follow", "cannot follow new events up to a fixed moment (until, or a view of the past)");
    const ctx = this.ctx;
    const journals = ctx.store.journals;
    return {
      async *[Symbol.asyncIterator]() {
        await ctx.init();
        const filter: EventFilter = {
          runId,
          since: since && (await horizonOf(journals, since)),
          until: until && (await horizonOf(journals, until)),
        };
        let streams: StreamName[];
        let everyStream = false;
        if (experiment !== undefined) {
          // An audit wants deleted experiments too: a live one by id or name first, then any by id.
          const catalog = await ctx.catalogState();
          const exp = findLiveExperiment(catalog, experiment, "either") ?? catalog.experiments[experiment];
          if (!exp) throw new ExperimentNotFound(experiment);
          streams = [experimentStream(exp.experimentId)];
        } else if (runId !== undefined) {
          const run = await ctx.findRun(runId);
          // A deleted run (or one in a deleted experiment) is in some experiment journal still.
          streams = run ? [experimentStream(run.experimentId), "registry"] : (await journals.list()).filter((s) => s !== "catalog");
        } else {
          streams = await journals.list();
          everyStream = true;
        }
        const ends = new Map<StreamName, Position>();
        // Watching starts before the history is read, so nothing appended meanwhile goes unnoticed.
        const grown = follow ? growthOf(journals.watch.bind(journals)) : null;
        try {
          yield* mergedEvents(journals, streams, filter, ctx.onCorrupt, ctx.horizon, ends);
          if (!grown) return;
          onCaughtUp?.();
          const wanted = everyStream ? () => true : (s: StreamName) => streams.includes(s);
          yield* followEvents(journals, grown.next, wanted, ends, filter, ctx.onCorrupt, signal);
        } finally {
          grown?.stop();
        }
      },
    };
  }

  /** Checks every line of every journal and says exactly where anything is wrong. */
  verify(): Promise<VerifyReport> {
    return verifyStore(this.ctx.store.journals);
  }
}

/** Growth notices collected between reads: `next` waits for at least one (or an abort) and hands over the streams that grew. */
function growthOf(watch: (listener: (s: StreamName) => void) => () => void) {
  let grown = new Set<StreamName>();
  let wake: (() => void) | null = null;
  const stop = watch((stream) => {
    grown.add(stream);
    wake?.();
  });
  const next = async (signal: AbortSignal | undefined): Promise<Set<StreamName>> => {
    if (grown.size === 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          wake = null;
          signal?.removeEventListener("abort", done);
          resolve();
        };
        wake = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    const out = grown;
    grown = new Set();
    return out;
  };
  return { next, stop };
}
