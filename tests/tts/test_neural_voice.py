"""The neural voice end to end with no internet: a tiny random VITS served by a local
Hub, installed through the catalog, spoken in a job process, mixed into the bootstrap.

The voice is :func:`tests.tts.tiny_vits.make_tiny_vits` (a few hundred kB of
random weights with a Kazakh alphabet), so it says noise, quickly; what is
tested is the machinery: download and checks, the voice folder and its
manifest, synthesis (16 kHz float audio, the same for the same seed), the
clip cache, the licence in the summary and the card, and that PyTorch never
loads in the process that runs the bootstrap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from desktop_app.asr import hub_install
from desktop_app.asr.catalog import choose_for, get_entry
from desktop_app.asr.registry import ModelRegistry
from desktop_app.core.errors import ModelError
from desktop_app.core.jobs import JobState
from desktop_app.core.learning.model_card import _synthetic_lines
from desktop_app.services.tts_choice import (
    TtsChoiceError,
    expand,
    parse_tts,
    resolve_synthesizers,
    tts_options,
)
from desktop_app.tts import espeak
from desktop_app.tts.base import SAMPLE_RATE, VoiceSetting
from desktop_app.tts.installed import installed_voices, tts_root, verify
from desktop_app.tts.vits import VitsSynthesizer, voice_params
from tests.hub_server import FakeHub
from tests.tts.conftest import REPO

ROOT = Path(__file__).resolve().parents[2]
needs_espeak = pytest.mark.skipif(not espeak.available(), reason="espeak-ng and sox needed")


def test_the_catalog_entry_is_a_non_commercial_voice_never_suggested_for_transcription() -> None:
    entry = get_entry("mms-tts-kaz")
    assert entry.architecture == "tts" and entry.repo_id == "facebook/mms-tts-kaz"
    assert entry.non_commercial and "non-commercial" in entry.license_text()
    assert "model.safetensors" in entry.allow_patterns
    assert not any(p.endswith(".bin") for p in entry.allow_patterns)
    assert "uroman" in entry.verification and "not confirmed" in entry.verification
    assert choose_for("kk") is not None and choose_for("kk").architecture != "tts"
    assert parse_tts(" espeak, mms-tts-kaz,espeak ") == ("espeak", "mms-tts-kaz")
    assert expand(["auto"], Path("/nonexistent")) == ("espeak",)


def test_install_synthesise_and_refuse_a_damaged_voice(
    hub: FakeHub, tmp_path: Path, tiny_vits: Path
) -> None:
    registry = ModelRegistry(tmp_path / "models")
    seen: list[str] = []
    state = JobState(on_progress=lambda _f, t: seen.append(t), min_interval=0.0)
    voice = registry.install_catalog("mms-tts-kaz", state)
    folder = tts_root(registry.root) / "mms-tts-kaz"
    assert voice.id == "mms-tts-kaz" and voice.kind == "vits" and voice.sampling_rate == 16_000
    assert voice.source_ref == f"{REPO}@{hub.repos[REPO].commit}"
    assert voice.license == "cc-by-nc-4.0" and voice.non_commercial
    assert any(t.startswith("Downloading") for t in seen)
    # Safetensors only: the pickle was neither fetched nor installed.
    assert not (folder / "pytorch_model.bin").exists()
    assert not any(p.endswith("pytorch_model.bin") for _m, p, _r in hub.requests)
    assert set(voice.files) >= {"config.json", "model.safetensors", "vocab.json"}
    assert {f["checked_against"] for f in voice.source_files} <= {"hub-sha256", "git-blob-sha1"}
    card = (folder / "model_card.md").read_text("utf-8")
    assert "non-commercial use only" in card and hub.repos[REPO].commit in card
    # Not a transcription model: no version, nothing activated; listed as installed.
    assert registry.versions() == [] and registry.active_id() is None
    assert registry.installed_catalog() == {"mms-tts-kaz": "mms-tts-kaz"}
    assert [o.id for o in tts_options(registry.root)] == ["espeak", "mms-tts-kaz"]
    assert expand(["auto"], registry.root) == ("mms-tts-kaz",)
    assert hub_install.partial_bytes(registry, "mms-tts-kaz") == 0

    # Synthesis runs in a job process: 16 kHz float samples, the same for the same seed.
    synth = VitsSynthesizer(folder)
    runs = [("kk", "бүгін ауа райы өте жақсы")]
    audio = synth.synthesize(runs, VoiceSetting("mms-tts-kaz+calm", 170, 50))
    assert audio.dtype == np.float32 and audio.size > SAMPLE_RATE // 10
    assert np.isfinite(audio).all() and float(np.abs(audio).max()) > 0
    assert voice_params(VoiceSetting("mms-tts-kaz+calm", 204, 60)) == {
        "noise_scale": 0.5, "noise_scale_duration": 0.6, "speaking_rate": 1.2,
        "pitch_cents": 120, "ru_voice": "ru+m1",
    }  # fmt: skip

    # A damaged file is refused before any synthesis.
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"damaged: model\.safetensors"):
        verify(folder)
    with pytest.raises(ModelError, match="damaged"):
        resolve_synthesizers(["mms-tts-kaz"], registry.root)
    with pytest.raises(TtsChoiceError, match="No voice 'nothing' is installed"):
        resolve_synthesizers(["nothing"], registry.root)


def test_a_bad_download_installs_no_voice(hub: FakeHub, tmp_path: Path) -> None:
    hub.corrupt.add("model.safetensors")
    registry = ModelRegistry(tmp_path / "models")
    with pytest.raises(ModelError, match="does not match the checksum"):
        registry.install_catalog("mms-tts-kaz", JobState())
    assert installed_voices(registry.root) == []


BOOTSTRAP_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from desktop_app.services.text_bootstrap import BootstrapOptions, TextBootstrap, bootstrap
    words, cache, tts = sys.argv[1], Path(sys.argv[2]), tuple(sys.argv[3].split(","))
    options = BootstrapOptions(voices_per_text=2, carriers_per_word=1, lists_per_word=1,
                               tts=tts, seed=5, workers=2)
    result = bootstrap(TextBootstrap(files=(words,), options=options), cache=cache)
    print(json.dumps({"summary": result.summary, "torch": "torch" in sys.modules,
                      "clips": [[e.speaker, e.audio_path] for e in result.examples]}))
    """
)


