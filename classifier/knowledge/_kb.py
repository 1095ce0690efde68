"""Load and check the knowledge base (``knowledge_base.toml``, parsed with ``tomllib``).

The file holds ``schema_version``, a ``[sources]`` table (key -> ``ref``, ``label``,
``citation``) and one table per condition (``fasciculation``, ``cramp``, ``general``)
whose sections are arrays of entries. Every entry has an ``id``, a ``text`` and a
non-empty ``sources`` list of keys into ``[sources]``; red-flag entries also carry a
``level``. Anything missing or malformed raises ``InputFormatError`` naming the file
and the entry, so a broken edit fails when the file is loaded, not while advising.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from dsp import InputFormatError

#: Schema versions this loader understands.
KB_SCHEMA_VERSION = 1

#: Conditions the file must describe, and the sections each must fill.
REQUIRED_SECTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "fasciculation": ("what_it_is", "common_causes", "rare_causes", "relief", "see_doctor", "emergency"),
        "cramp": ("what_it_is", "common_causes", "rare_causes", "relief", "see_doctor", "emergency"),
        "general": ("disclaimer", "emergency"),
    }
)

#: Action levels a red-flag entry may carry ("" for plain information).
ENTRY_LEVELS: tuple[str, ...] = ("", "see_doctor", "urgent", "emergency")

_SOURCE_FIELDS = ("ref", "label", "citation")


@dataclass(frozen=True, slots=True)
class Source:
    """One cited source: ``key`` as used by entries, ``ref`` (an R-number of
    science.md or ``"seed"``), a short ``label`` shown to users and the full ``citation``."""

    key: str
    ref: str
    label: str
    citation: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One statement of the knowledge base.

    Parameters
    ----------
    id : str
        Unique identifier, e.g. ``"cramp.relief.stretch"``.
    condition : str
        ``"fasciculation"``, ``"cramp"`` or ``"general"``.
    section : str
        Section within the condition (``"relief"``, ``"see_doctor"`` ...).
    text : str
        The statement in plain words.
    sources : tuple of str
        Keys into ``KnowledgeBase.sources``; never empty.
    level : str
        For red flags, the action the statement asks for (``ENTRY_LEVELS``), else ``""``.
    """

    id: str
    condition: str
    section: str
    text: str
    sources: tuple[str, ...]
    level: str = ""


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """The parsed, checked knowledge base.

    Use :meth:`entry` to fetch a statement by id and :meth:`labels` for the
    user-facing names of its sources.
    """

    path: str
    schema_version: int
    sources: Mapping[str, Source]
    entries: Mapping[str, Entry]
    names: Mapping[str, str] = field(default_factory=dict)

    def entry(self, entry_id: str) -> Entry:
        """Return the entry called ``entry_id``.

        Raises
        ------
        InputFormatError
            If the file has no such entry (the advice rules need it).
        """
        try:
            return self.entries[entry_id]
        except KeyError:
            raise InputFormatError(
                f"{self.path}: the knowledge base has no entry with id {entry_id!r}, which the advice rules need"
            ) from None

    def section(self, condition: str, section: str) -> tuple[Entry, ...]:
        """All entries of one section, in file order (empty if the section is absent)."""
        return tuple(e for e in self.entries.values() if e.condition == condition and e.section == section)

    def labels(self, entry: Entry) -> tuple[str, ...]:
        """Short labels of ``entry``'s sources, in the entry's order."""
        return tuple(self.sources[key].label for key in entry.sources)


def default_path() -> Path:
    """Path of the knowledge base shipped with the package."""
    return Path(str(resources.files("classifier.knowledge").joinpath("knowledge_base.toml")))


