/**
 * One EventSource for the whole page (GET /api/stream). The browser's own reconnect sends
 * Last-Event-ID, so the server resumes without a gap or a duplicate; if the stream is closed for
 * good, a new one is opened with ?lastEventId= (the same resume); with no event seen yet, every
 * subscriber is told to resync (reload what it shows).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { JournalEvent } from "./types";

const TYPES = [
  "ExperimentCreated", "ExperimentDeleted",
  "RunStarted", "RunResumed", "RunEnded", "RunDeleted", "ParamsLogged", "MetricsLogged", "TagsSet", "ArtifactLogged",
  "ModelVersionRegistered", "ModelTagsSet", "ModelTagsRemoved", "ModelAliasSet", "ModelAliasDeleted",
];

export type LiveState = "connecting" | "live" | "offline";
type Listener = (events: JournalEvent[] | "resync") => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<(s: LiveState) => void>();
let source: EventSource | null = null;
let state: LiveState = "offline";
let pending: JournalEvent[] = [];
let flushScheduled = false;
let lastEventId: string | null = null;

function setState(s: LiveState): void {
  state = s;
  for (const f of stateListeners) f(s);
}

function deliver(batch: JournalEvent[] | "resync"): void {
  for (const f of [...listeners]) f(batch);
}

function receive(e: MessageEvent): void {
  if (e.lastEventId) lastEventId = e.lastEventId;
  try {
    pending.push(JSON.parse(e.data) as JournalEvent);
  } catch {
    return;
  }
  // Events arrive in bursts (group commit): hand them over once per frame.
  if (!flushScheduled) {
    flushScheduled = true;
    setTimeout(() => {
      flushScheduled = false;
      const batch = pending;
      pending = [];
      deliver(batch);
    }, 16);
  }
}

function open(): void {
  // A stream opened again after the browser gave up resumes after the last event seen, as its own reconnects do.
  source = new EventSource(lastEventId ? `/api/stream?lastEventId=${encodeURIComponent(lastEventId)}` : "/api/stream", { withCredentials: true });
  setState("connecting");
  source.onopen = () => setState("live");
  source.onmessage = receive;
  for (const t of TYPES) source.addEventListener(t, receive as EventListener);
  // The server could not resume after our last event (a store replaced under it): reload everything.
  source.addEventListener("reset", () => deliver("resync"));
  source.onerror = () => {
    if (source?.readyState === EventSource.CLOSED) {
      setState("offline");
      source = null;
      setTimeout(() => {
        if (listeners.size && !source) {
          const resumed = lastEventId != null;
          open();
          if (!resumed) deliver("resync");
        }
      }, 2000);
    } else setState("connecting");
  };
}

/** Calls `f` with each batch of new events while mounted (not on a past view: the past does not change). */
export function subscribe(f: Listener): () => void {
  listeners.add(f);
  if (!source) open();
  return () => listeners.delete(f);
}

export function useLiveState(): LiveState {
  const [s, set] = useState(state);
  useEffect(() => {
    stateListeners.add(set);
    return () => stateListeners.delete(set);
  }, []);
  return s;
}

/**
 * Runs `onChange` (at most every `ms`) after new events for which `relevant` is true. Disabled
 * when `enabled` is false (a past view).
 */
export function useLive(enabled: boolean, relevant: (e: JournalEvent) => boolean, onChange: () => void, ms = 250): void {
  const fns = useRef({ relevant, onChange });
  fns.current = { relevant, onChange };
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const fire = () => {
      timer = null;
      last = performance.now();
      fns.current.onChange();
    };
    const unsubscribe = subscribe((batch) => {
      if (batch !== "resync" && !batch.some((e) => fns.current.relevant(e))) return;
      if (timer) return;
      const wait = Math.max(0, last + ms - performance.now());
      timer = setTimeout(fire, wait);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [enabled, ms]);
}

/** Like useLive, but hands the matching events themselves to `f` (for the event timeline). */
export function useLiveEvents(enabled: boolean, f: (events: JournalEvent[] | "resync") => void): void {
  const ref = useRef(f);
  ref.current = f;
  useEffect(() => (enabled ? subscribe((b) => ref.current(b)) : undefined), [enabled]);
}
