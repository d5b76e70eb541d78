"""One random stream per named source, so that scenarios compared under one seed share draws.

Each source (arrivals, segment choice, patience, each touchpoint's service times, outcomes, ...)
gets its own ``numpy.random.Generator``, spawned from the run's seed with a key made of the
replication number and the source's name. Keying by *name* rather than by creation order keeps a
source's stream the same when a scenario gains a pool or a touchpoint: adding an agent does not
reshuffle the arrivals, which is what makes paired comparisons (common random numbers) work.
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

BLOCK = 1024


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
            sequence = np.random.SeedSequence(
                entropy=self.seed, spawn_key=(self.replication, source_key(name))
            )
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = generator
        return generator

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