def _run_bootstrap(words: Path, cache: Path, tts: str) -> dict:
    """The bootstrap in a fresh process (as the GUI runs it: no torch loaded beforehand)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", BOOTSTRAP_SCRIPT, str(words), str(cache), tts],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_espeak
def test_the_bootstrap_mixes_espeak_and_the_neural_voice_without_torch_in_its_process(
    tiny_vits: Path, tmp_path: Path
) -> None:
    from desktop_app.tts.install import install_voice_folder

    models = Path(os.environ["JAZBA_DATA_DIR"]) / "models"
    install_voice_folder(tiny_vits, get_entry("mms-tts-kaz"), f"{REPO}@local", [], models)
    words = tmp_path / "words.txt"
    words.write_text("домбыра\nқымыз\n", encoding="utf-8")
    first = _run_bootstrap(words, tmp_path / "cache", "espeak,mms-tts-kaz")
    assert first["torch"] is False  # PyTorch ran in the job process only
    summary = first["summary"]
    by = {s["name"]: s for s in summary["synthesizers"]}
    assert set(by) == {"espeak-ng", "mms-tts-kaz"} and summary["cached"] == 0
    assert by["mms-tts-kaz"]["non_commercial"] and by["mms-tts-kaz"]["license"] == "cc-by-nc-4.0"
    assert "mms-tts-kaz+calm (noise 0.5, durations 0.6)" in by["mms-tts-kaz"]["settings"]["presets"]
    assert summary["options"]["tts"] == ["espeak", "mms-tts-kaz"]
    # Each sentence is read once by each synthesiser (they take turns).
    neural = [p for s, p in first["clips"] if s.startswith("mms-tts-kaz")]
    assert neural and len(neural) == by["mms-tts-kaz"]["clips"] == summary["clips"] // 2
    for path in neural:
        import soundfile as sf

        info = sf.info(path)
        assert info.samplerate == SAMPLE_RATE and info.frames > 0
    # The card names the voice, its licence and settings, and says non-commercial plainly.
    card = "\n".join(_synthetic_lines(summary, 0.5))
    assert "MMS-TTS Kazakh voice" in card and "cc-by-nc-4.0" in card
    assert "**Non-commercial use only**" in card and "noise" in card
    # Deterministic: a fresh cache gives the same bytes; the same cache gives them all cached.
    again = _run_bootstrap(words, tmp_path / "cache2", "espeak,mms-tts-kaz")
    assert again["summary"]["cached"] == 0
    assert [Path(p).read_bytes() for _s, p in again["clips"]] == [
        Path(p).read_bytes() for _s, p in first["clips"]
    ]
    # A rerun over the same cache starts no job at all (here, in this process).
    from desktop_app.services.text_bootstrap import BootstrapOptions, TextBootstrap, bootstrap

    options = BootstrapOptions(
        voices_per_text=2, carriers_per_word=1, lists_per_word=1,
        tts=("espeak", "mms-tts-kaz"), seed=5, workers=2,
    )  # fmt: skip
    cached = bootstrap(
        TextBootstrap(files=(str(words),), options=options), cache=tmp_path / "cache"
    )
    assert cached.summary["cached"] == summary["clips"]
    assert [e.audio_path for e in cached.examples] == [p for _s, p in first["clips"]]


def test_the_cli_takes_a_tts_choice_and_refuses_an_unknown_voice(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from desktop_app.cli.main import app

    words = tmp_path / "words.txt"
    words.write_text("домбыра\n", encoding="utf-8")
    args = ["finetune", str(tmp_path / "P.jazba"), "--from-text", str(words)]
    result = CliRunner().invoke(app, [*args, "--tts", "espeak,nothing"])
    assert result.exit_code == 1 and "No voice 'nothing' is installed" in result.output
    help_text = CliRunner().invoke(app, ["finetune", "--help"]).output
    assert "--tts" in help_text and "mms-tts-kaz" in help_text


def test_models_list_and_verify_know_installed_voices(tiny_vits: Path) -> None:
    from typer.testing import CliRunner

    from desktop_app.cli.main import app
    from desktop_app.tts.install import install_voice_folder

    models = Path(os.environ["JAZBA_DATA_DIR"]) / "models"
    install_voice_folder(tiny_vits, get_entry("mms-tts-kaz"), f"{REPO}@local", [], models)
    listed = CliRunner().invoke(app, ["models", "list"])
    assert listed.exit_code == 0 and "mms-tts-kaz" in listed.output
    assert "non-commercial use only" in listed.output
    checked = CliRunner().invoke(app, ["models", "verify", "mms-tts-kaz"])
    assert checked.exit_code == 0 and "files intact" in checked.output
