"""The ``[workload]`` table of a plan, validated, and the sampler it describes.

A plan without ``[workload]`` sends ``GET /`` with no tags. A full one::

    [workload]
    seed = 7
    languages = { en = 0.5, ja = 0.2, ru = 0.2, hi = 0.1 }     # shares of traffic

    [workload.source]
    kind = "builtin"            # or "file" (txt / csv / jsonl) or "log" (access-log replay)
    pool_size = 100000          # distinct queries per language

    [workload.popularity]
    model = "head_tail"         # or "zipf" (s = 1.0) or "uniform" or "weights"
    top = "1%"
    share = "50%"               # the top 1 % of queries take 50 % of traffic

    [workload.buckets]
    head = "1%"                 # top 1 % of each language's ranks: tagged head
    torso = "9%"                # the next 9 %: torso; the rest: tail

    [workload.template]
    path = "/search"
    params = { q = "{query}", lang = "{lang}" }

Fields left out of the template take the source's defaults: ``GET /search?q={query}&lang={lang}``
for queries, the recorded method and target for a log, ``GET /`` without a source; a body makes
the default method POST. Without ``popularity``, a source with weights (CSV/JSONL weight column,
log counts) uses them and any other source uses Zipf with s = 1. Without ``languages``, the
built-in source uses ``DEFAULT_MIX`` and a file uses its own rows' languages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from loadplan.errors import PlanError
from loadplan.plan.source import FieldPath, PlanSource, format_field
from loadplan.workload.catalog import (
    Catalog,
    MixError,
    constant_catalog,
    pool_catalog,
    table_catalog,
)
from loadplan.workload.pools import build_pool
from loadplan.workload.replay import LogRecords, log_table, read_log
from loadplan.workload.sampler import RequestSampler
from loadplan.workload.sources import QueryTable, is_lang_tag, read_queries
from loadplan.workload.spec_tables import (
    BucketSpec,
    BuiltinSource,
    FileSource,
    LogSource,
    PlaceholderError,
    Popularity,
    Source,
    Spec,
    TemplateSpec,
    Weight,
    popularity_model,
)
from loadplan.workload.template import RequestTemplate
from loadplan.workload.vocab import check_language
from loadplan.workload.zipf import RankModel

DEFAULT_MIX: Mapping[str, float] = MappingProxyType(
    {
        "en": 0.40,
        "es": 0.10,
        "ru": 0.08,
        "de": 0.08,
        "fr": 0.07,
        "zh": 0.07,
        "ja": 0.06,
        "pt": 0.06,
        "ar": 0.04,
        "hi": 0.04,
    }
)
"""The built-in source's language mix when the plan gives none (roughly web-content shares)."""


_UNION_TAGS = {
    "source": ("builtin", "file", "log"),
    "popularity": ("zipf", "head_tail", "uniform", "weights"),
}


