"""Full-text search over the corpus: one SQLite FTS5 table per language, ranked by BM25.

Why FTS5: it ships inside Python's own sqlite3 (checked at build time by ``check_fts5``), it
ranks with BM25, and a query does real work (posting lists, scoring, snippets) that a cache hit
skips, which is exactly the cost contrast a load test of a cache needs to see.

Tokenizers, chosen per script:

* Space-separated languages use ``unicode61`` with ``categories 'L* N* Co M*'``. The default
  categories leave out combining marks, and that shreds Devanagari: "किताब" would be indexed as
  the lone consonants क त ब. Counting marks as word characters keeps Hindi (and Arabic with
  harakat) words whole.
* Chinese and Japanese have no spaces, so words cannot be told apart without a dictionary; the
  ``trigram`` tokenizer indexes every three-character substring instead. Trigrams cannot answer
  a term of one or two characters (most Chinese words are two), so each CJK language has a second,
  contentless table of single characters (the text re-spaced one character a token) where a short
  term is a phrase of adjacent characters. Measured on 5,000 documents per language, that answers
  a rare two-character term in 0.6 ms where a ``LIKE`` scan of the trigram table takes 11 ms, and
  a term found in nearly every document in 12 ms instead of 26-39 ms (see
  docs/performance/reference-service.md). It costs about 7 MB and 0.7 s per 10,000 CJK
  documents.

The index is built once into a file and then opened read-only (``immutable=1``: no locking on
the hot path). One connection per thread, because sqlite3 connections must not be shared across
threads that use them at once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from loadplan.languages import SCRIPTS, SPACELESS
from loadplan.refservice.corpus import CorpusSpec, Document, generate
from loadplan.refservice.snippet import snippet, terms_pattern

INDEX_FILE = "index.sqlite"
SCHEMA_VERSION = 1
"""Bump when the table layout changes; part of the fingerprint stored with the index."""

_UNICODE61 = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
_TRIGRAM_SCRIPTS = frozenset({"CJK"})
_MMAP_BYTES = 1 << 30
_TITLE_WEIGHT = 5.0
"""A term in the title counts five times one in the body, as in most search engines."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked result. ``score`` is higher for better matches (BM25, sign flipped)."""

    id: int
    title: str
    snippet: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """What a query found: how many documents match, and the best ``limit`` of them."""

    total: int
    hits: tuple[Hit, ...]


def check_fts5() -> None:
    """Raise RuntimeError, naming the SQLite version, unless FTS5 with trigram is available."""
    with sqlite3.connect(":memory:") as probe:
        try:
            probe.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        except sqlite3.OperationalError as exc:
            msg = (
                f"SQLite {sqlite3.sqlite_version} in this Python lacks FTS5 with the trigram "
                f"tokenizer ({exc}); use a Python built against SQLite >= 3.34 with FTS5"
            )
            raise RuntimeError(msg) from exc
    probe.close()


def index_fingerprint(spec: CorpusSpec) -> str:
    """The corpus fingerprint plus the schema version: equal means the file can be reused."""
    return f"{spec.fingerprint()}-s{SCHEMA_VERSION}"


