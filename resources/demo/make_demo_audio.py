#!/usr/bin/env python3
"""Regenerate the demo clips from text with espeak-ng and sox.

Each clip is a few sentences spoken by one espeak-ng voice variant, joined
with short pauses; ``demo.json`` records every sentence's exact time span, so
the demo project also has a reference transcript. Run from anywhere:

    python resources/demo/make_demo_audio.py

Needs Debian's ``espeak-ng`` and ``sox`` (the setup script installs them).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RATE = 16000
PAUSE_S = 0.6

# (file stem, title, voice, [(language, sentence), ...])
CLIPS = [
    (
        "01_greeting",
        "Сәлемдесу (greeting)",
        "kk+f3",
        [
            ("kk", "сәлеметсіз бе менің атым айгүл"),
            ("kk", "мен қазақ тілін үйреніп жүрмін"),
        ],
    ),
    (
        "02_weather",
        "Ауа райы (weather)",
        "kk+m3",
        [
            ("kk", "бүгін ауа райы өте жақсы"),
            ("kk", "таудың басында қар жатыр"),
            ("kk", "біз ертең алматыға барамыз"),
        ],
    ),
    (
        "03_capital",
        "Елорда (the capital)",
        "kk+f2",
        [
            ("kk", "астана қазақстанның елордасы"),
            ("kk", "қазақстан орталық азияда орналасқан"),
        ],
    ),
    (
        "04_code_switch",
        "Аралас сөйлеу (Kazakh–Russian)",
        "kk+m1",
        [
            ("kk", "әжем бізге дәмді бауырсақ пісірді"),
            ("ru", "это было очень вкусно"),
        ],
    ),
]


def _speak(text: str, lang: str, variant: str, out: Path) -> None:
    voice = variant if lang == "kk" else f"{lang}+{variant.split('+')[1]}"
    raw = out.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out)], check=True)


def _duration(path: Path) -> float:
    out = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True)
    return float(out.stdout)


def main() -> None:
    manifest = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        silence = tmpdir / "pause.wav"
        subprocess.run(
            [
                "sox",
                "-n",
                "-r",
                str(RATE),
                "-c",
                "1",
                "-b",
                "16",
                str(silence),
                "trim",
                "0",
                str(PAUSE_S),
            ],
            check=True,
        )
        for stem, title, voice, sentences in CLIPS:
            parts: list[Path] = [silence]
            segments = []
            t = PAUSE_S
            for i, (lang, text) in enumerate(sentences):
                wav = tmpdir / f"{stem}_{i}.wav"
                _speak(text, lang, voice, wav)
                d = _duration(wav)
                segments.append(
                    {
                        "start_ms": round(t * 1000),
                        "end_ms": round((t + d) * 1000),
                        "text": text,
                        "language": lang,
                    }
                )
                parts += [wav, silence]
                t += d + PAUSE_S
            out = HERE / f"{stem}.flac"
            subprocess.run(["sox", *map(str, parts), str(out)], check=True)
            manifest.append(
                {
                    "file": out.name,
                    "title": title,
                    "voice": voice,
                    "speaker": f"espeak-ng {voice}",
                    "segments": segments,
                }
            )
    (HERE / "demo.json").write_text(
        json.dumps({"clips": manifest}, ensure_ascii=False, indent=2) + "\n"
    )
    print(f"wrote {len(manifest)} clips to {HERE}")


if __name__ == "__main__":
    main()
