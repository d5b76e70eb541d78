"""Sums that combine across batches of records: what a replication keeps as it runs.

A replication hands its records on in batches, each the records of customers who are done
(:class:`servsim.records.RecordBatch`), so it never has to hold every record at once. Every
measure is then built from sums that add up across batches: a mean from a total and a count,
a share from a count of cases and a count of the counted, and a percentile from the values
themselves (``records: full``) or from a histogram with fixed bins (``records: summary``).

Both retentions feed the same batches through the same sums, so every mean and share is the
same number under both; only the percentiles differ, by at most one histogram bin.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["HISTOGRAM_BINS", "Histogram", "RecordRetention", "Tally"]

RecordRetention = Literal["full", "summary"]
"""``full`` keeps every record of a run (tables, figures, per-customer satisfaction);
``summary`` keeps only the sums and histograms its measures are built from."""

HISTOGRAM_SMALLEST = 1e-3
"""The smallest positive value with a bin of its own (seconds); anything smaller but above
zero falls in the first positive bin."""
HISTOGRAM_GROWTH = 1.01
"""Each bin's upper edge is 1% above its lower edge: a percentile read from the histogram is
within 1% of the one read from the values."""
HISTOGRAM_BINS = 1 + math.ceil(math.log(1e12) / math.log(HISTOGRAM_GROWTH))
"""Bin 0 holds zeros (a wait that did not happen); the others span 1 ms to 10^9 s."""

FloatArray = npt.NDArray[np.float64]


class Histogram:
    """Counts of non-negative values in bins whose width grows with the value (1% each).

    Waits and resolution times span milliseconds to days; bins of a fixed relative width keep
    the percentile's relative error the same across that range with a few thousand counters,
    whatever the number of values (as HDR histograms do).
    """

    __slots__ = ("counts",)

    def __init__(self) -> None:
        self.counts = np.zeros(HISTOGRAM_BINS, dtype=np.int64)

    @staticmethod
    def bin_of(values: FloatArray) -> npt.NDArray[np.int64]:
        """The bin of each value (0 for zero and below)."""
        positive = values > 0
        scaled = np.log(np.maximum(values, HISTOGRAM_SMALLEST) / HISTOGRAM_SMALLEST)
        index = 1 + np.floor(scaled / math.log(HISTOGRAM_GROWTH)).astype(np.int64)
        return np.where(positive, np.minimum(index, HISTOGRAM_BINS - 1), 0)

    @staticmethod
    def middle(bins: npt.NDArray[np.int64]) -> FloatArray:
        """The value a bin stands for: the geometric middle of its edges (0 for bin 0)."""
        middle = HISTOGRAM_SMALLEST * HISTOGRAM_GROWTH ** (np.asarray(bins, np.float64) - 0.5)
        return np.where(np.asarray(bins) > 0, middle, 0.0)

    def add(self, values: FloatArray) -> None:
        """Count these values (NaN is left out)."""
        values = values[~np.isnan(values)]
        if values.size:
            self.counts += np.bincount(self.bin_of(values), minlength=HISTOGRAM_BINS)

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts to this one."""
        self.counts += other.counts

    def percentile(self, p: float) -> float:
        """The p-th percentile, interpolated between order statistics as numpy's default does.

        Each order statistic is read as the middle of its bin, so the result is within one
        bin of ``numpy.percentile`` of the values themselves.
        """
        n = int(self.counts.sum())
        if n == 0:
            return math.nan
        rank = p / 100.0 * (n - 1)
        low, high = math.floor(rank), math.ceil(rank)
        cumulative = np.cumsum(self.counts)
        bins = np.searchsorted(cumulative, np.array([low, high]), side="right")
        values = self.middle(bins)
        return float(values[0] + (rank - low) * (values[1] - values[0]))


class Tally:
    """Named sums of one replication, added to batch by batch.

    * :meth:`share` and :meth:`mean` keep a numerator and a denominator; :meth:`value` is
      their quotient (NaN with nothing counted).
    * :meth:`total` keeps a plain sum (counts, seconds of busy time).
    * :meth:`distribution` keeps a mean and the values' distribution: the values with
      ``keep_values`` (exact percentiles), else a :class:`Histogram`.
    """

    __slots__ = ("_histograms", "_ratios", "_totals", "_values", "keep_values")

    def __init__(self, keep_values: bool = True) -> None:
        self.keep_values = keep_values
        self._ratios: dict[str, list[float]] = {}
        self._totals: dict[str, float] = {}
        self._values: dict[str, list[FloatArray]] = {}
        self._histograms: dict[str, Histogram] = {}

    def ratio(self, name: str, numerator: float, denominator: float) -> None:
        """Add to a ratio's numerator and denominator."""
        sums = self._ratios.setdefault(name, [0.0, 0.0])
        sums[0] += numerator
        sums[1] += denominator

    def share(self, name: str, flags: npt.ArrayLike) -> None:
        """Add cases (true flags) and counted (all flags) to a share."""
        array = np.asarray(flags, dtype=bool)
        self.ratio(name, float(np.count_nonzero(array)), float(array.size))

    def mean(self, name: str, values: npt.ArrayLike) -> None:
        """Add values to a mean."""
        array = np.asarray(values, dtype=np.float64)
        self.ratio(name, float(array.sum()), float(array.size))

    def total(self, name: str, value: float) -> None:
        """Add to a plain sum."""
        self._totals[name] = self._totals.get(name, 0.0) + value

    def distribution(self, name: str, values: npt.ArrayLike) -> None:
        """Add values to a mean and to the distribution its percentiles are read from."""
        array = np.asarray(values, dtype=np.float64)
        self.mean(name, array)
        if self.keep_values:
            self._values.setdefault(name, []).append(array)
        else:
            self._histograms.setdefault(name, Histogram()).add(array)

    def value(self, name: str) -> float:
        """A ratio's value: numerator / denominator, NaN when nothing was counted."""
        numerator, denominator = self._ratios.get(name, (0.0, 0.0))
        return numerator / denominator if denominator else math.nan

    def counted(self, name: str) -> float:
        """A ratio's denominator (how many were counted)."""
        return self._ratios.get(name, (0.0, 0.0))[1]

    def sum_of(self, name: str) -> float:
        """A plain sum (0 when nothing was added)."""
        return self._totals.get(name, 0.0)

    def percentile(self, name: str, p: float) -> float:
        """The p-th percentile of a distribution's values (NaN with none)."""
        if self.keep_values:
            chunks = self._values.get(name, [])
            if len(chunks) > 1:  # joined once, so later percentiles reuse it
                chunks[:] = [np.concatenate(chunks)]
            values = chunks[0] if chunks else np.zeros(0)
            return float(np.percentile(values, p)) if values.size else math.nan
        histogram = self._histograms.get(name)
        return histogram.percentile(p) if histogram is not None else math.nan
