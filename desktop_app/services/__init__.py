"""Services that drive the runtimes: transcription, evaluation, the learning
loop, the speech-unit LM.

They stand on two floors below them: the ground (:mod:`desktop_app.core`:
errors, paths, jobs, the project store, audio, interop, the store-level
services) and the runtimes (:mod:`desktop_app.asr`, :mod:`desktop_app.units`,
the launcher of :mod:`desktop_app.modelbuild`). The GUI, the CLI and batch
jobs use them; nothing in ``core`` or in a runtime imports them (an
import-linter ``layers`` contract keeps it so).
"""
