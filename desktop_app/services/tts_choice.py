"""Which synthesisers read the text bootstrap's sentences.

A choice is a list of names: ``"espeak"`` (espeak-ng, offline, the default),
an installed neural voice's id (``"mms-tts-kaz"``, from the model catalog;
:mod:`desktop_app.tts.installed`), or ``"auto"`` (the installed Kazakh
neural voice when there is one, else espeak-ng). Several names share each
sentence's voices. The CLI, the GUI dialog and the benchmark all resolve a
choice here; no torch is imported (a neural voice runs in a job process).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.errors import JazbaError, ModelError
from desktop_app.tts import espeak
from desktop_app.tts.base import Synthesizer
from desktop_app.tts.installed import installed_voices, voice_folder
from desktop_app.tts.vits import VitsSynthesizer

ESPEAK = "espeak"
AUTO = "auto"


class TtsChoiceError(JazbaError):
    """A synthesiser name that is neither espeak-ng nor an installed voice."""


@dataclass(frozen=True)
class TtsOption:
    """One synthesiser a user can choose, for a list or a combo box."""

    id: str
    label: str  # with its licence
    license: str
    non_commercial: bool = False
    name: str = ""  # without

    @property
    def title(self) -> str:
        return self.name or self.label


def parse_tts(spec: str | Sequence[str]) -> tuple[str, ...]:
    """``"espeak,mms-tts-kaz"`` -> ``("espeak", "mms-tts-kaz")`` (no repeats, no blanks)."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = tuple(dict.fromkeys(n.strip() for n in items if n.strip()))
    return names or (ESPEAK,)


def kazakh_voices(models_root: Path | None = None) -> list[str]:
    """Ids of the installed neural voices that speak Kazakh."""
    return [v.id for v in installed_voices(models_root) if "kk" in v.languages]


def tts_options(models_root: Path | None = None) -> list[TtsOption]:
    """espeak-ng, then each installed neural voice (what a dialog offers)."""
    out = [
        TtsOption(
            ESPEAK, "espeak-ng (offline, formant voices)", "GPL-3.0-or-later", name="espeak-ng"
        )
    ]
    for v in installed_voices(models_root):
        note = ", non-commercial use only" if v.non_commercial else ""
        label = f"{v.name} ({v.license}{note})"
        out.append(TtsOption(v.id, label, v.license, v.non_commercial, v.name))
    return out


def expand(names: Sequence[str], models_root: Path | None = None) -> tuple[str, ...]:
    """``auto`` replaced by what it means now."""
    out: list[str] = []
    for name in names:
        if name == AUTO:
            neural = kazakh_voices(models_root)
            out += neural[:1] or [ESPEAK]
        else:
            out.append(name)
    return tuple(dict.fromkeys(out))


def resolve_synthesizers(
    names: Sequence[str],
    models_root: Path | None = None,
    python: str | None = None,
    threads: int | None = None,
) -> list[Synthesizer]:
    """The synthesisers ``names`` stand for; an installed voice is checked against its
    checksums (a damaged one is refused)."""
    synths: list[Synthesizer] = []
    for name in expand(names, models_root) or (ESPEAK,):
        if name in (ESPEAK, "espeak-ng"):
            synths.append(espeak.EspeakSynthesizer())
            continue
        try:
            folder = voice_folder(name, models_root)
        except ModelError as exc:
            raise TtsChoiceError(f"{exc} Choose espeak or an installed voice.") from exc
        synths.append(VitsSynthesizer(folder, python=python, threads=threads))
    return synths


def check_choice(names: Sequence[str], models_root: Path | None = None) -> None:
    """Raise :class:`TtsChoiceError` unless every name is espeak-ng, ``auto`` or an
    intact installed voice (each voice's files are checked against its manifest)."""
    resolve_synthesizers(names, models_root)
