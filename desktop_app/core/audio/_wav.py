"""A tiny RIFF/WAVE check that libsndfile does not make for us.

libsndfile silently shortens a WAV whose ``data`` chunk runs past the end of
the file (a copy cut off half-way, a recorder that crashed). We would rather
tell the user than import half a recording without a word.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

# Sizes some recorders leave in the header while still writing.
_PLACEHOLDER_SIZES = frozenset({0, 0xFFFFFFFF})


def truncated_wav_bytes(path: Path) -> tuple[int, int] | None:
    """``(declared, present)`` data bytes if the WAV ``data`` chunk is cut short.

    Returns ``None`` for complete files, non-RIFF files (RF64, W64) and files
    whose header still holds a placeholder size.
    """
    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        size = os.fstat(fh.fileno()).st_size
        pos = 12
        while pos + 8 <= size:
            fh.seek(pos)
            chunk_id, chunk_len = struct.unpack("<4sI", fh.read(8))
            if chunk_id == b"data":
                present = size - pos - 8
                if chunk_len in _PLACEHOLDER_SIZES or present >= chunk_len:
                    return None
                return chunk_len, present
            pos += 8 + chunk_len + (chunk_len & 1)
    return None
