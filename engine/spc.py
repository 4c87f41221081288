"""Individuals / moving-range (I-MR) control charts with the Western Electric rules, and process
capability: anomalies an engineer can explain, instead of a model that flags a fixed share of any
file. centre = mean, σ̂ = MR̄ / 1.128 (MR̄ = mean |xᵢ − xᵢ₋₁|), limits = centre ± 3σ̂.
Rules, each reported at every point that completes its pattern (that point is part of it):
1. one point beyond 3σ̂; 2. two of three consecutive beyond 2σ̂ on one side; 3. four of five
consecutive beyond 1σ̂ on one side; 4. eight consecutive on one side of the centre."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

D2 = 1.128   # d2 for moving ranges of two


@dataclass
class ControlChart:
    center: float | None
    sigma: float | None
    ucl: float | None
    lcl: float | None
    mr_bar: float | None
    n: int
    cpk: float | None
    violations: list[tuple[int, int]] = field(default_factory=list)   # (point index, rule)


def _k_of_m(hit: np.ndarray, k: int, m: int) -> np.ndarray:
    """True at i when point i is a hit and at least k of the m points ending at i are hits."""
    h = hit.astype(np.int32)
    window = np.convolve(h, np.ones(m, dtype=np.int32))[: len(h)]   # sum of h[i-m+1..i]
    ok = (window >= k) & hit
    ok[: m - 1] = False   # a pattern needs m points
    return ok


def western_electric(z: np.ndarray) -> list[tuple[int, int]]:
    """(index, rule) for every point completing a rule; `z` = (x − centre) / σ̂."""
    out: list[tuple[int, int]] = []
    rules = {
        1: np.abs(z) > 3,
        2: _k_of_m(z > 2, 2, 3) | _k_of_m(z < -2, 2, 3),
        3: _k_of_m(z > 1, 4, 5) | _k_of_m(z < -1, 4, 5),
        4: _k_of_m(z > 0, 8, 8) | _k_of_m(z < 0, 8, 8),
    }
    for rule, hits in rules.items():
        out.extend((int(i), rule) for i in np.flatnonzero(hits))
    return sorted(out)


def imr(values: np.ndarray, lo: float | None = None, hi: float | None = None) -> ControlChart:
    """The I-MR chart of `values` in time order (NaNs dropped first); Cpk against lo/hi when set:
    min(USL − x̄, x̄ − LSL) / 3σ̂, one-sided when only one of them is set."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < 2:
        center = float(x[0]) if n else None
        return ControlChart(center, None, None, None, None, n, None)
    center = float(x.mean())
    mr_bar = float(np.abs(np.diff(x)).mean())
    sigma = mr_bar / D2
    chart = ControlChart(center, sigma, center + 3 * sigma, center - 3 * sigma, mr_bar, n, None)
    if sigma > 0:
        chart.violations = western_electric((x - center) / sigma)
        sides = [s for s in ((hi - center) if hi is not None else None,
                             (center - lo) if lo is not None else None) if s is not None]
        chart.cpk = min(sides) / (3 * sigma) if sides else None
    return chart


def imr_report(times: object, values: np.ndarray, lo: float | None = None,
               hi: float | None = None) -> dict[str, object]:
    """The CLI/API shape: `{center, sigma, ucl, lcl, mr_bar, n, cpk, violations: [{timestamp,
    value, rule}]}` over a time-ordered series (sorted here; readings without a value dropped)."""
    from .excursions import as_utc, iso_z
    t = as_utc(times)
    x = np.asarray(values, dtype=float)
    order = np.argsort(t.asi8, kind="stable")
    t, x = t[order], x[order]
    keep = np.isfinite(x)
    t, x = t[keep], x[keep]
    chart = imr(x, lo, hi)
    return {"center": chart.center, "sigma": chart.sigma, "ucl": chart.ucl, "lcl": chart.lcl,
            "mr_bar": chart.mr_bar, "n": chart.n, "cpk": chart.cpk,
            "violations": [{"timestamp": iso_z(t[i]), "value": float(x[i]), "rule": rule}
                           for i, rule in chart.violations]}
