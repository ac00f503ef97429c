"""benchmarks/batch_cost.py: an increment is exactly the deliveries asked for, or the run stops."""


import pytest

from benchmark_scripts import load_benchmark


@pytest.fixture(scope="module")
def batch_cost():
    return load_benchmark("batch_cost")


def test_an_increment_takes_the_next_deliveries_of_the_one_stream(batch_cost):
    stream = iter(range(10))
    assert list(batch_cost.take(stream, 4, "base")) == [0, 1, 2, 3]
    assert list(batch_cost.take(stream, 6, "+1%")) == [4, 5, 6, 7, 8, 9]


def test_a_timeline_that_ends_early_stops_the_run_instead_of_labelling_a_smaller_increment(batch_cost):
    stream = iter(range(5))
    taken = []
    with pytest.raises(SystemExit, match=r"\+5%: the generated timeline ended after 3 of 4 deliveries"):
        for x in batch_cost.take(stream, 2, "+1%"):
            taken.append(x)
        for x in batch_cost.take(stream, 4, "+5%"):
            taken.append(x)
    assert taken == [0, 1, 2, 3, 4]
