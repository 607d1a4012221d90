"""The model catalog: speech models Jazba knows how to download, convert and run.

The data lives in ``models.json`` beside this module (versioned with
``catalog_version``); each entry names a Hub repository at a pinned revision,
its architecture, size, licence, languages and the error rates its authors
report, each marked as checked or not. :func:`load_catalog` reads it;
:func:`choose_for` picks the entry to suggest for a language. No network here:
downloading is :mod:`desktop_app.modelbuild.hub_download`'s job, installing the
registry's (:meth:`ModelRegistry.install_catalog`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from desktop_app.core.errors import ModelError

CATALOG_FILE = "models.json"
CATALOG_VERSION = 1
#: Speech-recognition architectures (what transcription suggestions offer).
ASR_ARCHITECTURES = ("whisper", "ctc")
#: Every architecture an entry may have: "speaker" (voice embeddings) and "segmentation"
#: (speech and overlap detection) serve diarization and install under the speaker models;
#: "tts" is a voice that reads text aloud for the text bootstrap.
ARCHITECTURES = (*ASR_ARCHITECTURES, "speaker", "segmentation", "tts")


@dataclass(frozen=True)
class Reported:
    """An error rate the model's authors report; ``verified`` when we found it in the source."""

    metric: str  # "wer" or "cer"
    value: float  # percent
    test_set: str
    source: str  # a URL or a citation
    verified: bool = False


@dataclass(frozen=True)
class CatalogEntry:
    """One model a user can pick from the *Get models* page or ``jazba models catalog``."""

    id: str  # short, stable: what the CLI takes ("whisper-base-kk")
    name: str
    repo_id: str
    revision: str | None  # pinned commit; None: the Hub's main at download time
    architecture: str  # one of ARCHITECTURES
    params_m: float  # millions of parameters
    download_mb: float  # what the download weighs, approximately
    license: str
    languages: tuple[str, ...]
    recommended_for: str
    reported: tuple[Reported, ...] = ()
    adapter: str | None = None  # MMS language adapter (e.g. "kaz")
    #: A LoRA adapter's base model: downloaded too, and the adapter merged into it.
    base_repo: str | None = None
    base_revision: str | None = None
    gated: bool = False
    allow_patterns: tuple[str, ...] = ()  # files to fetch; empty: the architecture's default
    notes: str = ""
    verification: str = ""  # what was and was not confirmed, and where
    tags: tuple[str, ...] = field(default=())
    frontend: str = ""  # a speaker model's features ("kaldi-fbank80"); empty for ASR

    @property
    def best(self) -> Reported | None:
        """The reported figure to show in a table: the first WER, else the first figure."""
        return next((r for r in self.reported if r.metric == "wer"), None) or next(
            iter(self.reported), None
        )

    def reported_text(self) -> str:
        """``"WER 15.4 % (KSC2 test)"``; ``"unverified"`` appended when not checked."""
        best = self.best
        if best is None:
            return "– (a voice)" if self.architecture == "tts" else "not reported"
        mark = "" if best.verified else ", unverified"
        return f"{best.metric.upper()} {best.value:g} % ({best.test_set}{mark})"

    def size_text(self) -> str:
        mb = self.download_mb
        return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"

    @property
    def non_commercial(self) -> bool:
        """A licence that forbids commercial use (Creative Commons NC)."""
        return "-nc" in self.license.lower()

    def license_text(self) -> str:
        """The licence as a table shows it: ``"cc-by-nc-4.0 (non-commercial use only)"``."""
        return f"{self.license} (non-commercial use only)" if self.non_commercial else self.license

    def ref(self) -> str:
        """``repo@revision``: what a version installed from this entry records as its source."""
        return f"{self.repo_id}@{self.revision}" if self.revision else self.repo_id


def _entry(data: dict[str, Any]) -> CatalogEntry:
    reported = tuple(
        Reported(
            metric=str(r["metric"]).lower(),
            value=float(r["value"]),
            test_set=str(r["test_set"]),
            source=str(r.get("source", "")),
            verified=bool(r.get("verified", False)),
        )
        for r in data.get("reported", [])
    )
    entry = CatalogEntry(
        id=str(data["id"]),
        name=str(data["name"]),
        repo_id=str(data["repo_id"]),
        revision=data.get("revision") or None,
        architecture=str(data["architecture"]),
        params_m=float(data["params_m"]),
        download_mb=float(data["download_mb"]),
        license=str(data["license"]),
        languages=tuple(str(x) for x in data["languages"]),
        recommended_for=str(data.get("recommended_for", "")),
        reported=reported,
        adapter=data.get("adapter") or None,
        base_repo=data.get("base_repo") or None,
        base_revision=data.get("base_revision") or None,
        gated=bool(data.get("gated", False)),
        allow_patterns=tuple(str(p) for p in data.get("allow_patterns", [])),
        notes=str(data.get("notes", "")),
        verification=str(data.get("verification", "")),
        tags=tuple(str(t) for t in data.get("tags", [])),
        frontend=str(data.get("frontend", "")),
    )
    if entry.architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {entry.architecture!r}")
    return entry


def parse_catalog(data: Any) -> list[CatalogEntry]:
    """Entries of a catalog document; :class:`ModelError` when it is not one."""
    try:
        if int(data["catalog_version"]) > CATALOG_VERSION:
            raise ModelError("The model catalog was written by a newer Jazba; update Jazba.")
        entries = [_entry(item) for item in data["models"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"The model catalog is invalid: {exc!r}.") from exc
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ModelError("The model catalog lists an id twice.")
    return entries


@cache
def load_catalog() -> tuple[CatalogEntry, ...]:
    """The catalog shipped with Jazba."""
    text = resources.files(__package__).joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    return tuple(parse_catalog(json.loads(text)))


def get_entry(entry_id: str) -> CatalogEntry:
    """The entry with this id (or this Hub id); :class:`ModelError` naming the choices."""
    for entry in load_catalog():
        if entry_id in (entry.id, entry.repo_id):
            return entry
    known = ", ".join(e.id for e in load_catalog())
    raise ModelError(f"The model catalog has no '{entry_id}'. Known: {known}.")


def choose_for(language: str, architecture: str | None = None) -> CatalogEntry | None:
    """The speech-recognition entry to suggest first for ``language``: tagged
    ``suggest-<lang>``, else the smallest that lists the language."""
    wanted = (architecture,) if architecture is not None else ASR_ARCHITECTURES
    entries = [e for e in load_catalog() if language in e.languages and e.architecture in wanted]
    tagged = [e for e in entries if f"suggest-{language}" in e.tags]
    pool = tagged or entries
    return min(pool, key=lambda e: e.download_mb) if pool else None
