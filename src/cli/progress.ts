/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal (piped output stays
 * quiet). With a total it shows a bar and a count; without, a spinner. Lines logged through it are
 * printed above the bar.
 */
import { formatDuration, terminalWidth, visibleLength, truncate } from "./format.js";

const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const BAR_WIDTH = 24;

export interface ProgressOptions {
  /** Leading text, e.g. "exporting". */
  label: string;
  /** Units of work; omit for a spinner. */
  total?: number;
  /** Don't draw before this many ms have passed (quick work shows nothing). Default 0. */
  delayMs?: number;
  /** Draw even when stderr is not a terminal (tests). Default: only on a TTY. */
  force?: boolean;
}

export class Progress {
  private done = 0;
  private status = "";
  private frame = 0;
  private drawn = false;
  private stopped = false;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | null;
  private readonly enabled: boolean;
  private readonly stream = process.stderr;

  constructor(private readonly options: ProgressOptions) {
    this.enabled = Boolean(options.force || this.stream.isTTY);
    this.timer = this.enabled ? setInterval(() => this.draw(), 100) : null;
    this.timer?.unref(); // never keeps the process alive
  }

  get active(): boolean {
    return this.enabled;
  }

  /** Sets how much is done (and an optional status after the count). */
  update(done: number, status?: string): void {
    this.done = done;
    if (status !== undefined) this.status = status;
  }

  /** Prints a line (to stderr) above the bar, which is redrawn below it. */
  log(line: string): void {
    this.clear();
    this.stream.write(line + "\n");
    this.draw();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.stream.write("\r\x1b[2K");
    this.drawn = false;
  }

  private draw(): void {
    if (!this.enabled || this.stopped) return;
    const elapsed = Date.now() - this.started;
    if (elapsed < (this.options.delayMs ?? 0)) return;
    const { total, label } = this.options;
    let text: string;
    if (total !== undefined && total > 0) {
      const share = Math.min(1, this.done / total);
      const full = Math.round(share * BAR_WIDTH);
      text = `${label} ${"█".repeat(full)}${"░".repeat(BAR_WIDTH - full)} ${this.done.toLocaleString("en")}/${total.toLocaleString("en")}`;
    } else {
      text = `${SPINNER[this.frame++ % SPINNER.length]} ${label}`;
    }
    if (this.status) text += `  ${this.status}`;
    text += `  ${formatDuration(elapsed)}`;
    const width = terminalWidth(this.stream);
    if (Number.isFinite(width) && visibleLength(text) > width - 1) text = truncate(text, width - 1);
    this.stream.write(`\r\x1b[2K${text}`);
    this.drawn = true;
  }
}
