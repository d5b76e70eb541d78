"""Random streams: named sources are reproducible and independent; counter noise is addressed.

The counter-based noise is what keeps perception common to compared scenarios, so its tests
check exactly that: a draw depends on its address and key only, not on which other rows are
drawn with it or in what order.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from servsim.streams import CounterNoise, RandomStreams

N = 20_000


def fields(n: int = N) -> tuple[np.ndarray, ...]:
    """Addresses like a moment's: (customer, contact, step, dimension), all distinct."""
    index = np.arange(n)
    return index // 12, (index // 4) % 3, index % 4, np.zeros(n, dtype=np.int64)


def test_counter_draws_depend_only_on_their_address() -> None:
    noise = RandomStreams(seed=3, replication=1).counter("perception")
    customer, contact, step, dim = fields()
    full = noise.normals(customer, contact, step, dim)
    # the same key gives the same values, from a new object too
    again = CounterNoise(noise.key).normals(customer, contact, step, dim)
    assert np.array_equal(full, again)
    # a subset, in another order, gets the very same draws: other rows do not matter (CRN)
    rng = np.random.default_rng(0)
    pick = rng.permutation(N)[: N // 3]
    subset = noise.normals(customer[pick], contact[pick], step[pick], dim[pick])
    assert np.array_equal(subset, full[pick])


def test_counter_draws_change_with_every_field_and_the_key() -> None:
    noise = RandomStreams(seed=3, replication=1).counter("perception")
    base = fields()
    reference = noise.uniforms(*base)
    for k in range(len(base)):
        moved = list(base)
        moved[k] = moved[k] + 1 + N  # outside the used range: a new address in that field
        assert (noise.uniforms(*moved) != reference).all()
    other = CounterNoise(noise.key + 1).uniforms(*base)
    assert (other != reference).all()
    # field order is part of the address
    swapped = noise.uniforms(base[1], base[0], base[2], base[3])
    assert (swapped != reference).mean() > 0.99  # equal only where the two fields are equal


def test_counter_draws_are_uniform_and_normal() -> None:
    noise = RandomStreams(seed=11, replication=0).counter("perception")
    u = noise.uniforms(*fields())
    assert ((u > 0) & (u < 1)).all()
    assert stats.kstest(u, "uniform").pvalue > 1e-4
    z = noise.normals(*fields())
    assert stats.kstest(z, "norm").pvalue > 1e-4
    assert abs(z.mean()) < 4 / np.sqrt(N)
    # neighbouring addresses are not correlated (a weak hash would give serial structure)
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 4 / np.sqrt(N)


def test_counter_keys_come_from_seed_replication_and_name() -> None:
    def key(seed: int, replication: int, name: str) -> int:
        return RandomStreams(seed, replication).counter(name).key

    assert key(1, 0, "perception") == key(1, 0, "perception")
    assert len({key(1, 0, "perception"), key(2, 0, "perception"), key(1, 1, "perception")}) == 3
    assert key(1, 0, "perception") != key(1, 0, "other")
    # using other sources first does not move a source's key
    streams = RandomStreams(1, 0)
    streams.generator("arrivals").random(10)
    streams.buffer("decisions").next()
    assert streams.counter("perception").key == key(1, 0, "perception")


def test_counter_noise_needs_an_address() -> None:
    with pytest.raises(ValueError, match="at least one field"):
        CounterNoise(1).uniforms()


def test_named_generators_are_reproducible_and_independent() -> None:
    a = RandomStreams(5, 2)
    b = RandomStreams(5, 2)
    b.generator("patience").random(100)  # another source drawn first
    assert np.array_equal(a.uniforms("arrivals", 50), b.uniforms("arrivals", 50))
    assert not np.array_equal(
        RandomStreams(5, 2).uniforms("arrivals", 50), RandomStreams(5, 3).uniforms("arrivals", 50)
    )
    # a buffer hands out one value at a time from a stream of its own, whatever the block size
    buffer = RandomStreams(5, 2).buffer("decisions")
    one_by_one = [buffer.next() for _ in range(1500)]
    expected = RandomStreams(5, 2).generator("decisions#buffered").random(2048)[:1500]
    assert np.array_equal(one_by_one, expected)


@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.lists(st.integers(min_value=0, max_value=2**62), min_size=1, max_size=4),
)
def test_one_counter_draw_equals_the_vector_draw(key: int, fields: list[int]) -> None:
    """``uniform`` (one value, pure Python) is ``uniforms`` (numpy) for the same fields."""
    noise = CounterNoise(key)
    vector = noise.uniforms(*[np.array([value]) for value in fields])[0]
    assert noise.uniform(*fields) == vector
    assert 0.0 < noise.uniform(*fields) < 1.0
