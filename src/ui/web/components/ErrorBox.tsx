import { Component, type ComponentChildren } from "preact";
import { ApiError } from "../lib/api";

/** An error as a person should see it: the server's code and message (a JournalCorrupted names file, line, offset). */
export function ErrorBox({ error, title }: { error: Error; title?: string }) {
  const code = error instanceof ApiError ? error.code : error.name;
  return (
    <div class="error-box" role="alert">
      <strong>{title ?? (code === "JOURNAL_CORRUPTED" ? "A journal is damaged" : "Something went wrong")}</strong>
      <span class="error-code">{code}</span>
      <pre>{error.message}</pre>
      {code === "JOURNAL_CORRUPTED" && (
        <p>
          Run <code>runelog verify</code> or open the <a href="/?view=verify">verify page</a> to see every problem; a tracker opened with{" "}
          <code>{'{ onCorrupt: "skip" }'}</code> reads past damaged lines.
        </p>
      )}
    </div>
  );
}

/** Keeps a render error inside one page instead of blanking the whole UI. */
export class ErrorBoundary extends Component<{ children: ComponentChildren; resetKey: string }, { error: Error | null; key: string }> {
  override state = { error: null as Error | null, key: this.props.resetKey };
  static override getDerivedStateFromProps(props: { resetKey: string }, state: { key: string }) {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }
  override componentDidCatch(error: Error) {
    this.setState({ error });
  }
  override render() {
    return this.state.error ? <ErrorBox error={this.state.error} title="This page failed to render" /> : this.props.children;
  }
}
