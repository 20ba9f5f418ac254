"""Secret header values replaced before they reach the run directory (results/redact.py)."""

from __future__ import annotations

import pytest

from loadplan.plan.model import Plan
from loadplan.results.redact import REDACTED, is_secret_header, redact_command, redact_plan


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("Authorization", True),
        ("proxy-authorization", True),
        ("Cookie", True),
        ("Set-Cookie", True),
        ("X-Api-Key", True),
        ("x-apikey", True),
        ("X-Auth-Token", True),
        ("X-CSRF-Token", True),
        ("X-Client-Secret", True),
        ("X-Password", True),
        ("Accept", False),
        ("Content-Type", False),
        ("X-Request-Id", False),
        ("User-Agent", False),
    ],
    ids=lambda v: str(v),
)
def test_which_headers_are_secret(name: str, secret: bool) -> None:
    assert is_secret_header(name) is secret


def test_every_headers_table_of_a_plan_is_redacted_and_the_plan_still_loads() -> None:
    plan = Plan.model_validate(
        {
            "target": {"url": "http://127.0.0.1:9"},
            "load": {"rate": 10, "duration": 1},
            "workload": {"template": {"headers": {"X-Api-Key": "k", "Accept": "text/plain"}}},
            "admin": {"cache_flush": "/flush", "headers": {"Authorization": "Bearer t"}},
        }
    )
    dump = redact_plan(plan.model_dump(mode="json"))
    assert dump["workload"]["template"]["headers"] == {
        "X-Api-Key": REDACTED,
        "Accept": "text/plain",
    }
    assert dump["admin"]["headers"] == {"Authorization": REDACTED}
    # What re-judging reads back from meta.json is still a valid plan.
    assert Plan.model_validate(dump).admin.headers == {"Authorization": REDACTED}


@pytest.mark.parametrize(
    ("command", "redacted"),
    [
        (None, None),
        ("loadplan run --url http://x --rate 5", "loadplan run --url http://x --rate 5"),
        (
            "loadplan run --header 'Authorization: Bearer t' --rate 5",
            f"loadplan run --header 'Authorization: {REDACTED}' --rate 5",
        ),
        (
            "loadplan run '--header=X-Api-Key: k' --header 'Accept: text/plain'",
            f"loadplan run '--header=X-Api-Key: {REDACTED}' --header 'Accept: text/plain'",
        ),
        ("loadplan run --header 'Authorization", REDACTED),
    ],
    ids=["none", "no-header", "authorization", "equals-form-and-plain", "unbalanced-quote"],
)
def test_the_command_line_keeps_header_names_not_secret_values(
    command: str | None, redacted: str | None
) -> None:
    assert redact_command(command) == redacted