class WorkloadSpec(Spec):
    """The ``[workload]`` table. Every field is optional; see the module docstring."""

    seed: int = Field(0, ge=0, lt=2**63)
    source: Source | None = None
    popularity: Popularity | None = None
    languages: dict[str, Weight] | None = None
    buckets: BucketSpec = BucketSpec()
    template: TemplateSpec | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _without_union_tags(
        cls, data: Any, handler: ModelWrapValidatorHandler[WorkloadSpec]
    ) -> Any:
        """Drop the union tag pydantic puts in error locations (``source.log.speed``): plans
        say ``source.speed``, and ``PlanSource`` finds lines by the plan's own field names."""
        try:
            return handler(data)
        except ValidationError as exc:
            errors: list[InitErrorDetails] = []
            for error in exc.errors():
                loc = error["loc"]
                if len(loc) > 1 and loc[1] in _UNION_TAGS.get(str(loc[0]), ()):
                    loc = (loc[0], *loc[2:])
                detail: InitErrorDetails = {
                    "type": error["type"],
                    "loc": loc,
                    "input": error["input"],
                }
                if "ctx" in error:
                    detail["ctx"] = error["ctx"]
                errors.append(detail)
            raise ValidationError.from_exception_data(exc.title, errors) from None

    # Fields validate in order, so these see ``source`` in ``info.data`` unless it failed (then
    # its own error is reported and these stay quiet).
    @field_validator("popularity")
    @classmethod
    def _popularity_fits_source(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or "source" not in info.data:
            return value
        source = info.data["source"]
        if source is None:
            msg = "popularity needs a query source; add [workload.source]"
            raise ValueError(msg)
        if isinstance(source, LogSource) and source.mode == "timing":
            msg = (
                "a timing replay sends the recorded sequence; remove popularity or use mode = 'mix'"
            )
            raise ValueError(msg)
        if isinstance(source, BuiltinSource) and value.model == "weights":
            msg = "built-in pools have no weights; use zipf, head_tail or uniform"
            raise ValueError(msg)
        return value

    @field_validator("languages")
    @classmethod
    def _languages_fit_source(
        cls, value: dict[str, float] | None, info: ValidationInfo
    ) -> dict[str, float] | None:
        if value is None or "source" not in info.data:
            return value
        source = info.data["source"]
        if source is None:
            msg = "a language mix needs a query source; add [workload.source]"
            raise ValueError(msg)
        if isinstance(source, LogSource) and source.mode == "timing":
            msg = (
                "a timing replay sends the recorded sequence; remove languages or use mode = 'mix'"
            )
            raise ValueError(msg)
        if not math.fsum(value.values()) > 0:
            msg = "no language has a share > 0; give at least one a positive share"
            raise ValueError(msg)
        for lang in value:
            if isinstance(source, BuiltinSource):
                check_language(lang)
            elif not is_lang_tag(lang):
                msg = f"{lang!r} is not a language tag; write e.g. en, ja or pt-BR"
                raise ValueError(msg)
        return value


def build_sampler(
    spec: WorkloadSpec, base_dir: Path, *, plan: PlanSource | None = None
) -> RequestSampler:
    """The sampler ``spec`` describes. Files are resolved relative to ``base_dir`` (the plan's
    directory); ``plan``, when given, lets errors name the plan line they come from.

    Raises PlanError for anything the data files or the spec's combination cannot give.

    Example::

        source = PlanSource.read(Path("plan.toml"))
        spec = WorkloadSpec.model_validate(source.data.get("workload", {}))
        sampler = build_sampler(spec, Path("plan.toml").parent, plan=source)
    """
    where = _Where(plan)
    source = spec.source
    warnings: list[str] = []
    if source is None:
        catalog = constant_catalog()
    elif isinstance(source, BuiltinSource):
        catalog = _builtin_catalog(spec, source, where)
    elif isinstance(source, FileSource):
        path = base_dir / source.path
        table = read_queries(
            path,
            source.format,
            lang=source.lang,
            query_column=source.query_column,
            weight_column=source.weight_column,
            lang_column=source.lang_column,
        )
        catalog = _table_catalog(spec, table, where, f"file {path}")
    else:
        path = base_dir / source.path
        records = _read_log(path, source, need_times=source.mode == "timing")
        if (warning := records.warning()) is not None:
            warnings.append(warning)
        table, sequence = log_table(records, source.query_param, source.lang_param)
        if source.mode == "timing":
            catalog = table_catalog(
                table,
                mix=None,
                model=None,
                head=spec.buckets.head,
                torso=spec.buckets.torso,
                label=f"log {path} (recorded timing, speed x{source.speed:g})",
                sequence=sequence,
                offsets=records.offsets(source.speed),
            )
        else:
            catalog = _table_catalog(spec, table, where, f"log {path} (recorded mix)")
    template = _template(spec, catalog, where)
    return RequestSampler(catalog, template, spec.seed, warnings)


def replay_offsets(spec: WorkloadSpec, base_dir: Path) -> npt.NDArray[np.float64]:
    """Due times in seconds (from the first request, after the speed-up) of a timing replay.

    The same array as ``build_sampler(spec, base_dir).offsets``, without building the catalog.
    """
    source = spec.source
    if not isinstance(source, LogSource) or source.mode != "timing":
        msg = "workload.source: recorded timing needs kind = 'log' and mode = 'timing'"
        raise PlanError(msg)
    return _read_log(base_dir / source.path, source, need_times=True).offsets(source.speed)


class _Where:
    """Formats ``file:line field`` prefixes for errors found after validation."""

    def __init__(self, plan: PlanSource | None) -> None:
        self.plan = plan

    def __call__(self, path: FieldPath) -> str:
        full = ("workload", *path)
        place = self.plan.where(full) if self.plan is not None else "plan"
        return f"{place} {format_field(full)}"


def _read_log(path: Path, source: LogSource, need_times: bool) -> LogRecords:
    return read_log(
        path,
        source.format,
        strict=source.strict,
        need_times=need_times,
        timestamp_field=source.timestamp_field,
        url_field=source.url_field,
        method_field=source.method_field,
    )


def _builtin_catalog(spec: WorkloadSpec, source: BuiltinSource, where: _Where) -> Catalog:
    mix = {lang: share for lang, share in (spec.languages or DEFAULT_MIX).items() if share > 0}
    pools = []
    for lang in sorted(mix):
        try:
            pools.append(
                build_pool(
                    lang,
                    source.pool_size,
                    seed=spec.seed,
                    terms=source.terms,
                    vocab_size=source.vocab_size,
                )
            )
        except ValueError as exc:
            raise PlanError(f"{where(('source',))}: {exc}") from None
    # The spec refuses popularity = "weights" for built-in pools, so a model always comes back.
    model = _rank_model(spec, False, where, "the built-in source") or RankModel()
    try:
        return pool_catalog(pools, mix, model, spec.buckets.head, spec.buckets.torso)
    except ValueError as exc:
        raise PlanError(f"{where(('popularity',))}: {exc}") from None


def _table_catalog(spec: WorkloadSpec, table: QueryTable, where: _Where, label: str) -> Catalog:
    model = _rank_model(spec, table.weights is not None, where, table.name)
    try:
        return table_catalog(
            table,
            mix=spec.languages,
            model=model,
            head=spec.buckets.head,
            torso=spec.buckets.torso,
            label=label,
        )
    except MixError as exc:
        raise PlanError(f"{where(('languages',))}: {exc}; fix the mix or the file") from None
    except ValueError as exc:
        raise PlanError(f"{where(('popularity',))}: {exc}") from None


def _template(spec: WorkloadSpec, catalog: Catalog, where: _Where) -> RequestTemplate:
    given = spec.template or TemplateSpec()
    try:
        return given.resolve(spec.source, catalog.rows.columns, has_langs=bool(catalog.langs))
    except PlaceholderError as exc:
        raise PlanError(f"{where(exc.field)} {exc}") from None


def _rank_model(
    spec: WorkloadSpec, has_weights: bool, where: _Where, name: str
) -> RankModel | None:
    try:
        return popularity_model(spec.popularity, has_weights, name)
    except ValueError as exc:
        raise PlanError(f"{where(('popularity', 'model'))} {exc}") from None


def load_sampler(plan_path: Path) -> RequestSampler:
    """Read a plan file and build the sampler of its ``[workload]`` table (other tables ignored).

    Errors name the plan's file and line, or the data file's, and raise PlanError.
    """
    source = PlanSource.read(plan_path)
    table = source.data.get("workload", {})
    try:
        spec = WorkloadSpec.model_validate(table)
    except ValidationError as exc:
        raise source.problems(exc, prefix=("workload",)) from None
    return build_sampler(spec, plan_path.parent, plan=source)