def stored_fingerprint(path: Path) -> str | None:
    """The fingerprint recorded in an index file, or None if it is missing or unreadable."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None


def build(path: Path, spec: CorpusSpec, docs: Iterable[Document] | None = None) -> None:
    """Write a fresh index for ``spec`` to ``path``, atomically (a crash leaves no half file)."""
    check_fts5()
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        # Nothing reads the file until it is renamed into place, so durability buys nothing here.
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -131072")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for lang in spec.languages:
            tokenizer = "trigram" if SCRIPTS[lang] in _TRIGRAM_SCRIPTS else _UNICODE61
            table = _table(lang)
            conn.execute(
                f'CREATE VIRTUAL TABLE {table} USING fts5(title, body, tokenize="{tokenizer}")'
            )
            tables = [table]
            if _is_cjk(lang):
                # contentless: the text lives in the trigram table; this one only maps characters.
                conn.execute(
                    f"CREATE VIRTUAL TABLE {_short_table(lang)} USING fts5(title, body,"
                    f" content='', tokenize=\"{_UNICODE61}\")"
                )
                tables.append(_short_table(lang))
            for name in tables:
                rank = f"bm25({_TITLE_WEIGHT}, 1.0)"
                conn.execute(f"INSERT INTO {name}({name}, rank) VALUES ('rank', '{rank}')")
        counts = dict.fromkeys(spec.languages, 0)
        for doc in generate(spec) if docs is None else docs:
            conn.execute(
                f"INSERT INTO {_table(doc.lang)}(rowid, title, body) VALUES (?, ?, ?)",
                (doc.id, doc.title, doc.body),
            )
            if _is_cjk(doc.lang):
                conn.execute(
                    f"INSERT INTO {_short_table(doc.lang)}(rowid, title, body) VALUES (?, ?, ?)",
                    (doc.id, _characters(doc.title), _characters(doc.body)),
                )
            counts[doc.lang] += 1
        for lang in spec.languages:
            # Merge each table's b-tree segments into one: fewer segments, faster queries.
            for name in (_table(lang), _short_table(lang)) if _is_cjk(lang) else (_table(lang),):
                conn.execute(f"INSERT INTO {name}({name}) VALUES ('optimize')")
        meta = {
            "fingerprint": index_fingerprint(spec),
            "languages": json.dumps(list(spec.languages)),
            "counts": json.dumps(counts),
            "built_at": str(time.time()),
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        conn.commit()
    finally:
        conn.close()
    os.replace(tmp, path)


def build_main(path: Path, spec: CorpusSpec) -> None:
    """``build`` as the entry point of a child process (kept here: the child imports only this)."""
    # The parent decides when to stop; Ctrl-C reaches the whole process group, so ignore it here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    build(path, spec)


class SearchIndex:
    """Read-only queries against a built index file; safe to call from many threads.

    Example::

        index = SearchIndex(Path("data/index.sqlite"))
        result = index.search("en", "weather forecast", limit=10)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        self.fingerprint: str = rows["fingerprint"]
        self.counts: dict[str, int] = json.loads(rows["counts"])
        self.languages: tuple[str, ...] = tuple(json.loads(rows["languages"]))

    @property
    def documents(self) -> int:
        return sum(self.counts.values())

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # immutable=1: the file never changes once built (a rebuild renames a new file over
            # it), so SQLite may skip file locks and change checks on every query.
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            # Map the file instead of copying each page through a read() call. (The saving is in
            # the kernel; on this shared machine it was within the noise of CPU-time readings.)
            conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def search(self, lang: str, query: str, limit: int) -> SearchResult:
        """Documents of ``lang`` containing every whitespace-separated term of ``query``.

        Terms are quoted as FTS5 phrases, so user input is never parsed as FTS5 syntax: ``AND``,
        ``*``, ``NEAR(``, quotes and brackets are searched for, not obeyed.
        """
        terms = query.split()
        if lang not in self.counts or not terms:
            return SearchResult(total=0, hits=())
        if not _is_cjk(lang):
            return self._search_fts(lang, terms, limit)
        if all(len(t) >= 3 for t in terms):
            return self._search_fts(lang, terms, limit)
        # Any short term: the character table answers every term (a long one is just a longer
        # phrase). Joining the two tables instead, with rowid IN (...), measured 175 ms.
        return self._search_short(lang, terms, limit)

    def _search_fts(self, lang: str, terms: list[str], limit: int) -> SearchResult:
        table = _table(lang)
        where = f"{table} MATCH ?"
        params = [" ".join(_phrase(t) for t in terms)]
        conn = self._conn()
        (total,) = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
        if total == 0:
            return SearchResult(total=0, hits=())
        # ORDER BY rank is handed to FTS5 itself: it sorts, and only the top rows come back.
        rows = conn.execute(
            f"SELECT rowid, title, body, rank FROM {table} WHERE {where} ORDER BY rank LIMIT ?",
            [*params, limit],
        ).fetchall()
        pattern = terms_pattern(terms, spaced=lang not in SPACELESS)
        hits = tuple(
            Hit(id=r[0], title=r[1], snippet=snippet(r[2], pattern), score=_score(r[3]))
            for r in rows
        )
        return SearchResult(total=total, hits=hits)

    def _search_short(self, lang: str, terms: list[str], limit: int) -> SearchResult:
        """Rank in the character table, take the text from the main one."""
        short = _short_table(lang)
        match = _character_match(terms)
        conn = self._conn()
        (total,) = conn.execute(
            f"SELECT count(*) FROM {short} WHERE {short} MATCH ?", [match]
        ).fetchone()
        if total == 0:
            return SearchResult(total=0, hits=())
        ranked = conn.execute(
            f"SELECT rowid, rank FROM {short} WHERE {short} MATCH ? ORDER BY rank LIMIT ?",
            [match, limit],
        ).fetchall()
        table = _table(lang)
        texts = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                f"SELECT rowid, title, body FROM {table} WHERE rowid IN"
                f" ({','.join('?' * len(ranked))})",
                [r[0] for r in ranked],
            )
        }
        pattern = terms_pattern(terms, spaced=False)
        hits = tuple(
            Hit(
                id=rowid,
                title=texts[rowid][0],
                snippet=snippet(texts[rowid][1], pattern),
                score=_score(rank),
            )
            for rowid, rank in ranked
        )
        return SearchResult(total=total, hits=hits)


def _score(rank: float) -> float:
    """BM25 with the sign flipped (FTS5 ranks best-first by ascending negative score).

    Six significant digits, not fixed decimals: a term in most documents has an IDF near zero
    and would round to 0.0.
    """
    return float(f"{-rank:.6g}")


def _table(lang: str) -> str:
    # lang is always a key of SCRIPTS (two ASCII letters), never user text, so this is safe SQL.
    return f"docs_{lang}"


def _phrase(term: str) -> str:
    """An FTS5 string: inside double quotes nothing is syntax, and "" is a literal quote."""
    return '"' + term.replace('"', '""') + '"'


def _short_table(lang: str) -> str:
    return f"chars_{lang}"


def _is_cjk(lang: str) -> bool:
    return SCRIPTS[lang] in _TRIGRAM_SCRIPTS


_BREAK = "ǂ"
"""A letter no query contains, put where the text has punctuation or a space, so a two-character
phrase cannot match across a sentence end ("的。叫" is not "的叫")."""


def _characters(text: str) -> str:
    """CJK text re-spaced one character per token, for the character table."""
    return " ".join(
        ch if ch.isalnum() or unicodedata.category(ch)[0] == "M" else _BREAK for ch in text
    )


def _character_match(terms: list[str]) -> str:
    """Each term as a phrase of its characters: adjacent characters, in order."""
    return " ".join(_phrase(" ".join(t)) for t in terms)
