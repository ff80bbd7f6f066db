import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { App } from "./App";
import { interceptLinks } from "./lib/url";

// The printed URL carries the token once; the server has turned it into a cookie, so drop it from
// the address bar (and from every permalink copied from it).
const q = new URLSearchParams(location.search);
if (q.has("token")) {
  q.delete("token");
  const s = q.toString();
  history.replaceState(null, "", s ? `/?${s}` : "/");
}
interceptLinks();
render(<App />, document.getElementById("app")!);
