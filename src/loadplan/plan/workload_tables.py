"""The sub-tables of ``[workload]``: source, popularity, buckets and request template.

Each is a frozen pydantic model that refuses unknown fields, so a typo in a plan is an error
naming its line, not a silently ignored setting. ``workload.py`` assembles them into
``WorkloadSpec`` and checks how they fit together; ``loadplan.workload.build`` turns them into a
sampler.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
)

from loadplan.languages import is_lang_tag
from loadplan.plan.placeholders import compile_json, compile_text
from loadplan.plan.source import FieldPath

DEFAULT_TERMS: tuple[float, ...] = (0.25, 0.32, 0.23, 0.20)
"""Relative frequency of queries with 1, 2, 3 and 4 terms (see ``loadplan.workload.pools``)."""

MAX_TERMS = 4
DEFAULT_VOCAB_SIZE = 20_000
MAX_VOCAB_SIZE = 50_000
"""The built-in pools pack a query's four word indices into one int64 key, and four indices
below 50,001 fit (50,001 ** 4 < 2 ** 63): the plan refuses what the pools cannot hold."""


def _fraction(value: Any) -> Any:
    """Accept ``"1%"`` as well as ``0.01``: plans quote head/tail specs the way people say them."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100.0
        except ValueError:
            return value
    return value


def _template_text(value: str) -> str:
    compile_text(value)
    return value


def _needs(field: str, choices: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, dict) and field not in value:
            msg = f"{field} is missing; add {field} = {choices}"
            raise ValueError(msg)
        return value

    return BeforeValidator(check)


Fraction = Annotated[float, BeforeValidator(_fraction), Field(gt=0, lt=1, allow_inf_nan=False)]


def _method(value: str) -> str:
    if not _METHOD.fullmatch(value):  # fullmatch: "$" would let "GET\n" through
        msg = "not an HTTP method; write e.g. GET or POST (or a placeholder like {method})"
        raise ValueError(msg)
    return value


def _path(value: str) -> str:
    if not value.startswith("/"):
        msg = "a path starts with '/'; write e.g. /search (the host comes from the target URL)"
        raise ValueError(msg)
    return value


def _header_name(value: str) -> str:
    if not _TOKEN.fullmatch(value):
        msg = "not a header name; use letters, digits and - (e.g. Accept-Language)"
        raise ValueError(msg)
    return value


_METHOD = re.compile(r"^([A-Za-z]+|\{[A-Za-z_]\w*\})$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
TemplateText = Annotated[str, AfterValidator(_template_text)]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateSpec(Spec):
    """``[workload.template]``: what each request looks like; fields left out take defaults."""

    method: Annotated[TemplateText, AfterValidator(_method)] | None = None
    path: Annotated[TemplateText, AfterValidator(_path)] | None = None
    params: dict[str, TemplateText] | None = None
    headers: dict[Annotated[str, AfterValidator(_header_name)], TemplateText] = {}
    body: JsonValue | None = None

    @field_validator("body")
    @classmethod
    def _body_compiles(cls, value: JsonValue | None) -> JsonValue | None:
        compile_json(value)
        return value

    def texts(self) -> Iterator[tuple[FieldPath, str]]:
        """Every template string with its field path under ``[workload]``, for error messages."""
        base: FieldPath = ("template",)
        for name in ("method", "path"):
            value = getattr(self, name)
            if value is not None:
                yield (*base, name), value
        for table in ("params", "headers"):
            for key, value in (getattr(self, table) or {}).items():
                yield (*base, table, key), value
        yield from _json_texts(self.body, (*base, "body"))


def _json_texts(
    value: Any, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_texts(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_texts(item, (*path, index))


class BuiltinSource(Spec):
    """Per-language query pools from real word frequencies (``pools.py``)."""

    kind: Literal["builtin"]
    pool_size: int = Field(100_000, ge=1, le=5_000_000)
    terms: tuple[Weight, ...] = Field(DEFAULT_TERMS, min_length=1, max_length=MAX_TERMS)
    vocab_size: int = Field(DEFAULT_VOCAB_SIZE, ge=100, le=MAX_VOCAB_SIZE)

    @field_validator("terms")
    @classmethod
    def _some_length(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if sum(value) <= 0:
            msg = "all zero; give the relative frequency of 1, 2, 3, 4-term queries"
            raise ValueError(msg)
        return value


class FileSource(Spec):
    """A query file: ``.txt`` (one per line), ``.csv`` / ``.tsv`` or ``.jsonl``."""

    kind: Literal["file"]
    path: str = Field(min_length=1)
    format: Literal["auto", "text", "csv", "jsonl"] = "auto"
    lang: str | None = None
    query_column: str = "query"
    weight_column: str = "weight"
    lang_column: str = "lang"

    @field_validator("lang")
    @classmethod
    def _lang_tag(cls, value: str | None) -> str | None:
        if value is not None and not is_lang_tag(value):
            msg = "not a language tag; write e.g. en, ja or pt-BR"
            raise ValueError(msg)
        return value


class LogSource(Spec):
    """An access log (Common / Combined Log Format or JSON lines) to replay."""

    kind: Literal["log"]
    path: str = Field(min_length=1)
    format: Literal["auto", "common", "combined", "jsonl"] = "auto"
    mode: Literal["mix", "timing"] = "mix"
    speed: float = Field(1.0, gt=0, allow_inf_nan=False)
    strict: bool = False
    query_param: str = "q"
    lang_param: str = "lang"
    timestamp_field: str = "timestamp"
    url_field: str = "url"
    method_field: str = "method"


class ZipfPopularity(Spec):
    model: Literal["zipf"]
    s: float = Field(1.0, ge=0, le=10, allow_inf_nan=False)


class HeadTailPopularity(Spec):
    """The top ``top`` of each language's queries take ``share`` of its traffic (solved Zipf)."""

    model: Literal["head_tail"]
    top: Fraction = 0.01
    share: Fraction = 0.5


class UniformPopularity(Spec):
    model: Literal["uniform"]


class WeightsPopularity(Spec):
    model: Literal["weights"]


class BucketSpec(Spec):
    """Sizes of the head and torso buckets as fractions of each language's ranks."""

    head: Fraction = 0.01
    torso: Annotated[float, BeforeValidator(_fraction), Field(ge=0, lt=1)] = 0.09

    @field_validator("torso")
    @classmethod
    def _fits(cls, value: float, info: ValidationInfo) -> float:
        if value + info.data.get("head", 0.0) > 1:
            msg = "head + torso is more than the whole pool; make them add up to at most 1"
            raise ValueError(msg)
        return value


SourceSpec = BuiltinSource | FileSource | LogSource
PopularitySpec = ZipfPopularity | HeadTailPopularity | UniformPopularity | WeightsPopularity

Source = Annotated[
    SourceSpec,
    Field(discriminator="kind"),
    _needs("kind", "'builtin', 'file' or 'log'"),
]
Popularity = Annotated[
    PopularitySpec,
    Field(discriminator="model"),
    _needs("model", "'zipf', 'head_tail', 'uniform' or 'weights'"),
]
