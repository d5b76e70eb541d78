"""Confidence intervals over replications, cut to the range each metric can take.

Every layer that summarises replications (a run, a comparison, a sweep, the analyses) uses
these, so an interval means the same wherever it is printed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from servsim.catalogue import lookup

__all__ = ["CONFIDENCE", "confidence_interval", "metric_interval", "summarise", "valid_range"]

CONFIDENCE = 0.95


def confidence_interval(
    values: pd.Series | np.ndarray,
    confidence: float = CONFIDENCE,
    signed: bool = False,
    valid: tuple[float, float] | None = None,
) -> dict[str, float]:
    """Student-t confidence interval of a mean over replications (NaNs left out).

    The t interval is symmetric, the quantity it covers often is not: its bounds are cut to
    ``valid``, the range the quantity can take (a share cannot exceed 1). Without ``valid``,
    the interval of values that are all >= 0 is cut at 0 unless ``signed`` (a difference).
    """
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    n = array.size
    if n == 0:
        return {
            "mean": math.nan,
            "std": math.nan,
            "n": 0.0,
            "half_width": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
        }
    mean = float(array.mean())
    std = float(array.std(ddof=1)) if n > 1 else math.nan
    if valid is None:
        valid = (0.0 if array.min() >= 0 and not signed else -math.inf, math.inf)
    floor, ceiling = valid
    half = (
        float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n)) if n > 1 else math.nan
    )
    return {
        "mean": mean,
        "std": std,
        "n": float(n),
        "half_width": half,
        # cut to the valid range, but never past the mean itself: a mean outside the range
        # (a measurement that breaks its own definition) must still read low <= mean <= high
        "ci_low": min(max(mean - half, floor), mean) if n > 1 else math.nan,
        "ci_high": max(min(mean + half, ceiling), mean) if n > 1 else math.nan,
    }


def valid_range(metric: str) -> tuple[float, float] | None:
    """The range a metric column can take, from the catalogue; None for an unknown column."""
    found = lookup(metric)
    return found.metric.valid if found is not None else None


def metric_interval(
    values: pd.Series | np.ndarray, metric: str, confidence: float = CONFIDENCE
) -> dict[str, float]:
    """:func:`confidence_interval` cut to the metric's valid range in the catalogue."""
    return confidence_interval(values, confidence, valid=valid_range(metric))


def summarise(replications: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per metric column of a per-replication table, with its confidence interval."""
    metric_columns = [c for c in replications.columns if c != "replication"]
    rows = {name: metric_interval(replications[name], name, confidence) for name in metric_columns}
    summary = pd.DataFrame.from_dict(rows, orient="index")
    summary.index.name = "metric"
    return summary[["mean", "ci_low", "ci_high", "half_width", "std", "n"]]
