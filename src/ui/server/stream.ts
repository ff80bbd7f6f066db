/**
 * One follower of the store per server (`events({ follow: true })`), fanned out to every
 * server-sent-events client. A client that says where it stopped (`Last-Event-ID`) is first sent
 * what it missed, then the live events, without a gap or a duplicate: from the events this server
 * sent recently, in the very order it sent them, when the id is among them (a reconnect); else read
 * from the journals, in their merged order, after that event.
 */
import { decodeTime } from "ulid";
import { InvalidInput, type JournalEvent, type RuneLog } from "../../index.js";

type Listener = { event: (e: JournalEvent) => void; close: () => void };

const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const HEARTBEAT_MS = 15_000;
/** A client this far behind (queued messages) is cut off; it reconnects with Last-Event-ID and loses nothing. */
const MAX_QUEUED = 20_000;
/** How many sent events are kept for resuming clients in exact sending order. */
const RECENT = 20_000;

export class StreamHub {
  private readonly listeners = new Set<Listener>();
  private abort: AbortController | undefined;
  private caughtUp: Promise<void> | undefined;
  private closed = false;
  /** The last RECENT events sent, oldest first, and the sending number of each id. */
  private recent: JournalEvent[] = [];
  private sent = 0;
  private readonly numberOf = new Map<string, number>();

  constructor(private readonly live: RuneLog, private readonly keep = RECENT) {}

  /** Starts the follower (once) and resolves when it is past the stored history: from then on, what it sees is new. */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the server is closing"));
    this.caughtUp ??= new Promise<void>((resolve, reject) => {
      const abort = (this.abort = new AbortController());
      let live = false;
      const onCaughtUp = () => {
        live = true;
        resolve();
      };
      (async () => {
        for await (const e of this.live.events({ follow: true, signal: abort.signal, onCaughtUp })) {
          if (!live) continue;
          this.remember(e);
          for (const l of this.listeners) l.event(e);
        }
      })().then(
        () => this.stop(),
        (err) => {
          reject(err);
          this.stop(); // a damaged journal: clients are closed, the next one starts a new follower
        },
      );
    });
    return this.caughtUp;
  }

  private remember(e: JournalEvent): void {
    this.recent.push(e);
    this.numberOf.set(e.id, this.sent++);
    if (this.recent.length >= 2 * this.keep) {
      for (const old of this.recent.splice(0, this.recent.length - this.keep)) this.numberOf.delete(old.id);
    }
  }

  /** The events sent after `id`, if it is one of the recent ones. */
  private sentAfter(id: string): JournalEvent[] | undefined {
    const n = this.numberOf.get(id);
    if (n === undefined) return undefined;
    return this.recent.slice(this.recent.length - (this.sent - n - 1));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get clients(): number {
    return this.listeners.size;
  }

  private stop(): void {
    this.abort?.abort();
    this.abort = undefined;
    this.caughtUp = undefined;
    // A new follower starts after its own history: what the old one sent is no resume point any more.
    this.recent = [];
    this.numberOf.clear();
    for (const l of [...this.listeners]) l.close();
    this.listeners.clear();
  }

  /** Ends the follower and every client stream (the server is stopping). */
  close(): void {
    this.closed = true;
    this.stop();
  }

  /**
   * A text/event-stream body for one client: after `lastEventId`, the stored events it missed and
   * then the live ones; without it, only the live ones.
   */
  async open(lastEventId: string | undefined, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) throw new InvalidInput("Last-Event-ID", `must be an event id, got ${JSON.stringify(lastEventId)}`);
    await this.ready();
    const encoder = new TextEncoder();
    let unsubscribe = () => {};
    let heartbeat: NodeJS.Timeout | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(heartbeat);
      signal.removeEventListener("abort", finish);
    };
    const live = this.live;
    const hub = this;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        const write = (text: string) => {
          if (done) return;
          controller.enqueue(encoder.encode(text));
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED) end();
        };
        const end = () => {
          if (done) return;
          finish();
          controller.close();
        };
        // Replayed ids: the follower may still deliver some of them after the switch to live events.
        const replayed = new Set<string>();
        const buffered: JournalEvent[] = [];
        let replaying = lastEventId !== undefined;
        const send = (e: JournalEvent) => {
          if (replayed.delete(e.id)) return;
          write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
        };
        // Taken in the same tick as subscribing: nothing the follower sends can fall between the two.
        const missed = lastEventId === undefined ? undefined : hub.sentAfter(lastEventId);
        if (missed) replaying = false;
        unsubscribe = hub.subscribe({ event: (e) => (replaying ? buffered.push(e) : send(e)), close: end });
        signal.addEventListener("abort", finish, { once: true });
        heartbeat = setInterval(() => write(": ping\n\n"), HEARTBEAT_MS);
        heartbeat.unref();
        write(": runelog events\nretry: 1000\n\n");
        if (missed) for (const e of missed) send(e);
        if (lastEventId === undefined || missed) return;
        (async () => {
          let found = false;
          // An event id is made from its event's timestamp: nothing before that instant can follow it.
          for await (const e of live.events({ since: new Date(decodeTime(lastEventId)) })) {
            if (done) return;
            if (!found) {
              found = e.id === lastEventId;
              continue;
            }
            replayed.add(e.id);
            write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
          }
          if (!found) {
            // Not an event of this store: the client cannot resume, it must reload what it shows.
            write(`event: reset\ndata: ${JSON.stringify({ reason: `event ${lastEventId} is not in this store` })}\n\n`);
          }
          replaying = false;
          for (const e of buffered.splice(0)) send(e);
        })().catch((err: Error) => {
          write(`event: error\ndata: ${JSON.stringify({ code: (err as { code?: string }).code ?? "INTERNAL", message: err.message })}\n\n`);
          end();
        });
      },
      cancel() {
        finish();
      },
    });
  }
}
