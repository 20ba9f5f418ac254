"""The sampler a plan's ``[workload]`` table describes (``loadplan.plan.workload.WorkloadSpec``).

The plan validates the table alone; what only the data can tell (a file's rows and languages,
a log's records, whether each template placeholder has a column to fill it) is checked here,
as the sampler is built, and raised as PlanError naming the plan line it comes from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from loadplan.errors import PlanError
from loadplan.plan.placeholders import compile_text
from loadplan.plan.source import FieldPath, PlanSource, format_field
from loadplan.plan.workload import DEFAULT_MIX, WorkloadSpec
from loadplan.plan.workload_tables import (
    BuiltinSource,
    FileSource,
    LogSource,
    PopularitySpec,
    SourceSpec,
    TemplateSpec,
)
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
from loadplan.workload.sources import QueryTable, read_queries
from loadplan.workload.template import RequestTemplate
from loadplan.workload.zipf import RankModel


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
        return resolve_template(
            given, spec.source, catalog.rows.columns, has_langs=bool(catalog.langs)
        )
    except PlaceholderError as exc:
        raise PlanError(f"{where(exc.field)} {exc}") from None


def _rank_model(
    spec: WorkloadSpec, has_weights: bool, where: _Where, name: str
) -> RankModel | None:
    try:
        return popularity_model(spec.popularity, has_weights, name)
    except ValueError as exc:
        raise PlanError(f"{where(('popularity', 'model'))} {exc}") from None


def resolve_template(
    given: TemplateSpec, source: SourceSpec | None, columns: frozenset[str], *, has_langs: bool
) -> RequestTemplate:
    """The template with the source's defaults filled in (see ``loadplan.plan.workload``);
    raises PlaceholderError for a placeholder the source has no column for."""
    path: str | None
    if source is None:
        method, path, params = "GET", given.path or "/", dict(given.params or {})
    elif isinstance(source, LogSource):
        recorded = given.path is None and given.params is None
        method = "{method}"
        path = None if recorded else (given.path or "/")
        params = dict(given.params or {})
    else:
        method, path = "GET", given.path or "/search"
        default = {"q": "{query}", **({"lang": "{lang}"} if has_langs else {})}
        params = dict(given.params) if given.params is not None else default
    if given.body is not None and not isinstance(source, LogSource):
        method = "POST"
    for field, text in given.texts():
        unknown = sorted(compile_text(text).fields - columns)
        if unknown:
            if columns:
                fix = "use one of " + ", ".join(f"{{{c}}}" for c in sorted(columns))
            else:
                fix = "there is no query source to fill it; add [workload.source]"
            msg = f"= {text!r}: unknown placeholder {{{unknown[0]}}}; {fix}"
            raise PlaceholderError(field, msg)
    return RequestTemplate.build(given.method or method, path, params, given.headers, given.body)


class PlaceholderError(ValueError):
    """A template placeholder the source cannot fill; ``field`` is its path under [workload]."""

    def __init__(self, field: FieldPath, message: str) -> None:
        super().__init__(message)
        self.field = field


def popularity_model(
    popularity: PopularitySpec | None, has_weights: bool, source_name: str
) -> RankModel | None:
    """The rank model ``popularity`` asks for; None means "use the source's weights".

    Without a popularity table, a source with weights uses them and any other uses Zipf s = 1.
    """
    if popularity is None:
        return None if has_weights else RankModel()
    if popularity.model == "weights":
        if not has_weights:
            msg = f"= 'weights': {source_name} has no weights; add a weight column or use zipf"
            raise ValueError(msg)
        return None
    if popularity.model == "zipf":
        return RankModel("zipf", s=popularity.s)
    if popularity.model == "head_tail":
        return RankModel("head_tail", top=popularity.top, share=popularity.share)
    return RankModel("uniform")


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
