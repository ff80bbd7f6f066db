/** GET /api/stream: one follower fanned out over server-sent events; Last-Event-ID resumes without a gap or a duplicate. */
import type { UiApp } from "../src/ui/server/app.js";
import { RuneLog, type JournalEvent } from "../src/index.js";
import { openStore, QUIET, type TestStore } from "./helpers/api.js";
import { call, errorOf, uiApp } from "./helpers/ui.js";

let store: TestStore;
let ui: UiApp;
beforeEach(() => {
  store = openStore("runelog-ui-sse-");
  ui = uiApp(store.tracker);
});
afterEach(() => {
  ui.close();
  store.done();
});

interface Message {
  id?: string;
  event?: string;
  data?: string;
}

/** An open event stream: messages as they come, and a way to wait for some. */
async function connect(headers: Record<string, string> = {}, query = "") {
  const res = await call(ui, `/api/stream${query}`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const messages: Message[] = [];
  let text = "";
  let ended = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return void (ended = true);
      text += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = text.indexOf("\n\n")) >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        const m: Message = {};
        for (const line of block.split("\n")) {
          const colon = line.indexOf(": ");
          const [field, value] = colon < 0 ? [line, ""] : [line.slice(0, colon), line.slice(colon + 2)];
          if (field === "id" || field === "event" || field === "data") m[field] = value;
        }
        if (m.event) messages.push(m);
      }
    }
  })();
  return {
    messages,
    events: () => messages.filter((m) => m.id).map((m) => JSON.parse(m.data!) as JournalEvent),
    async waitFor(check: (ms: Message[]) => boolean) {
      while (!check(messages)) {
        if (ended) throw new Error(`stream ended; got ${JSON.stringify(messages.map((m) => m.event))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    get ended() {
      return ended;
    },
    async close() {
      await reader.cancel();
      await pump;
    },
    pump,
  };
}

async function stored(): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for await (const e of store.tracker.events()) out.push(e);
  return out;
}

test("without Last-Event-ID: only events appended after connecting, as id / event / data", async () => {
  const writer = new RuneLog(store.dir);
  const run = await writer.startRun({ experimentName: "live", ...QUIET });
  const stream = await connect();
  await run.logMetric("loss", NaN, { step: 1 });
  await run.end();
  await stream.waitFor((ms) => ms.some((m) => m.event === "RunEnded"));
  const got = stream.events();
  expect(got.map((e) => e.type)).toEqual(["MetricsLogged", "RunEnded"]);
  expect(stream.messages.filter((m) => m.id).every((m) => m.id === JSON.parse(m.data!).id)).toBe(true);
  expect(got[0]!.data).toMatchObject({ metrics: { loss: "NaN" } });
  expect(got.map((e) => e.id)).toEqual((await stored()).slice(-2).map((e) => e.id));
  await stream.close();
});

for (const path of ["recently sent events (a reconnect)", "the journals (another server)"] as const) {
  test(`Last-Event-ID, resumed from ${path}: what was missed, then live events; no gap, no duplicate, while a writer keeps appending`, async () => {
    const writer = new RuneLog(store.dir);
    const run = await writer.startRun({ experimentName: "live", ...QUIET });
    const first = await connect();
    await run.logMetric("m", 0, { step: 0 });
    await first.waitFor((ms) => ms.some((m) => m.id));
    const seen = first.events().map((e) => e.id);
    await first.close();
    if (path === "the journals (another server)") {
      ui.close();
      ui = uiApp(store.reopen()); // its follower never sent that event
    }

    let step = 1;
    let writing = true;
    const appending = (async () => {
      while (writing) await run.logMetric("m", step, { step: step++ });
    })();
    while (step < 20) await new Promise((r) => setTimeout(r, 5)); // missed while away
    const second = await connect({ "last-event-id": seen[seen.length - 1]! });
    while (step < 60) await new Promise((r) => setTimeout(r, 5)); // appended during and after the replay
    writing = false;
    await appending;
    await run.end();
    await second.waitFor((ms) => ms.some((m) => m.event === "RunEnded"));
    const ids = [...seen, ...second.events().map((e) => e.id)];
    expect(new Set(ids).size).toBe(ids.length);
    const expected = (await stored()).map((e) => e.id);
    expect(ids).toEqual(expected.slice(expected.indexOf(seen[0]!)));
    await second.close();
  });
}

test("an id older than the recent events kept falls back to the journals, still exact", async () => {
  const { StreamHub } = await import("../src/ui/server/stream.js");
  const hub = new StreamHub(store.tracker, 3);
  try {
    const run = await store.tracker.startRun({ experimentName: "ring", ...QUIET });
    const abort = new AbortController();
    const body = await hub.open(undefined, abort.signal);
    const reader = body.getReader();
    for (let i = 0; i < 12; i++) await run.logMetric("m", i, { step: i });
    const text = async (stream: ReadableStream<Uint8Array>, count: number) => {
      const r = stream.getReader();
      let all = "";
      while ((all.match(/^id: /gm) ?? []).length < count) all += new TextDecoder().decode((await r.read()).value);
      await r.cancel();
      return [...all.matchAll(/^id: (.+)$/gm)].map((m) => m[1]!);
    };
    let live = "";
    while ((live.match(/^id: /gm) ?? []).length < 12) live += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const sent = [...live.matchAll(/^id: (.+)$/gm)].map((m) => m[1]!);
    const reads = jest.spyOn(store.tracker, "events");
    expect(await text(await hub.open(sent[10], new AbortController().signal), 1)).toEqual([sent[11]]);
    expect(reads).not.toHaveBeenCalled(); // from the events kept
    expect(await text(await hub.open(sent[1], new AbortController().signal), 10)).toEqual(sent.slice(2));
    expect(reads).toHaveBeenCalledTimes(1); // from the journals
    reads.mockRestore();
  } finally {
    hub.close();
  }
});

test("the browser's retry sends Last-Event-ID as a header; a page may pass ?lastEventId= itself", async () => {
  const run = await store.tracker.startRun({ experimentName: "live", ...QUIET });
  await run.logParam("a", 1);
  const events = await stored();
  const stream = await connect({}, `?lastEventId=${events[events.length - 2]!.id}`);
  await stream.waitFor((ms) => ms.some((m) => m.id));
  expect(stream.events().map((e) => e.id)).toEqual([events[events.length - 1]!.id]);
  await stream.close();
});

test("a Last-Event-ID this store never had: a reset message, then live events", async () => {
  const run = await store.tracker.startRun({ experimentName: "live", ...QUIET });
  const stream = await connect({ "last-event-id": "01ARZ3NDEKTSV4RRFFQ69G5FAV" });
  await stream.waitFor((ms) => ms.some((m) => m.event === "reset"));
  await run.end();
  await stream.waitFor((ms) => ms.some((m) => m.event === "RunEnded"));
  expect(stream.events().map((e) => e.type)).toEqual(["RunEnded"]);
  await stream.close();
});

test("one follower for every client; closing the app ends every stream", async () => {
  const a = await connect();
  const b = await connect();
  expect(ui.hub.clients).toBe(2);
  const run = await store.tracker.startRun({ experimentName: "live", ...QUIET });
  await a.waitFor((ms) => ms.some((m) => m.event === "RunStarted"));
  await b.waitFor((ms) => ms.some((m) => m.event === "RunStarted"));
  await a.close();
  expect(ui.hub.clients).toBe(1);
  ui.close();
  await b.pump;
  expect(b.ended).toBe(true);
  expect(ui.hub.clients).toBe(0);
  await run.end();
});

test("bad requests: ?asOf= (a stream has no past) and a Last-Event-ID that is no event id are 400", async () => {
  expect(await errorOf(await call(ui, "/api/stream?asOf=2020-01-01"))).toMatchObject({ status: 400, code: "INVALID_INPUT" });
  const err = await errorOf(await call(ui, "/api/stream", { headers: { "last-event-id": "../../x" } }));
  expect(err).toMatchObject({ status: 400, code: "INVALID_INPUT" });
  expect(err.message).toContain("Last-Event-ID");
});

test("over a real socket: a client that goes away is unsubscribed; close() ends the others and the server", async () => {
  const { startUiServer } = await import("../src/ui/server/serve.js");
  const server = await startUiServer({ tracker: store.tracker, port: 0, token: "tok" });
  const open = async () => {
    const abort = new AbortController();
    const res = await fetch(`http://127.0.0.1:${server.port}/api/stream`, { headers: { authorization: "Bearer tok" }, signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    return { abort, reader };
  };
  try {
    const a = await open();
    const b = await open();
    expect(server.streams).toBe(2);
    a.abort.abort();
    while (server.streams !== 1) await new Promise((r) => setTimeout(r, 20));
    await server.close();
    expect(server.streams).toBe(0);
    // the stream ends (cleanly, or cut with the connection): it does not hang
    const drain = async (): Promise<string> => {
      for (;;) if ((await b.reader.read()).done) return "done";
    };
    expect(["done", "cut"]).toContain(await drain().catch(() => "cut"));
  } finally {
    await server.close().catch(() => {});
  }
});
