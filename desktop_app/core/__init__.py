"""Qt-free core of Jazba: storage, audio, services and jobs.

Nothing under this package may import Qt; an import-linter contract in
``pyproject.toml`` (and ``tests/test_architecture.py``) enforces it.
"""
