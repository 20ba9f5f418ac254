"""scenarios/outage.py: windows of refused and reset connections become "target unreachable"
and "target back" events; slow or failing answers do not."""

from __future__ import annotations

import pytest

from loadplan.scenarios.outage import Outage, OutageWatch
from tests.support.snapshots import second

OK = {"ok": 10}
REFUSED = {"connect_refused": 10}


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        pytest.param([OK, OK, OK], [], id="no-outage"),
        pytest.param(
            [OK, {"ok": 4, "connection_reset": 2, "timeout": 1}, REFUSED, {"ok": 6, **REFUSED}, OK],
            [
                Outage(
                    1.0, 4.0, {"connection_reset": 2, "timeout": 1, "connect_refused": 20}, 10, 4.0
                )
            ],
            id="kill-and-restart",
        ),
        pytest.param(
            [OK, REFUSED, REFUSED],
            [Outage(1.0, 3.0, {"connect_refused": 20}, 0, None)],
            id="never-back",
        ),
        pytest.param(
            [REFUSED, OK, {"connection_reset": 1, "ok": 9}, OK],
            [
                Outage(0.0, 1.0, {"connect_refused": 10}, 0, 1.0),
                Outage(2.0, 3.0, {"connection_reset": 1}, 9, 3.0),
            ],
            id="two-outages",
        ),
        pytest.param(
            [OK, {"timeout": 10}, {"http_5xx": 10}, OK], [], id="slow-or-failing-is-not-gone"
        ),
        pytest.param(
            [REFUSED, {}, OK],
            [Outage(0.0, 1.0, {"connect_refused": 10}, 0, 2.0)],
            id="an-empty-second-neither-ends-nor-extends",
        ),
    ],
)
def test_outages(seconds: list[dict[str, int]], expected: list[Outage]) -> None:
    watch = OutageWatch()
    for index, errors in enumerate(seconds):
        watch.see(second(index, "s", errors=errors))
    assert list(watch.outages) == expected


def test_events_name_the_window_and_the_return() -> None:
    watch = OutageWatch()
    for index, errors in enumerate([OK, REFUSED, OK]):
        watch.see(second(index, "s", errors=errors))
    assert watch.events() == [
        {
            "event": "target unreachable",
            "from_s": 1.0,
            "to_s": 2.0,
            "errors": {"connect_refused": 10},
            "ok": 0,
        },
        {"event": "target back", "t_s": 2.0},
    ]
