"""The exact M/D/c wait against a simulated queue and against closed forms (M/D/1's P(W > 0) =
u and its mean wait uD / (2(1 - u)) at utilisation u, Little's law for the queue length)."""

from __future__ import annotations

import numpy as np
import pytest

from loadplan.analysis.capacity.mdc import MAX_UTILISATION, MdcWait, number_present
from loadplan.analysis.capacity.queueing import erlang_c
from tests.support.mdc import sojourn_times

SERVICE_S = 0.02


@pytest.mark.parametrize(
    ("servers", "rate"),
    [(1, 30.0), (4, 150.0), (8, 200.0), (8, 330.0), (32, 1400.0)],
    ids=["md1", "md4", "md8-half", "md8-busy", "md32"],
)
def test_the_wait_is_the_simulated_queues(servers: int, rate: float) -> None:
    _, times = sojourn_times(rate, servers, SERVICE_S, 300_000, seed=3)
    waits = (times - SERVICE_S)[10_000:]  # the queue starts empty: skip its warm-up
    exact = MdcWait.of(servers, rate * SERVICE_S)
    at = np.array([0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5])
    simulated = np.array([(waits > t * SERVICE_S + 1e-9).mean() for t in at])
    assert exact.survival_at(at) == pytest.approx(simulated, abs=0.012)


def test_one_server_matches_the_closed_forms() -> None:
    rho = 0.7
    exact = MdcWait.of(1, rho)
    assert exact.waits == pytest.approx(rho, abs=1e-9)
    # The mean wait is the area under the survival function (in service times).
    mean = float(np.trapezoid(exact.survival, exact.at))
    assert mean == pytest.approx(rho / (2 * (1 - rho)), rel=1e-3)


def test_the_number_present_obeys_littles_law() -> None:
    # Mean number present = λ (D + mean wait), in units of D: a + mean wait * a.
    servers, load = 8, 6.4
    present = number_present(servers, load)
    exact = MdcWait.of(servers, load)
    mean_wait = float(np.trapezoid(exact.survival, exact.at))
    assert present.sum() == pytest.approx(1.0)
    mean_present = float(present @ np.arange(present.size))
    assert mean_present == pytest.approx(load * (1 + mean_wait), rel=1e-3)


def test_fewer_wait_than_with_exponential_service() -> None:
    # Services that do not vary queue less than exponential ones: M/D/c's P(W > 0) is under
    # Erlang C, which is why the latency model may skip a wait Erlang C calls negligible.
    for servers, rho in [(2, 0.5), (8, 0.6), (64, 0.9), (256, 0.95)]:
        assert MdcWait.of(servers, servers * rho).waits < erlang_c(servers, servers * rho)


def test_no_load_no_wait_and_no_table_past_the_utilisation_it_computes() -> None:
    assert MdcWait.of(4, 0.0).waits == 0.0
    assert MdcWait.of(256, 128.0).waits < 1e-9
    with pytest.raises(ValueError, match="out of range"):
        MdcWait.of(2, 2 * MAX_UTILISATION + 0.01)
    with pytest.raises(ValueError, match="at least one server"):
        MdcWait.of(0, 0.5)
