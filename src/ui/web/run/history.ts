/** What a run's own events tell beyond its details: each param's successive values, and where it ran. */
import type { JournalEvent } from "../lib/types";

export interface ParamChange { value: unknown; ts: string; eventId: string }

export function paramHistory(events: JournalEvent[] | undefined): Map<string, ParamChange[]> {
  const out = new Map<string, ParamChange[]>();
  for (const e of events ?? []) {
    if (e.type !== "ParamsLogged") continue;
    for (const [key, value] of Object.entries((e.data.params ?? {}) as Record<string, unknown>)) {
      let list = out.get(key);
      if (!list) out.set(key, (list = []));
      list.push({ value, ts: e.ts, eventId: e.id });
    }
  }
  return out;
}

export interface Process { host: string; pid: number; ts: string; how: "started" | "resumed" }

export function processes(events: JournalEvent[] | undefined): Process[] {
  return (events ?? [])
    .filter((e) => e.type === "RunStarted" || e.type === "RunResumed")
    .map((e) => ({ host: String(e.data.host ?? ""), pid: Number(e.data.pid), ts: e.ts, how: e.type === "RunStarted" ? "started" : "resumed" }));
}

/** Points per metric key counted from the run's MetricsLogged events (when the details carry no history). */
export function pointCounts(events: JournalEvent[] | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events ?? []) {
    if (e.type !== "MetricsLogged") continue;
    for (const key of Object.keys((e.data.metrics ?? {}) as object)) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
