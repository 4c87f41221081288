"""Say why the event loop stalled (run by hand, with bench/desktop_bench.py --explain MS).

A sampler thread wakes every 2 ms and records every thread's Python stack. When the GUI thread's
ticker sees a gap longer than the threshold, the samples taken inside that gap are summarised:
which threads ran Python code there, and, for the sampler's own late wake-ups, which code held the
GIL (a C call holding the GIL shows as one long sampler sleep; the holder is the thread whose stack
the next sample finds just past that call)."""
from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import Counter


def _stack(frame: object, depth: int = 6) -> str:
    try:
        lines = traceback.extract_stack(frame)[-depth:]  # type: ignore[arg-type]
    except (AttributeError, ValueError):   # a frame that finished while being walked
        return "?"
    return " < ".join(f"{fs.name}@{fs.filename.rsplit('/', 2)[-1]}:{fs.lineno}" for fs in reversed(lines))


class StallProbe:
    """Samples stacks of all threads; `explain(t0, t1)` summarises a gap."""

    def __init__(self, period: float = 0.002) -> None:
        self.period = period
        self.samples: list[tuple[float, float, dict[str, str]]] = []   # (time, own sleep, stacks)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        me = threading.get_ident()
        names = {}
        while not self._stop.is_set():
            t = time.perf_counter()
            time.sleep(self.period)
            now = time.perf_counter()
            for th in threading.enumerate():
                names[th.ident] = th.name
            stacks = {names.get(tid, str(tid)): _stack(f)
                      for tid, f in sys._current_frames().items() if tid != me}
            self.samples.append((now, now - t, stacks))
            if len(self.samples) > 200_000:
                del self.samples[:100_000]

    def explain(self, t0: float, t1: float, top: int = 4) -> str:
        inside = [s for s in self.samples if t0 <= s[0] <= t1 + 0.05]
        if not inside:
            return "    (no samples)"
        late = sorted(inside, key=lambda s: -s[1])[:2]
        out = [f"    sampler's longest sleep in the gap: {late[0][1] * 1000:.0f} ms"]
        position = {id(s): i for i, s in enumerate(self.samples)}
        for sample in late:
            when, slept, stacks = sample
            if slept > 0.02:
                i = position.get(id(sample), 0)
                before = self.samples[i - 1][2] if i > 0 else {}
                out.append(f"    after a {slept * 1000:.0f} ms GIL wait, at +{(when - t0) * 1000:.0f} ms "
                           "(threads whose stack moved; before -> after):")
                for name, st in stacks.items():
                    if before.get(name) != st and "_worker@thread.py" not in st:
                        out.append(f"      [{name}] {before.get(name, '?')}\n        -> {st}")
        main = Counter(s[2].get("MainThread", "") for s in inside)
        out.append(f"    GUI thread in {len(inside)} samples, most common:")
        out += [f"      {n:4d} × {st}" for st, n in main.most_common(top)]
        return "\n".join(out)
