"""Child process of the kill harness: the real ``jazba`` CLI with the fake model.

``python _child.py DELAY ARGS…`` runs ``jazba ARGS…`` with
:class:`tests.fake_engine.FakeEngine` (``DELAY`` seconds a segment) as the
installed, active model: the transcription job, its passes and the database
writes are the real ones, only the decoding is fast and deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop_app.cli.main import main
from desktop_app.services import transcription
from tests.fake_engine import FakeEngine, fake_model

if __name__ == "__main__":
    delay = float(sys.argv[1])
    registry, engines = fake_model(FakeEngine(delay), Path("fake-model"))
    transcription.ModelRegistry = registry  # type: ignore[misc]
    transcription._DEFAULT_CACHE = engines  # type: ignore[assignment]
    sys.argv = ["jazba", *sys.argv[2:]]
    sys.exit(main())
