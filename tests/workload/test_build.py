"""The [workload] table: defaults, validation errors with plan lines, and what it builds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from loadplan.engine.request import Request
from loadplan.errors import PlanError
from loadplan.plan.source import PlanSource
from loadplan.plan.workload import WorkloadSpec
from loadplan.workload.build import build_sampler, load_sampler, replay_offsets

from .conftest import WriteFile


def _problems(text: str) -> list[str]:
    source = PlanSource.parse(text, name="plan.toml")
    try:
        WorkloadSpec.model_validate(source.data.get("workload", {}))
    except ValidationError as exc:
        return source.problems(exc, prefix=("workload",)).problems
    return []


def test_no_workload_table_sends_get_root_untagged() -> None:
    sampler = build_sampler(WorkloadSpec(), Path("."))
    assert sampler.batch(0, 2) == [Request("GET", "/", (), b"", ())] * 2


def test_a_template_without_a_source() -> None:
    spec = WorkloadSpec.model_validate({"template": {"path": "/health", "headers": {"X-A": "1"}}})
    assert build_sampler(spec, Path(".")).batch(0, 1) == [
        Request("GET", "/health", (("X-A", "1"),), b"", ())
    ]


def test_spec_is_frozen() -> None:
    spec = WorkloadSpec()
    with pytest.raises(ValidationError):
        spec.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "[workload]\nseeed = 1\n",
            "plan.toml:2 workload.seeed: unknown field; check its spelling",
            id="typo",
        ),
        pytest.param(
            "[workload]\nseed = -4\n",
            "plan.toml:2 workload.seed = -4: Input should be greater than or equal to 0",
            id="negative-seed",
        ),
        pytest.param(
            "[workload.source]\npath = 'x'\n",
            "plan.toml:1 workload.source: kind is missing; add kind = 'builtin', 'file' or 'log'",
            id="no-kind",
        ),
        pytest.param(
            "[workload.source]\nkind = 'db'\n",
            "plan.toml:2 workload.source.kind = 'db': unknown; use one of builtin, file, log",
            id="bad-kind",
        ),
        pytest.param(
            "[workload.source]\nkind = 'log'\npath = 'a.log'\nspeed = 0\n",
            "plan.toml:4 workload.source.speed = 0: Input should be greater than 0",
            id="zero-speed",
        ),
        pytest.param(
            "[workload.source]\nkind = 'builtin'\nterms = [0, 0]\n",
            "plan.toml:3 workload.source.terms: all zero; give the relative frequency of 1, 2, 3, "
            "4-term queries",
            id="terms-all-zero",
        ),
        pytest.param(
            "[workload.source]\nkind = 'builtin'\npool_size = 0\n",
            "plan.toml:3 workload.source.pool_size = 0: Input should be greater than or equal to 1",
            id="pool-size-zero",
        ),
        pytest.param(
            "[workload.source]\nkind = 'file'\npath = 'q.txt'\nlang = 'english'\n",
            "plan.toml:4 workload.source.lang = 'english': not a language tag; write e.g. en, ja "
            "or pt-BR",
            id="file-lang",
        ),
        pytest.param(
            "[workload]\npopularity = { model = 'uniform' }\n",
            "plan.toml:2 workload.popularity: popularity needs a query source; add "
            "[workload.source]",
            id="popularity-without-source",
        ),
        pytest.param(
            "[workload]\npopularity = { s = 1 }\n",
            "plan.toml:2 workload.popularity: model is missing; add model = 'zipf', 'head_tail', "
            "'uniform' or 'weights'",
            id="popularity-no-model",
        ),
        pytest.param(
            "[workload.source]\nkind = 'builtin'\n[workload.popularity]\nmodel = 'weights'\n",
            "plan.toml:3 workload.popularity: built-in pools have no weights; use zipf, head_tail "
            "or uniform",
            id="weights-for-builtin",
        ),
        pytest.param(
            "[workload.source]\nkind = 'builtin'\n[workload.popularity]\nmodel = "
            "'head_tail'\nshare = '150%'\n",
            "plan.toml:5 workload.popularity.share = '150%': Input should be less than 1",
            id="share-over-100%",
        ),
        pytest.param(
            "[workload.source]\nkind = 'builtin'\n[workload.popularity]\nmodel = 'zipf'\ns = -1\n",
            "plan.toml:5 workload.popularity.s = -1: Input should be greater than or equal to 0",
            id="negative-exponent",
        ),
        pytest.param(
            "[workload.source]\nkind = 'log'\npath = 'a.log'\nmode = "
            "'timing'\n[workload.popularity]\nmodel = 'zipf'\n",
            "plan.toml:5 workload.popularity: a timing replay sends the recorded sequence; remove "
            "popularity or use mode = 'mix'",
            id="popularity-for-timing",
        ),
        pytest.param(
            "[workload]\nlanguages = { en = 1, xx = 2 }\n[workload.source]\nkind = 'builtin'\n",
            "plan.toml:2 workload.languages: unknown language 'xx': use one of ar, de, en, es, "
            "fr, hi, ja, pt, ru, zh",
            id="unknown-language",
        ),
        pytest.param(
            "[workload]\nlanguages = { en = -1 }\n[workload.source]\nkind = 'builtin'\n",
            "plan.toml:2 workload.languages.en = -1: Input should be greater than or equal to 0",
            id="negative-share",
        ),
        pytest.param(
            "[workload]\nlanguages = { en = 0 }\n[workload.source]\nkind = 'builtin'\n",
            "plan.toml:2 workload.languages: no language has a share > 0; give at least one a "
            "positive share",
            id="all-zero-mix",
        ),
        pytest.param(
            "[workload]\nlanguages = { en = 1 }\n",
            "plan.toml:2 workload.languages: a language mix needs a query source; add "
            "[workload.source]",
            id="mix-without-source",
        ),
        pytest.param(
            "[workload]\nlanguages = { 'e n' = 1 }\n[workload.source]\nkind = 'file'\npath = "
            "'q.txt'\n",
            "plan.toml:2 workload.languages: 'e n' is not a language tag; write e.g. en, ja or "
            "pt-BR",
            id="file-mix-bad-tag",
        ),
        pytest.param(
            "[workload.buckets]\nhead = 0.6\ntorso = 0.5\n",
            "plan.toml:3 workload.buckets.torso = 0.5: head + torso is more than the whole pool; "
            "make them add up to at most 1",
            id="buckets-overflow",
        ),
        pytest.param(
            "[workload.buckets]\nhead = '0%'\n",
            "plan.toml:2 workload.buckets.head = '0%': Input should be greater than 0",
            id="empty-head",
        ),
        pytest.param(
            "[workload.template]\nparams = { q = '{query!r}' }\n",
            "plan.toml:2 workload.template.params.q = '{query!r}': placeholder {query!r} is not a "
            "plain name; write e.g. {query} or {lang}, and {{ }} for literal braces",
            id="placeholder-syntax",
        ),
        pytest.param(
            "[workload.template]\npath = 'search'\n",
            "plan.toml:2 workload.template.path = 'search': a path starts with '/'; write e.g. "
            "/search (the host comes from the target URL)",
            id="relative-path",
        ),
        pytest.param(
            "[workload.template]\nmethod = 'GET /'\n",
            "plan.toml:2 workload.template.method = 'GET /': not an HTTP method; write e.g. GET "
            "or POST (or a placeholder like {method})",
            id="bad-method",
        ),
        pytest.param(
            "[workload.template]\nbody = { q = '{query' }\n",
            "plan.toml:2 workload.template.body: expected '}' before end of string; write "
            "placeholders as {name} and literal braces as {{ and }}",
            id="bad-body",
        ),
        pytest.param(
            "workload = 3\n",
            "plan.toml:1 workload = 3: Input should be a valid dictionary or instance of "
            "WorkloadSpec",
            id="not-a-table",
        ),
    ],
)
def test_validation_errors_name_line_field_value_and_fix(text: str, expected: str) -> None:
    assert _problems(text) == [expected]


def test_percentages_and_fractions() -> None:
    spec = WorkloadSpec.model_validate(
        {
            "source": {"kind": "builtin"},
            "popularity": {"model": "head_tail", "top": "1 %", "share": 0.5},
            "buckets": {"head": "2%", "torso": "8%"},
        }
    )
    assert spec.popularity is not None
    assert spec.popularity.model == "head_tail"
    assert (spec.popularity.top, spec.popularity.share) == (0.01, 0.5)
    assert (spec.buckets.head, spec.buckets.torso) == (0.02, 0.08)


def _plan(write_file: WriteFile, text: str) -> Path:
    return write_file("plan.toml", text)


@pytest.mark.parametrize(
    ("files", "plan", "expected"),
    [
        pytest.param(
            {"q.txt": "a\nb\n"},
            "[workload.source]\nkind = 'file'\npath = 'q.txt'\n[workload.template]\nparams = { q "
            "= '{query}', d = '{device}' }\n",
            "plan.toml:5 workload.template.params.d = '{device}': unknown placeholder {device}; "
            "use one of {query}",
            id="unknown-placeholder",
        ),
        pytest.param(
            {},
            "[workload.template]\npath = '/s/{query}'\n",
            "plan.toml:2 workload.template.path = '/s/{query}': unknown placeholder {query}; "
            "there is no query source to fill it; add [workload.source]",
            id="placeholder-without-source",
        ),
        pytest.param(
            {"q.txt": "a\n"},
            "[workload]\n[workload.source]\nkind = 'file'\npath = "
            "'q.txt'\n[workload.popularity]\nmodel = 'weights'\n",
            "plan.toml:6 workload.popularity.model = 'weights': {dir}/q.txt has no weights; add a "
            "weight column or use zipf",
            id="weights-without-weights",
        ),
        pytest.param(
            {"q.csv": "query,lang\na,en\nb,de\n"},
            "[workload]\nlanguages = { en = 1, ja = 1 }\n[workload.source]\nkind = 'file'\npath = "
            "'q.csv'\n",
            "plan.toml:2 workload.languages: no queries in ja (the source has: de, en); fix the "
            "mix or the file",
            id="mix-language-not-in-file",
        ),
        pytest.param(
            {"q.txt": "a\nb\nc\n"},
            "[workload.source]\nkind = 'file'\npath = 'q.txt'\n[workload.popularity]\nmodel = "
            "'head_tail'\ntop = 0.5\nshare = 0.6\n",
            "plan.toml:4 workload.popularity: head/tail: top 0.5 of 3 queries is 2 queries, which "
            "take 66.67% even with uniform popularity; share = 0.6 must be above that and below 1",
            id="head-tail-impossible",
        ),
        pytest.param(
            {},
            "[workload.source]\nkind = 'file'\npath = 'missing.csv'\n",
            "{dir}/missing.csv: no such file; check source.path (relative to the plan's directory)",
            id="missing-file",
        ),
        pytest.param(
            {"q.csv": "query,weight\na,1\nb,-1\n"},
            "[workload.source]\nkind = 'file'\npath = 'q.csv'\n",
            "{dir}/q.csv:3 weight = '-1': negative; weights are relative popularity, write >= 0",
            id="data-file-error-names-data-file",
        ),
        pytest.param(
            {},
            "[workload]\nlanguages = { ja = 1 }\n[workload.source]\nkind = 'builtin'\npool_size = "
            "100\nterms = [1]\nvocab_size = 100\n",
            "plan.toml:3 workload.source: pool_size = 100 for 'ja': only 90 distinct queries "
            "could be made from 90 words with up to 1 terms; lower pool_size, raise vocab_size or "
            "allow longer queries",
            id="pool-too-big-for-vocabulary",
        ),
    ],
)
def test_build_errors_name_their_place(
    write_file: WriteFile, tmp_path: Path, files: dict[str, str], plan: str, expected: str
) -> None:
    for name, content in files.items():
        write_file(name, content)
    path = _plan(write_file, plan)
    with pytest.raises(PlanError) as caught:
        load_sampler(path)
    assert caught.value.problems == [
        expected.replace("plan.toml", str(path)).replace("{dir}", str(tmp_path))
    ]


def test_files_are_relative_to_the_plan(write_file: WriteFile, tmp_path: Path) -> None:
    write_file("q.csv", "query,weight,lang,device\nhello world,3,en,mobile\nhallo,1,de,desk\n")
    path = _plan(
        write_file,
        "[workload]\nseed = 4\n[workload.source]\nkind = 'file'\npath = 'q.csv'\n"
        "[workload.template]\nheaders = { X-Device = '{device}' }\n",
    )
    requests = load_sampler(path).batch(0, 200)
    assert {r.target for r in requests} == {
        "/search?q=hello%20world&lang=en",
        "/search?q=hallo&lang=de",
    }
    english = [r for r in requests if r.target.endswith("lang=en")]
    assert 0.6 < len(english) / len(requests) < 0.9
    assert english[0].headers == (("X-Device", "mobile"),)
    assert english[0].tags == (("lang", "en"), ("bucket", "head"))


def test_text_file_uses_zipf_over_file_order(write_file: WriteFile) -> None:
    write_file("q.txt", "\n".join(f"query {i}" for i in range(100)))
    path = _plan(write_file, "[workload.source]\nkind = 'file'\npath = 'q.txt'\n")
    sampler = load_sampler(path)
    assert sampler.catalog.probs[0] == pytest.approx(1 / sum(1 / r for r in range(1, 101)))
    assert sampler.batch(0, 1)[0].target.startswith("/search?q=query%20")
    assert "lang=" not in sampler.batch(0, 1)[0].target


def test_body_makes_post(write_file: WriteFile) -> None:
    write_file("q.jsonl", '{"query": "a", "lang": "en"}\n')
    path = _plan(
        write_file,
        "[workload.source]\nkind = 'file'\npath = 'q.jsonl'\n"
        "[workload.template]\npath = '/api'\nbody = { q = '{query}', n = 3 }\n",
    )
    (request,) = load_sampler(path).batch(0, 1)
    assert (request.method, request.target, request.body) == (
        "POST",
        "/api?q=a&lang=en",
        b'{"q":"a","n":3}',
    )


LOG = "\n".join(
    f'1.2.3.4 - - [01/Jan/2024:00:00:{second:02d} +0000] "GET /s?q={q}&lang=en HTTP/1.1" 200 1'
    for second, q in [(0, "a"), (1, "b"), (1, "a"), (4, "c"), (6, "a")]
)


def test_log_mix_samples_recorded_requests(write_file: WriteFile) -> None:
    write_file("a.log", LOG + "\nnot a log line\n")
    path = _plan(write_file, "[workload.source]\nkind = 'log'\npath = 'a.log'\n")
    sampler = load_sampler(path)
    (warning,) = sampler.warnings
    assert "skipped 1 of 6 lines" in warning
    assert sampler.offsets is None
    assert sampler.length is None
    targets = [r.target for r in sampler.batch(0, 2000)]
    assert set(targets) == {"/s?q=a&lang=en", "/s?q=b&lang=en", "/s?q=c&lang=en"}
    assert 0.5 < targets.count("/s?q=a&lang=en") / len(targets) < 0.7


def test_log_timing_replays_in_order(write_file: WriteFile, tmp_path: Path) -> None:
    write_file("a.log", LOG)
    path = _plan(
        write_file, "[workload.source]\nkind = 'log'\npath = 'a.log'\nmode = 'timing'\nspeed = 2\n"
    )
    sampler = load_sampler(path)
    assert sampler.length == 5
    assert sampler.offsets is not None
    assert sampler.offsets.tolist() == [0.0, 0.5, 0.5, 2.0, 3.0]
    queries = [r.target.split("q=")[1][0] for r in sampler.batch(0, 7)]
    assert queries == ["a", "b", "a", "c", "a", "a", "b"], "wraps after one pass"
    assert sampler.batch(1, 5, worker=1, workers=2) == [
        sampler.batch(1, 2)[0],
        sampler.batch(3, 4)[0],
    ]
    spec = WorkloadSpec.model_validate(PlanSource.read(path).data["workload"])
    assert replay_offsets(spec, tmp_path).tolist() == sampler.offsets.tolist()


def test_log_with_own_template(write_file: WriteFile) -> None:
    write_file("a.log", LOG)
    path = _plan(
        write_file,
        "[workload.source]\nkind = 'log'\npath = 'a.log'\n"
        "[workload.template]\nmethod = 'POST'\npath = '/v2{path}'\nparams = { query = '{query}' "
        "}\n",
    )
    requests = load_sampler(path).batch(0, 100)
    assert {(r.method, r.target) for r in requests} == {("POST", f"/v2/s?query={q}") for q in "abc"}
    assert {r.tags for r in requests if r.target.endswith("a")} == {
        (("lang", "en"), ("bucket", "head"))
    }


def test_replay_offsets_needs_a_timing_log() -> None:
    with pytest.raises(PlanError, match="recorded timing needs kind = 'log' and mode = 'timing'"):
        replay_offsets(WorkloadSpec(), Path("."))


def test_builtin_source_default_mix_is_about_languages(write_file: WriteFile) -> None:
    path = _plan(
        write_file,
        "[workload]\nseed = 1\nlanguages = { en = 2, hi = 1, zh = 0 }\n"
        "[workload.source]\nkind = 'builtin'\npool_size = 500\n",
    )
    sampler = load_sampler(path)
    assert sampler.catalog.langs == ("en", "hi"), "zero-share languages build no pool"
    langs = [dict(r.tags)["lang"] for r in sampler.batch(0, 3000)]
    assert 0.6 < langs.count("en") / len(langs) < 0.73


def test_builtin_sequence_does_not_depend_on_mix_order(write_file: WriteFile) -> None:
    source = "[workload.source]\nkind = 'builtin'\npool_size = 300\n"
    first = "[workload]\nlanguages = { en = 2, ru = 1 }\n" + source
    second = "[workload]\nlanguages = { ru = 1, en = 2 }\n" + source
    a = load_sampler(_plan(write_file, first)).batch(0, 500)
    b = load_sampler(_plan(write_file, second)).batch(0, 500)
    assert a == b
