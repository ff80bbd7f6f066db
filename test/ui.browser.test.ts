/**
 * The web UI in real Chromium (playwright-core driving Debian's chromium) against the built
 * `runelog ui`, on a store made by the demo plus test/helpers/ui-store.ts. Each page is loaded and
 * checked for what a person sees; screenshots land in a temp folder (printed) to be looked at.
 * Skipped, with the reason printed, only when no Chromium binary exists.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { RuneLog } from "../src/index.js";
import { chromiumMissing, launchChromium, startUi, type UiServer } from "./helpers/ui-browser.js";
import { EXTRAS, makeUiStore, type UiStore } from "./helpers/ui-store.js";
import { removeDir, tempDir } from "./helpers/store.js";

jest.setTimeout(120_000);

const missing = chromiumMissing();
if (missing) console.log(`ui.browser.test.ts skipped: ${missing}`);
const describeIfChromium = missing ? describe.skip : describe;

describeIfChromium("the web UI in Chromium", () => {
  let dir: string;
  let shots: string;
  let store: UiStore;
  let server: UiServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tracker: RuneLog;
  let demoExperiment: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = tempDir("runelog-ui-browser-");
    shots = tempDir("runelog-ui-shots-");
    console.log(`ui.browser.test.ts screenshots: ${shots}`);
    const demo = spawnSync(process.execPath, [resolve("dist", "examples", "demo.js")], { cwd: dir, env: { ...process.env, RUNELOG_DEMO_QUICK: "1" }, encoding: "utf8", timeout: 90_000 });
    if (demo.status !== 0) throw new Error(`demo failed: ${demo.stderr}`);
    const files = tempDir("runelog-ui-files-");
    store = await makeUiStore(dir, files);
    removeDir(files);
    tracker = new RuneLog(dir);
    demoExperiment = await tracker.getOrCreateExperiment("logreg-demo");
    server = await startUi(dir);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(server.url); // sets the token cookie, then drops the token from the address bar
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) removeDir(dir);
  });

  afterEach(() => {
    expect(pageErrors).toEqual([]);
  });

  const shot = (name: string, fullPage = true) => page.screenshot({ path: join(shots, `${name}.png`), fullPage });
  const open = async (query: string) => {
    await page.goto(`${server.base}/${query}`);
  };
  const rowCount = () => page.locator(".rt-row[data-run]").count();

  test("the printed URL's token becomes a cookie and leaves the address bar", async () => {
    expect(page.url()).not.toContain("token=");
    expect((await context.cookies()).some((c) => c.httpOnly && c.value === server.token)).toBe(true);
  });

  test("experiments: run counts by status, KILLED counted, last run", async () => {
    await open("");
    const demoRow = page.locator(`tr[data-experiment="${demoExperiment}"]`);
    await demoRow.waitFor();
    const cells = await demoRow.locator("td").allInnerTexts();
    expect(cells[1]).toContain("logreg-demo");
    expect(cells.slice(2, 7)).toEqual(["4", "0", "4", "0", "0"]); // runs, RUNNING, FINISHED, FAILED, KILLED
    const extras = await page.locator("tr", { hasText: EXTRAS }).locator("td").allInnerTexts();
    expect(extras.slice(2, 7)).toEqual(["5", "0", "4", "0", "1"]);
    await shot("experiments");
  });

  test("runs: one row per run with latest metrics; sorting by a metric column orders the rows", async () => {
    await open(`?view=runs&experiment=${demoExperiment}`);
    await page.locator(".rt-row[data-run]").first().waitFor();
    expect(await rowCount()).toBe(4);
    await expect(page.locator("[data-testid=run-count]").innerText()).resolves.toContain("4 runs");
    await page.locator('[role=columnheader][title^="metrics.val_accuracy"]').click();
    await page.waitForURL(/sort=metrics.val_accuracy/);
    await page.waitForFunction(() => document.querySelector(".rt-head")?.textContent?.includes("val_accuracy ↓"));
    const expected = (await tracker.searchRuns({ experiments: [demoExperiment], orderBy: ["metrics.val_accuracy DESC"] })).map((r) => r.runId);
    await page.waitForFunction((first) => document.querySelector(".rt-row[data-run]")?.getAttribute("data-run") === first, expected[0]);
    const shown = await page.locator(".rt-row[data-run]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    expect(shown).toEqual(expected);
    const best = (await tracker.getRun(expected[0]!))!.metrics.val_accuracy!;
    const col = await page.locator(".rt-head .rt-cell").evaluateAll((cells) => cells.findIndex((c) => c.getAttribute("title")?.startsWith("metrics.val_accuracy")));
    const firstRowText = await page.locator(".rt-row[data-run]").first().locator(".rt-cell").nth(col).innerText();
    expect(Number(firstRowText)).toBeCloseTo(best, 5);
    await shot("runs");
  });

  test("runs: the search box filters with the searchRuns grammar, completes keys, and shows a bad filter's caret", async () => {
    await open(`?view=runs&experiment=${demoExperiment}`);
    const box = page.locator('input[aria-label="filter runs"]');
    await box.click();
    await box.pressSequentially("metrics.val_acc");
    await expect(page.locator(".completions li").allInnerTexts()).resolves.toContain("metrics.val_accuracy");
    await page.keyboard.press("Tab");
    await expect(box.inputValue()).resolves.toBe("metrics.val_accuracy ");
    const threshold = 0.75;
    await box.pressSequentially(`> ${threshold}`);
    await page.keyboard.press("Enter");
    await page.waitForURL(/filter=/);
    const expected = await tracker.searchRuns({ experiments: [demoExperiment], filter: `metrics.val_accuracy > ${threshold}` });
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(4);
    await page.waitForFunction((n) => document.querySelectorAll(".rt-row[data-run]").length === n, expected.length);
    await shot("runs-filtered");

    await box.fill("metrics.val_accuracy > and params.l2 = 0");
    await page.keyboard.press("Enter");
    const error = page.locator(".filter-error");
    await error.waitFor();
    const text = await error.innerText();
    expect(text).toMatch(/^filter: /);
    expect(text).toMatch(/\n\s*\^/);
    await shot("runs-bad-filter");
  });

  test("runs: child runs nest under their parent; a run whose process died shows KILLED", async () => {
    const extrasId = await tracker.getOrCreateExperiment(EXTRAS);
    await open(`?view=runs&experiment=${extrasId}`);
    await page.locator(`.rt-row[data-run="${store.killedRunId}"]`).waitFor();
    const order = await page.locator(".rt-row[data-run]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")));
    const parentAt = order.indexOf(store.parentRunId);
    expect(order.slice(parentAt + 1, parentAt + 3).sort()).toEqual([...store.childRunIds].sort());
    const child = page.locator(`.rt-row[data-run="${store.childRunIds[0]}"] .run-cell`);
    const parentPad = await page.locator(`.rt-row[data-run="${store.parentRunId}"] .run-cell`).evaluate((e) => parseFloat(getComputedStyle(e).paddingLeft));
    expect(await child.evaluate((e) => parseFloat(getComputedStyle(e).paddingLeft))).toBeGreaterThan(parentPad);
    await expect(page.locator(`.rt-row[data-run="${store.killedRunId}"] .status`).innerText()).resolves.toBe("KILLED");
    await page.locator(`.rt-row[data-run="${store.parentRunId}"] button[aria-label=collapse]`).click();
    await expect(page.locator(`.rt-row[data-run="${store.childRunIds[0]}"]`).count()).resolves.toBe(0);
    await shot("runs-nested");
  });

  test("runs: columns can be hidden and pinned, and the choice lives in the URL", async () => {
    await open(`?view=runs&experiment=${demoExperiment}`);
    await page.locator(".rt-row[data-run]").first().waitFor();
    await page.getByRole("button", { name: /^Columns/ }).click();
    const dialog = page.getByRole("dialog", { name: "columns" });
    await dialog.locator(".col-line", { hasText: "metrics.val_loss" }).locator('button[title="pin to the left"]').click();
    await page.waitForURL(/pin=metrics.val_loss/);
    await dialog.locator(".col-line", { hasText: "metrics.train_loss" }).locator('button[title="hide"]').click();
    await page.waitForURL((u) => !u.searchParams.getAll("col").includes("metrics.train_loss") && u.searchParams.has("col"));
    const headers = await page.locator(".rt-head .rt-cell").evaluateAll((cells) => cells.map((c) => c.getAttribute("title") ?? ""));
    expect(headers.some((t) => t.startsWith("metrics.train_loss"))).toBe(false);
    const firstNonFixed = headers.findIndex((t) => t.includes("."));
    expect(headers[firstNonFixed]).toMatch(/^metrics.val_loss/); // pinned columns come first
    // a pinned column stays put when the table scrolls sideways; the others move
    const pinnedCell = page.locator('.rt-head .rt-cell[title^="metrics.val_loss"]');
    const otherCell = page.locator('.rt-head .rt-cell[title^="metrics.val_accuracy"]');
    const [pinnedX, otherX] = [(await pinnedCell.boundingBox())!.x, (await otherCell.boundingBox())!.x];
    await page.setViewportSize({ width: 700, height: 800 });
    await page.locator(".runs-table").evaluate((e) => { e.scrollLeft = 200; e.dispatchEvent(new Event("scroll")); });
    await page.waitForFunction(() => (document.querySelector(".runs-table") as HTMLElement).style.getPropertyValue("--sx") === "200px");
    expect((await pinnedCell.boundingBox())!.x).toBeCloseTo(pinnedX, 0);
    expect((await otherCell.boundingBox())!.x).toBeCloseTo(otherX - 200, 0);
    await page.setViewportSize({ width: 1280, height: 800 });
    const url = page.url();
    await page.reload();
    await page.locator(".rt-row[data-run]").first().waitFor();
    expect(page.url()).toBe(url);
    await expect(page.locator('.rt-head .rt-cell[title^="metrics.train_loss"]').count()).resolves.toBe(0);
  });

  test("run page: params with their history, metrics with point counts, artifacts rendered, curves drawn with NaN/Infinity marked", async () => {
    await open(`?view=run&run=${store.oddRunId}&smooth=0`);
    await page.locator(".run-page").waitFor();
    await expect(page.locator("h1").innerText()).resolves.toBe("odd-values");
    const lr = page.locator("table.params tr", { hasText: "lr" });
    await expect(lr.locator("td").innerText()).resolves.toContain("0.05");
    await lr.locator(".param-history summary").click();
    await expect(lr.locator(".param-history li").allInnerTexts()).resolves.toEqual([expect.stringContaining("0.1"), expect.stringContaining("0.05")]);
    const loss = page.locator("table.metrics tr", { hasText: "loss" }).first();
    await expect(loss.locator("td").last().innerText()).resolves.toBe("5000");
    await expect(page.locator(".facts").innerText()).resolves.toMatch(/Host \/ pid\s+\S+ \/ \d+/);

    const chart = page.locator('.metric-chart[data-metric="loss"]');
    await chart.scrollIntoViewIfNeeded();
    await chart.locator(".chart-canvas[data-drawn] canvas").waitFor();
    await expect(chart.getAttribute("data-series")).resolves.toBe("1");
    await expect(chart.locator(".odd-note").innerText()).resolves.toBe("3 non-finite");
    await expect(chart.innerText()).resolves.toContain("bucketed");
    // the canvas has coloured (not blank) pixels where the curve is
    const inked = await chart.locator("canvas").evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0 && d[i + 2]! > d[i]! + 40) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(200);

    const image = page.locator('.artifact[data-artifact="confusion.png"] img');
    await image.waitFor();
    await page.waitForFunction(() => (document.querySelector('.artifact[data-artifact="confusion.png"] img') as HTMLImageElement | null)?.naturalWidth === 24);
    await page.locator('.artifact[data-artifact="summary.json"] button').click();
    await expect(page.locator('.artifact[data-artifact="summary.json"] pre').innerText()).resolves.toContain('"accuracy": 0.93');
    await page.locator('.artifact[data-artifact="predictions.csv"] button').click();
    await page.locator('.artifact[data-artifact="predictions.csv"] td').first().waitFor();
    await expect(page.locator('.artifact[data-artifact="predictions.csv"] td').allInnerTexts()).resolves.toEqual(["1", "a", "0.91", "2", "b", "0.12"]);
    await expect(page.locator('.artifact[data-artifact="weights.bin"] a[download]').count()).resolves.toBe(1);
    await shot("run");
    await chart.screenshot({ path: join(shots, "chart.png") });
  });

  test("charts: a drag zoom fetches the range again at full resolution; double-click resets", async () => {
    await open(`?view=run&run=${store.oddRunId}&smooth=0`);
    const chart = page.locator('.metric-chart[data-metric="loss"]');
    await chart.scrollIntoViewIfNeeded();
    await chart.locator(".chart-canvas[data-drawn] canvas").waitFor();
    const over = chart.locator(".u-over");
    const box = (await over.boundingBox())!;
    const zoomed = page.waitForResponse((r) => r.url().includes("/metrics/loss") && r.url().includes("from="));
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const answer = await (await zoomed).json();
    expect(answer.bucketed).toBe(false);
    expect(answer.points.length).toBe(answer.total);
    await chart.getByText("reset zoom").waitFor();
    await over.dblclick();
    await expect(chart.getByText("reset zoom").count()).resolves.toBe(0);
  });

  test("compare: params/metrics side by side, only differences, parallel coordinates and overlaid curves", async () => {
    const runs = await tracker.searchRuns({ experiments: [demoExperiment] });
    await open(`?view=runs&experiment=${demoExperiment}`);
    await page.locator(".rt-row[data-run]").first().waitFor();
    for (const r of runs.slice(0, 3)) await page.locator(`input[aria-label="select ${r.runId}"]`).check();
    await page.getByRole("link", { name: /^Compare/ }).click();
    await page.locator("table.compare").waitFor();
    const all = await page.locator("table.compare tbody tr").count();
    await page.getByLabel("only differences").check();
    await page.waitForURL(/diff=1/);
    const differing = await page.locator("table.compare tbody tr").count();
    expect(differing).toBeLessThan(all); // epochs, trainSamples … are the same for every run
    expect(differing).toBeGreaterThan(0);
    await expect(page.locator("svg.parallel .pc-run").count()).resolves.toBe(3);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight)); // charts mount when scrolled into view
    const curve = page.locator('.metric-chart[data-metric="val_accuracy"]');
    await curve.scrollIntoViewIfNeeded();
    await curve.locator(".chart-canvas[data-drawn] canvas").waitFor();
    await expect(curve.getAttribute("data-series")).resolves.toBe("3");
    await expect(curve.locator(".legend-item").count()).resolves.toBe(3);
    await shot("compare");
  });

  test("registry: versions, aliases, source run; moving an alias asks first, then writes through the library", async () => {
    await open("?view=registry");
    const row = page.locator('tr[data-version="1"]');
    await row.waitFor();
    await expect(row.innerText()).resolves.toContain("@champion");
    const source = (await tracker.getModelVersions("logreg-demo-classifier"))[0]!.sourceRunId;
    await expect(row.locator(`a[title="${source}"]`).count()).resolves.toBe(1);
    await page.getByLabel("alias", { exact: true }).fill("staging");
    await page.getByRole("button", { name: "Set alias…" }).click();
    const confirm = page.getByRole("alertdialog");
    await expect(confirm.innerText()).resolves.toContain("@staging");
    expect((await tracker.getModelVersions("logreg-demo-classifier"))[0]!.aliases).toEqual(["champion"]); // nothing yet
    await confirm.getByRole("button", { name: "Confirm" }).click();
    await page.locator('tr[data-version="1"]', { hasText: "@staging" }).waitFor();
    expect((await tracker.getModelVersions("logreg-demo-classifier"))[0]!.aliases.sort()).toEqual(["champion", "staging"]);
    await shot("registry");
  });

  test("history: the event timeline filters by type, links to runs, shows an event's JSON and checksum; the diff lists runs started", async () => {
    await open("?view=history&htype=RunEnded");
    await page.locator(".event-row").first().waitFor();
    const types = await page.locator(".event-row .event-type").allInnerTexts();
    expect(types.length).toBe(8); // 4 demo runs, the parent and its 2 children, the odd run (the killed one never ended)
    expect(new Set(types)).toEqual(new Set(["RunEnded"]));
    await page.locator(".event-row").first().click();
    const json = JSON.parse(await page.locator(".event-json pre").innerText());
    expect(json).toMatchObject({ type: "RunEnded", crc: expect.stringMatching(/^[0-9a-f]{8}$/), seq: expect.any(Number) });
    await expect(page.locator(".event-row").first().locator(".links a").first().getAttribute("href")).resolves.toContain(`run=${json.data.runId}`);

    const extrasStart = (await tracker.getRun(store.parentRunId))!.startTime;
    const before = new Date(Date.parse(extrasStart) - 1).toISOString();
    await open(`?view=history&from=${encodeURIComponent(before)}&to=${encodeURIComponent(new Date().toISOString())}`);
    const started = page.locator('.diff-group[data-group="runsStarted"]');
    await started.locator("li").first().waitFor();
    await expect(started.locator("li").count()).resolves.toBe(5);
    await shot("history", false);
  });

  test("as of: the slider re-renders pages as the store was then, read-only with a permalink; back to now", async () => {
    await open("");
    await page.locator(`tr[data-experiment="${demoExperiment}"]`).waitFor();
    await page.getByRole("button", { name: /as of/ }).click();
    const slider = page.locator(".asof-slider");
    await slider.waitFor();
    const extrasCreated = (await tracker.listExperiments()).find((e) => e.name === EXTRAS)!.createdAt;
    const then = Date.parse(extrasCreated) - 1;
    await slider.evaluate((el: HTMLInputElement, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event("input", { bubbles: true }));
      el.dispatchEvent(new Event("change", { bubbles: true }));
    }, then);
    await page.locator(".asof-banner").waitFor();
    await page.waitForURL(/asOf=/);
    await page.waitForFunction((name) => ![...document.querySelectorAll("tr[data-experiment]")].some((r) => r.textContent?.includes(name)), EXTRAS);
    await expect(page.locator(`tr[data-experiment="${demoExperiment}"]`).count()).resolves.toBe(1);
    await shot("asof");
    // the permalink opens the same past
    const permalink = page.url();
    await page.goto(permalink);
    await page.locator(".asof-banner").waitFor();
    await page.locator(`tr[data-experiment="${demoExperiment}"]`).waitFor();
    await expect(page.locator("tr", { hasText: EXTRAS }).count()).resolves.toBe(0);
    // in the past, the registry cannot be changed
    await page.getByRole("link", { name: "Models" }).click();
    await page.locator("[data-testid=writes-disabled]").waitFor();
    await page.getByRole("button", { name: "Back to now" }).click();
    await expect(page.locator(".asof-banner").count()).resolves.toBe(0);
    await page.getByRole("link", { name: "Experiments" }).click();
    await page.locator("tr", { hasText: EXTRAS }).waitFor();
  });

  test("verify: a badge in the header and a page listing every journal", async () => {
    await open("?view=verify");
    await expect(page.locator("[data-testid=verify-result]").innerText()).resolves.toContain("intact");
    await expect(page.locator(".badge.verify").innerText()).resolves.toContain("verified");
    await shot("verify");
  });

  test("live: a point logged by another process appears on the run's chart, and the new run in the table", async () => {
    const script = `import { RuneLog } from ${JSON.stringify(resolve("dist", "src", "index.js"))};
import { createInterface } from "node:readline";
const t = new RuneLog(${JSON.stringify(dir)});
const run = await t.startRun({ experimentName: ${JSON.stringify(EXTRAS)}, logGitMeta: false, logCode: false, tags: { runName: "live-run" } });
await run.logMetric("loss", 0.5, { step: 0 });
console.log(run.runId);
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line === "log") { await run.logMetric("loss", 0.123, { step: 1 }); console.log("logged"); }
  if (line === "end") { await run.end(); break; }
}`;
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ["--input-type=module", "-e", script]);
    const lines: string[] = [];
    let buffer = "";
    child.stdout.on("data", (b: Buffer) => {
      buffer += b.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    const nextLine = async () => {
      const seen = lines.length;
      for (let i = 0; i < 300 && lines.length === seen; i++) await new Promise((r) => setTimeout(r, 100));
      return lines[seen];
    };
    try {
      const extrasId = await tracker.getOrCreateExperiment(EXTRAS);
      await open(`?view=runs&experiment=${extrasId}`);
      await page.locator(".rt-row[data-run]").first().waitFor();
      const before = await rowCount();
      const runId = (await nextLine())!;
      expect(runId).toMatch(/^[0-9A-Z]{26}$/);
      await page.locator(`.rt-row[data-run="${runId}"]`).waitFor({ timeout: 10_000 }); // appeared without a reload
      expect(await rowCount()).toBe(before + 1);

      await open(`?view=run&run=${runId}&smooth=0`);
      const chart = page.locator('.metric-chart[data-metric="loss"]');
      await chart.scrollIntoViewIfNeeded();
      await chart.locator(".chart-canvas[data-points='1']").waitFor();
      child.stdin.write("log\n");
      expect(await nextLine()).toBe("logged");
      await chart.locator(".chart-canvas[data-points='2']").waitFor({ timeout: 10_000 });
      await expect(chart.locator(".legend-item .mono").innerText()).resolves.toBe("0.123");
      child.stdin.write("end\n");
    } finally {
      child.stdin.end();
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
    }
  });
});

describeIfChromium("the web UI on a damaged journal", () => {
  test("the page shows the JournalCorrupted message, not a blank screen", async () => {
    const dir = tempDir("runelog-ui-damaged-");
    const tracker = new RuneLog(dir);
    await tracker.startRun({ experimentName: "hurt", logGitMeta: false, logCode: false }, async (run) => {
      for (let step = 0; step < 5; step++) await run.logMetric("loss", 1 / (step + 1), { step });
    });
    const id = await tracker.getOrCreateExperiment("hurt");
    const journal = join(dir, ".runelog", "experiments", `${id}.ndjson`);
    const lines = readFileSync(journal, "utf8").split("\n");
    lines[2] = lines[2]!.replace('"loss":', '"lozz":'); // the checksum no longer matches
    writeFileSync(journal, lines.join("\n"));
    const server = await startUi(dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      const box = page.locator(".error-box");
      await box.waitFor();
      const text = await box.innerText();
      expect(text).toContain("JOURNAL_CORRUPTED");
      expect(text).toContain(`${id}.ndjson`);
      expect(text).toMatch(/line 3/);
    } finally {
      await browser.close();
      await server.stop();
      removeDir(dir);
    }
  });
});


describeIfChromium("the web UI of a --read-only server", () => {
  test("the registry explains that changes are disabled and offers no change", async () => {
    const dir = tempDir("runelog-ui-readonly-");
    const files = tempDir("runelog-ui-readonly-files-");
    const tracker = new RuneLog(dir);
    const runId = await tracker.startRun({ experimentName: "ro", logGitMeta: false, logCode: false }, async (run) => {
      writeFileSync(join(files, "model.json"), "{}");
      await run.logArtifact(join(files, "model.json"), { name: "model" });
      return run.runId;
    });
    await tracker.registerModel(runId, "model", "ro-model");
    const server = await startUi(dir, { readOnly: true });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.goto(`${server.base}/?view=registry`);
      await page.locator('tr[data-version="1"]').waitFor();
      await expect(page.locator("[data-testid=writes-disabled]").innerText()).resolves.toContain("--read-only");
      await expect(page.getByRole("button", { name: /Set alias|Register|\+ tag/ }).count()).resolves.toBe(0);
      expect((await tracker.getModelVersions("ro-model"))[0]!.tags).toEqual({});
    } finally {
      await browser.close();
      await server.stop();
      removeDir(dir);
      removeDir(files);
    }
  });
});
