"""Limits, alerts, event search and control charts: every number checked by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.alerts import series_alerts, snapshot_alerts, state
from engine.excursions import excursions, parse_duration
from engine.limits import (
    HI,
    HIHI,
    LO,
    OK,
    Limit,
    LimitError,
    LimitSet,
    classify,
    classify_frame,
    classify_thresholds,
    read_limits_csv,
    thresholds,
    write_limits_csv,
)
from engine.spc import imr, imr_report

PUMP_P = Limit("type", "Pump", "pressure", hi=5.5, hihi=5.8)


def minutes(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="1min", tz="UTC")


def test_pump_pressure_amber_and_red_and_nothing_for_another_type():
    limits = LimitSet([PUMP_P])
    names = np.array(["P-1", "P-2", "P-3", "V-1"])
    types = np.array(["Pump", "Pump", "centrifugal pump", "Valve"])
    codes = classify_frame(names, types, np.array([5.6, 5.9, 5.4, 9.0]), "pressure", limits)
    assert codes.tolist() == [HI, HIHI, OK, OK]        # amber, red, inside, other type: nothing
    assert classify_frame(names, types, np.array([5.6, 5.9, 5.4, 9.0]), "flowrate", limits).tolist() == [0] * 4


def test_equipment_limit_overrides_its_type():
    own = Limit("equipment", " p-2 ", "pressure", hi=7.0)
    limits = LimitSet([PUMP_P, own])
    assert limits.for_equipment("P-2", "Pump", "pressure") is own          # trimmed, case-insensitive
    assert limits.for_equipment("P-1", "Pump", "pressure") is PUMP_P
    assert classify(np.array([6.0, np.nan, 7.5]), own).tolist() == [OK, OK, HI]


def test_lo_side_and_strict_comparison():
    lim = Limit("type", "Pump", "pressure", lolo=-0.5, lo=0.0)
    assert classify(np.array([0.0, -0.1, -0.6]), lim).tolist() == [OK, LO, -2]


def test_limits_csv_round_trip_and_errors():
    text = ("scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s\n"
            "type,Pump,pressure,,,5.5,5.8,0.1,60\n"
            "equipment,P-101,temperature,0,10,150,170,,\n")
    limits = read_limits_csv(text)
    assert limits[0] == Limit("type", "Pump", "pressure", None, None, 5.5, 5.8, 0.1, 60.0)
    assert read_limits_csv(write_limits_csv(limits)) == limits
    with pytest.raises(LimitError, match="line 2: hi .* is above hihi"):
        read_limits_csv("scope,name,parameter,hi,hihi\ntype,Pump,pressure,6,5\n")
    with pytest.raises(LimitError, match="line 2: lo is not a number"):
        read_limits_csv("scope,name,parameter,lo\ntype,Pump,pressure,abc\n")
    with pytest.raises(LimitError, match="missing: parameter"):
        read_limits_csv("scope,name,hi\ntype,Pump,5\n")


def test_event_of_25_minutes_and_a_blip_below_the_minimum_duration():
    t = minutes("2026-03-01 09:50", 80)          # 09:50 .. 11:09, one reading a minute
    v = np.full(80, 140.0)
    v[10:35] = 155.0                            # 10:00 .. 10:24 above 150; 10:25 back inside
    v[20] = 162.0                               # the peak, at 10:10
    v[70] = 151.0                               # 11:00, a one-minute blip
    events = excursions(t, v, 150.0, "above", min_duration_s=parse_duration("5m"))
    assert len(events) == 1
    e = events[0]
    assert (e.start, e.end) == (pd.Timestamp("2026-03-01 10:00", tz="UTC"), pd.Timestamp("2026-03-01 10:25", tz="UTC"))
    assert e.duration_s == 25 * 60 and e.peak == 162.0
    assert len(excursions(t, v, 150.0, "above")) == 2          # without a minimum the blip counts


def test_deadband_keeps_the_excursion_and_active_has_no_end():
    t = minutes("2026-03-01 00:00", 6)
    v = np.array([5.0, 6.0, 5.45, 5.6, 5.3, 6.1])   # hi 5.5, deadband 0.1: 5.45 is not "back inside"
    lim = Limit("type", "Pump", "pressure", hi=5.5, hihi=6.05, deadband=0.1)
    alerts = series_alerts("P-1", "pressure", lim, t, v)
    assert [(a.level, a.start.minute, a.end.minute if a.end else None, a.peak) for a in alerts] == \
        [("hi", 1, 4, 6.0), ("hihi", 5, None, 6.1)]
    assert alerts[0].duration_s == 180 and alerts[1].duration_s is None and alerts[1].limit == 6.05


def test_on_delay_drops_short_excursions():
    t = minutes("2026-03-01 00:00", 10)
    v = np.array([0, 9, 0, 9, 9, 9, 9, 0, 0, 0], dtype=float)
    lim = Limit("type", "Pump", "flowrate", hi=5, delay_s=120)
    alerts = series_alerts("P-1", "flowrate", lim, t, v)
    assert [(a.start.minute, a.duration_s) for a in alerts] == [(3, 240)]


def test_snapshot_alert_starts_and_ends_at_the_reading_time():
    at = pd.Timestamp("2026-03-01 08:00", tz="UTC")
    alerts = snapshot_alerts(np.array(["P-1", "V-1"]), np.array(["Pump", "Valve"]),
                             {"pressure": np.array([5.9, 9.0])}, at, LimitSet([PUMP_P]))
    assert [(a.equipment, a.level, a.limit, a.start, a.end) for a in alerts] == [("P-1", "hihi", 5.8, at, at)]
    assert alerts[0].identity() == ("P-1", "pressure", "hihi", "2026-03-01T08:00:00Z")


def test_isa_states():
    assert state(True, False) == "active-unacknowledged" and state(False, True) == "cleared-acknowledged"


def test_rule_4_flags_point_18_only():
    # points 1-10 and 19-20 alternate around a low level, 11-18 sit a little above the centre:
    # no point is beyond 1σ, so rules 1-3 stay silent and rule 4 completes at point 18 only
    x = np.array([10.0, 9.0] * 5 + [10.1] * 8 + [9.0, 10.0])
    chart = imr(x)
    mr = np.abs(np.diff(x)).mean()
    assert chart.center == pytest.approx(x.mean()) and chart.sigma == pytest.approx(mr / 1.128)
    assert chart.ucl == pytest.approx(x.mean() + 3 * mr / 1.128)
    assert [(i + 1, r) for i, r in chart.violations] == [(18, 4)]


def test_rules_1_2_3_and_cpk():
    base = np.array([10.0, 10.5] * 15)                  # centre 10.25, MR̄ 0.5, σ̂ = 0.4433
    one = base.copy()
    one[20] = 12.0                                      # beyond 3σ̂ (11.58)
    assert (20, 1) in imr(one).violations
    two = base.copy()
    two[[10, 12]] = 11.3                                # two of three beyond 2σ̂ (~11.14 for this σ̂)
    assert any(r == 2 for _i, r in imr(two).violations)
    chart = imr(base, lo=9.0, hi=11.0)
    sigma = 0.5 / 1.128
    assert chart.cpk == pytest.approx(min(11.0 - 10.25, 10.25 - 9.0) / (3 * sigma))
    assert imr(base, hi=11.0).cpk == pytest.approx((11.0 - 10.25) / (3 * sigma))


def test_imr_report_shape():
    t = minutes("2026-03-01 00:00", 20)
    x = np.array([10.0, 9.0] * 5 + [10.1] * 8 + [9.0, 10.0])
    rep = imr_report(t, x, lo=8.0, hi=12.0)
    assert set(rep) == {"center", "sigma", "ucl", "lcl", "mr_bar", "n", "cpk", "violations"}
    assert rep["violations"] == [{"timestamp": "2026-03-01T00:17:00Z", "value": 10.1, "rule": 4}]


def test_thresholds_per_row_agree_with_classify_per_equipment():
    own = Limit("equipment", "P-2", "pressure", lo=1.0, hi=7.0)
    limits = LimitSet([PUMP_P, own])
    names = np.array(["P-1", " p-2 ", "P-3", "V-1", "P-1"])
    types = np.array(["Pump", "Pump", "pump", "Valve", "Pump"])
    values = np.array([5.6, 0.5, 5.9, 9.0, np.nan])
    bounds = thresholds(names, types, "pressure", limits)
    assert np.isnan(bounds[3]).all() and bounds[1].tolist()[1:3] == [1.0, 7.0]
    want = [int(classify(np.array([v]), limits.for_equipment(n, t, "pressure"))[0])
            for n, t, v in zip(names, types, values, strict=True)]
    assert classify_thresholds(values, bounds).tolist() == want == [HI, LO, HIHI, OK, OK]


def test_limits_csv_refuses_a_repeated_key_and_an_unknown_column():
    with pytest.raises(LimitError, match="line 3: type 'PUMP' pressure is already given on line 2"):
        read_limits_csv("scope,name,parameter,hi\ntype,Pump,pressure,5\ntype,PUMP,pressure,6\n")
    with pytest.raises(LimitError, match="line 1: unknown column 'hihj'"):
        read_limits_csv("scope,name,parameter,hihj\ntype,Pump,pressure,5\n")
