"""Distribution specs of the scenario and the samplers the model draws from.

Every sampler works by inverse transform: it maps uniforms from a named random stream to values.
That is what makes common random numbers strong: two scenarios that differ only in a mean or a
CV turn the *same* uniform into a shorter or longer service, so their difference is not noise.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Discriminator, Field, Tag

from servsim.schema_types import Duration, PositiveDuration, Real, StrictModel

FloatArray = npt.NDArray[np.float64]

MIN_CV = 0.01
"""The smallest coefficient of variation a lognormal or gamma time may have.

Below it the time is as good as fixed, and a CV near 0 overflows the samplers (a gamma of shape
1 / CV^2): write ``kind: deterministic`` for a fixed time instead.
"""
CV = Annotated[
    Real,
    Field(
        ge=MIN_CV,
        le=20,
        description=f"coefficient of variation, {MIN_CV} to 20; for a fixed time use deterministic",
    ),
]


class Exponential(StrictModel):
    """Memoryless times: the Erlang C / Erlang A baseline (CV 1)."""

    kind: Literal["exponential"] = "exponential"
    mean: PositiveDuration


class Lognormal(StrictModel):
    """Right-skewed service and patience times, as measured in call centres (Brown et al. 2005).

    ``cv`` may be left out: on a service time the contact level then sets it (customer-induced
    variability, docs/model.md section 2); on a patience or a delay it is 1 [ASM].
    """

    kind: Literal["lognormal"] = "lognormal"
    mean: PositiveDuration
    cv: CV | None = None


class ResolvedLognormal(Lognormal):
    """A lognormal whose ``cv`` is known: the only lognormal a resolved scenario holds."""

    cv: Annotated[float, Field(gt=0, le=20)]


class Gamma(StrictModel):
    """Gamma times by mean and coefficient of variation."""

    kind: Literal["gamma"] = "gamma"
    mean: PositiveDuration
    cv: CV


class Weibull(StrictModel):
    """Weibull times by mean and shape; shape < 1 gives many short and a few very long times."""

    kind: Literal["weibull"] = "weibull"
    mean: PositiveDuration
    shape: Annotated[Real, Field(gt=0.05, le=50)]


class Deterministic(StrictModel):
    """A fixed time, e.g. a scripted automated message."""

    kind: Literal["deterministic"] = "deterministic"
    value: Duration


class Empirical(StrictModel):
    """Times drawn with equal probability from measured values (a real sample)."""

    kind: Literal["empirical"] = "empirical"
    values: Annotated[list[Duration], Field(min_length=1)]


def _kind_of(value: Any) -> Any:
    """The ``kind`` of a distribution; one written without it is lognormal (the default shape)."""
    if isinstance(value, dict):
        return value.get("kind", "lognormal")
    return getattr(value, "kind", None)


DistributionSpec = Annotated[
    Annotated[Exponential, Tag("exponential")]
    | Annotated[Lognormal, Tag("lognormal")]
    | Annotated[Gamma, Tag("gamma")]
    | Annotated[Weibull, Tag("weibull")]
    | Annotated[Deterministic, Tag("deterministic")]
    | Annotated[Empirical, Tag("empirical")],
    Discriminator(
        _kind_of,
        custom_error_type="distribution_kind",
        custom_error_message=(
            "unknown distribution kind; allowed: exponential, lognormal, gamma, weibull, "
            "deterministic, empirical"
        ),
    ),
]
"""One of the supported distributions, chosen by its ``kind`` (lognormal when omitted)."""

AnyDistribution = Exponential | Lognormal | Gamma | Weibull | Deterministic | Empirical

ResolvedDistribution = Exponential | ResolvedLognormal | Gamma | Weibull | Deterministic | Empirical
"""A distribution with every parameter known: what the samplers take."""

ResolvedDistributionSpec = Annotated[ResolvedDistribution, Field(discriminator="kind")]
"""A resolved distribution in a resolved scenario (written by servsim, so ``kind`` is given)."""


def mean_of(spec: AnyDistribution) -> float:
    """Expected value of a distribution, in its own unit (seconds for times)."""
    if isinstance(spec, Deterministic):
        return spec.value
    if isinstance(spec, Empirical):
        return float(np.mean(spec.values))
    return spec.mean


def cv_of(spec: ResolvedDistribution) -> float:
    """Coefficient of variation (standard deviation over mean)."""
    if isinstance(spec, Exponential):
        return 1.0
    if isinstance(spec, Lognormal | Gamma):
        return spec.cv
    if isinstance(spec, Weibull):
        g1 = math.gamma(1 + 1 / spec.shape)
        g2 = math.gamma(1 + 2 / spec.shape)
        return math.sqrt(max(g2 / g1**2 - 1.0, 0.0))
    if isinstance(spec, Deterministic):
        return 0.0
    values = np.asarray(spec.values)
    mean = values.mean()
    return float(values.std() / mean) if mean > 0 else 0.0


def quantile(spec: ResolvedDistribution, u: FloatArray) -> FloatArray:
    """Map uniforms in [0, 1) to values of the distribution (inverse transform sampling)."""
    if isinstance(spec, Exponential):
        return -spec.mean * np.log1p(-u)
    if isinstance(spec, Lognormal):
        from scipy.special import ndtri  # imported on first use: validating needs no scipy

        sigma2 = math.log1p(spec.cv**2)
        mu = math.log(spec.mean) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * ndtri(u))
    if isinstance(spec, Gamma):
        from scipy.special import gammaincinv

        shape = 1.0 / spec.cv**2
        return np.asarray(gammaincinv(shape, u), dtype=np.float64) * (spec.mean / shape)
    if isinstance(spec, Weibull):
        scale = spec.mean / math.gamma(1 + 1 / spec.shape)
        return scale * (-np.log1p(-u)) ** (1 / spec.shape)
    if isinstance(spec, Deterministic):
        return np.full(u.shape, spec.value)
    values = np.asarray(spec.values, dtype=np.float64)
    index = np.minimum((u * len(values)).astype(np.int64), len(values) - 1)
    return values[index]


def sample(spec: ResolvedDistribution, rng: np.random.Generator, size: int) -> FloatArray:
    """Draw ``size`` values from one random stream."""
    return quantile(spec, rng.random(size))
