"""The ``[workload]`` table of a plan, validated: what to send, in what proportions.

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

This is the description only; ``loadplan.workload.build`` makes the sampler it describes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from loadplan.languages import check_language, is_lang_tag
from loadplan.plan.workload_tables import (
    BucketSpec,
    BuiltinSource,
    LogSource,
    Popularity,
    Source,
    Spec,
    TemplateSpec,
    Weight,
)

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
