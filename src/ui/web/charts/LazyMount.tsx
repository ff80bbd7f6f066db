import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

/** Renders its children only once scrolled into view (charts off screen cost nothing). */
export function LazyMount({ height, children }: { height: number; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setSeen(true);
        io.disconnect();
      }
    }, { rootMargin: "200px" });
    io.observe(el);
    return () => io.disconnect();
  }, [seen]);
  return <div ref={ref} class="lazy" style={{ minHeight: `${height}px` }}>{seen ? children : <div class="chart-placeholder muted">chart</div>}</div>;
}
