"""The compile-time benchmark's accounting (``bench.bench_compile.summarise``): nested compiles are inside
their parent's time, so the outermost compiles' sum is the total and the kernels' own times add up to it."""
import math
import random

from bench.bench_compile import summarise


def test_nested_compiles_count_once_in_the_total_and_in_their_parents():
    events = [("A", 0.0, 10.0), ("B", 1.0, 4.0), ("C", 2.0, 3.0), ("B", 5.0, 6.0), ("D", 12.0, 13.0)]
    random.Random(0).shuffle(events)            # the order they are recorded in (ends first) does not matter
    total, table = summarise(events)
    assert total == 11.0                         # A and D: the outermost
    assert table["A"] == [10.0, 6.0, 1]          # its 10 s less B's two compiles (3 + 1)
    assert table["B"] == [4.0, 3.0, 2]           # two signatures; C's second inside the first
    assert table["C"] == [1.0, 1.0, 1]
    assert table["D"] == [1.0, 1.0, 1]


def test_the_kernels_own_times_add_up_to_the_total_on_random_trees():
    rng = random.Random(1)
    for _ in range(50):
        events, t = [], 0.0

        def tree(start, depth):
            # a compile from ``start`` with up to three nested ones, each inside it; returns its end
            cursor = start + rng.random()
            for _ in range(rng.randrange(4) if depth < 4 else 0):
                cursor = tree(cursor, depth + 1) + rng.random()
            events.append((f"k{rng.randrange(6)}", start, cursor))
            return cursor

        roots = 0.0
        for _ in range(rng.randrange(1, 5)):
            end = tree(t, 0)
            roots += end - t
            t = end + rng.random()
        total, table = summarise(events)
        assert math.isclose(total, roots, rel_tol=1e-12)
        assert math.isclose(sum(row[1] for row in table.values()), total, rel_tol=1e-9)
        assert sum(row[2] for row in table.values()) == len(events)
