"""One random stream per named source, so that scenarios compared under one seed share draws.

Each source (arrivals, segment choice, patience, each touchpoint's service times, outcomes, ...)
gets its own ``numpy.random.Generator``, spawned from the run's seed with a key made of the
replication number and the source's name. Keying by *name* rather than by creation order keeps a
source's stream the same when a scenario gains a pool or a touchpoint: adding an agent does not
reshuffle the arrivals, which is what makes paired comparisons (common random numbers) work.

Where draws are not made in one fixed order (the perception of each moment of truth, whose set
and order change with the scenario), a :class:`CounterNoise` addresses each draw by what it is
for instead: the same (customer, contact, step, ...) gets the same number in every scenario.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

BLOCK = 1024
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def source_key(name: str) -> int:
    """A stable 32-bit key for a source name (Python's ``hash`` changes between processes)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "little")


class UniformBuffer:
    """Uniforms handed out one at a time from blocks drawn from one stream.

    Drawing a block at a time keeps per-draw cost low in the customer process, and the k-th
    value is the same whatever the block size, so reproducibility does not depend on it.
    """

    __slots__ = ("_generator", "_values")

    def __init__(self, generator: np.random.Generator) -> None:
        self._generator = generator
        self._values: list[float] = []

    def next(self) -> float:
        """The next uniform in [0, 1) of this stream."""
        if not self._values:
            self._values = self._generator.random(BLOCK).tolist()
            self._values.reverse()
        return self._values.pop()


class CounterNoise:
    """Random numbers addressed by what they are for, not by when they are drawn (counter-based).

    A sequential stream ties a value to how many draws came before it: if one scenario of a
    comparison has a moment the other lacks, every later moment would be perceived differently.
    Here the value for a tuple of integer fields (say customer, contact, step, dimension) is a
    hash of the fields and the source's key (SplitMix64 finaliser, Steele, Lea & Flood 2014), so
    it depends on nothing else: the same encounter gets the same draw in every scenario run
    under one seed (common random numbers), and the call order does not matter.
    """

    __slots__ = ("key",)

    def __init__(self, key: int) -> None:
        self.key = key

    def uniforms(self, *fields: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """One uniform in (0, 1) per row of the (equally long, integer) ``fields``."""
        columns = [np.asarray(values, dtype=np.int64).astype(np.uint64) for values in fields]
        if not columns:
            raise ValueError("CounterNoise needs at least one field to address its draws")
        with np.errstate(over="ignore"):
            h = np.full(columns[0].shape, np.uint64(self.key), dtype=np.uint64)
            for values in columns:
                h = _splitmix(h ^ values)
        # the top 53 bits, centred in their bin: never exactly 0 or 1
        return ((h >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53

    def uniform(self, *fields: int) -> float:
        """The one uniform :meth:`uniforms` gives for these fields, without numpy's per-call cost.

        For a draw made one at a time inside the customer process (a customer's deadline for
        news), where building arrays for a single value would cost more than the draw.
        """
        if not fields:
            raise ValueError("CounterNoise needs at least one field to address its draws")
        h = self.key & _MASK
        for value in fields:
            h = _splitmix_int(h ^ (value & _MASK))
        return ((h >> 11) + 0.5) * 2.0**-53

    def normals(self, *fields: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """One standard normal per row of ``fields`` (the inverse CDF of :meth:`uniforms`)."""
        from scipy.special import ndtri

        return np.asarray(ndtri(self.uniforms(*fields)), dtype=np.float64)


_MASK = (1 << 64) - 1


def _splitmix_int(h: int) -> int:
    """:func:`_splitmix` on one Python integer (64-bit arithmetic by masking)."""
    h = (h + 0x9E3779B97F4A7C15) & _MASK
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


def _splitmix(h: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The SplitMix64 step: a bijective mix of 64-bit words in which every input bit matters."""
    h = h + _GOLDEN
    h = (h ^ (h >> np.uint64(30))) * _MIX1
    h = (h ^ (h >> np.uint64(27))) * _MIX2
    return h ^ (h >> np.uint64(31))


class RandomStreams:
    """The named random sources of one replication of one run."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._generators: dict[str, np.random.Generator] = {}
        self._buffers: dict[str, UniformBuffer] = {}

    def generator(self, name: str) -> np.random.Generator:
        """The generator of one source, created on first use from (seed, replication, name)."""
        generator = self._generators.get(name)
        if generator is None:
            generator = np.random.Generator(np.random.PCG64(self._sequence(name)))
            self._generators[name] = generator
        return generator

    def _sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, source_key(name))
        )

    def uniforms(self, name: str, size: int | tuple[int, ...]) -> npt.NDArray[np.float64]:
        """An array of uniforms from one source."""
        return self.generator(name).random(size)

    def buffer(self, name: str) -> UniformBuffer:
        """A one-at-a-time uniform buffer on one source (for draws made as events happen)."""
        buffer = self._buffers.get(name)
        if buffer is None:
            buffer = UniformBuffer(self.generator(f"{name}#buffered"))
            self._buffers[name] = buffer
        return buffer

    def counter(self, name: str) -> CounterNoise:
        """Counter-based draws of one source, keyed from (seed, replication, name).

        For a source whose draws must not depend on their order or number (see
        :class:`CounterNoise`); its key comes from a sequence of its own, apart from
        :meth:`generator` of the same name.
        """
        state = self._sequence(f"{name}#counter").generate_state(1, np.uint64)
        return CounterNoise(int(state[0]))