def _text(value: object, where: str, name: str, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputFormatError(f"{path}: {where}: field {name!r} must be a non-empty string, got {value!r}")
    return " ".join(value.split())


def _parse_sources(raw: object, path: str) -> dict[str, Source]:
    if not isinstance(raw, dict) or not raw:
        raise InputFormatError(f"{path}: a [sources] table with at least one source is required")
    sources = {}
    for key, body in raw.items():
        where = f"source [sources.{key}]"
        if not isinstance(body, dict):
            raise InputFormatError(f"{path}: {where} must be a table with fields {_SOURCE_FIELDS}")
        for name in _SOURCE_FIELDS:
            if name not in body:
                raise InputFormatError(f"{path}: {where}: missing field {name!r}")
        sources[key] = Source(
            key=key,
            ref=_text(body["ref"], where, "ref", path),
            label=_text(body["label"], where, "label", path),
            citation=_text(body["citation"], where, "citation", path),
        )
    return sources


def _parse_entry(
    raw: object, where: str, condition: str, section: str, sources: Mapping[str, Source], path: str
) -> Entry:
    if not isinstance(raw, dict):
        raise InputFormatError(f"{path}: {where} must be a table with id, text and sources")
    if "id" in raw:
        where = f"{where} (id {raw['id']!r})"
    for name in ("id", "text", "sources"):
        if name not in raw:
            raise InputFormatError(f"{path}: {where}: missing field {name!r}")
    keys = raw["sources"]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
        raise InputFormatError(f"{path}: {where}: 'sources' must be a non-empty list of source keys, got {keys!r}")
    unknown = [k for k in keys if k not in sources]
    if unknown:
        raise InputFormatError(
            f"{path}: {where}: unknown source key(s) {unknown}; known keys are listed under [sources]"
        )
    level = raw.get("level", "")
    if level not in ENTRY_LEVELS:
        raise InputFormatError(f"{path}: {where}: 'level' must be one of {ENTRY_LEVELS[1:]}, got {level!r}")
    return Entry(
        id=_text(raw["id"], where, "id", path),
        condition=condition,
        section=section,
        text=_text(raw["text"], where, "text", path),
        sources=tuple(keys),
        level=level,
    )


def _parse(doc: dict, path: str) -> KnowledgeBase:
    version = doc.get("schema_version")
    if version != KB_SCHEMA_VERSION:
        raise InputFormatError(
            f"{path}: schema_version must be {KB_SCHEMA_VERSION} (the version this emgwatch reads), got {version!r}"
        )
    sources = _parse_sources(doc.get("sources"), path)
    entries: dict[str, Entry] = {}
    names: dict[str, str] = {}
    for condition, required in REQUIRED_SECTIONS.items():
        table = doc.get(condition)
        if not isinstance(table, dict):
            raise InputFormatError(f"{path}: missing table [{condition}]")
        names[condition] = _text(table.get("name"), f"[{condition}]", "name", path)
        for section in required:
            if not table.get(section):
                raise InputFormatError(f"{path}: [{condition}] needs at least one [[{condition}.{section}]] entry")
        for section, items in table.items():
            if section == "name":
                continue
            if not isinstance(items, list):
                raise InputFormatError(
                    f"{path}: [{condition}].{section} must be an array of entries [[{condition}.{section}]]"
                )
            for i, raw in enumerate(items):
                entry = _parse_entry(raw, f"entry {condition}.{section}[{i}]", condition, section, sources, path)
                if entry.id in entries:
                    raise InputFormatError(f"{path}: entry {condition}.{section}[{i}]: duplicate id {entry.id!r}")
                entries[entry.id] = entry
    return KnowledgeBase(
        path=path,
        schema_version=version,
        sources=MappingProxyType(sources),
        entries=MappingProxyType(entries),
        names=MappingProxyType(names),
    )


def load_knowledge_base(path: str | os.PathLike[str] | None = None) -> KnowledgeBase:
    """Read and check a knowledge base file.

    Parameters
    ----------
    path : str or path-like, optional
        TOML file to read; default: the one shipped in ``classifier/knowledge``.

    Returns
    -------
    KnowledgeBase

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    InputFormatError
        If the file is not valid TOML (the message gives line and column), or an
        entry lacks ``id``, ``text`` or ``sources``, cites an unknown source, or a
        required section is empty. The message names the file and the entry.
    """
    file = Path(path) if path is not None else default_path()
    try:
        with open(file, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"knowledge base file not found: {file}") from None
    except tomllib.TOMLDecodeError as err:
        raise InputFormatError(f"{file}: not valid TOML: {err}") from None
    return _parse(doc, str(file))
