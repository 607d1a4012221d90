"""Full-text search over segment text (SQLite FTS5)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text

from desktop_app.core.project import Project
from desktop_app.core.services.concordance import ConcordanceHit, Mode, concordance, write_csv
from desktop_app.core.services.dto import SearchHit

_TOKEN = re.compile(r"\w+", re.UNICODE)


def fts_query(user_query: str) -> str | None:
    """Turn what a user typed into a safe FTS5 query.

    Every word must occur (AND); the last word also matches as a prefix, so
    results appear while typing. FTS syntax characters are never passed on.
    """
    words = _TOKEN.findall(user_query)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class SearchService:
    def __init__(self, project: Project) -> None:
        self.project = project

    def search(
        self, query: str, *, recording_id: int | None = None, limit: int = 200
    ) -> list[SearchHit]:
        match = fts_query(query)
        if match is None:
            return []
        sql = """
            SELECT s.id, s.recording_id, r.title, s.start_ms, s.end_ms, s.text, s.status,
                   snippet(segments_fts, 0, '[', ']', '…', 12) AS snip
            FROM segments_fts
            JOIN segments s ON s.id = segments_fts.rowid
            JOIN recordings r ON r.id = s.recording_id
            WHERE segments_fts MATCH :match AND s.deleted = 0
              AND (:rec IS NULL OR s.recording_id = :rec)
            ORDER BY bm25(segments_fts), r.id, s.start_ms
            LIMIT :limit
        """
        with self.project.unit() as s:
            rows = s.execute(text(sql), {"match": match, "rec": recording_id, "limit": limit})
            return [
                SearchHit(
                    segment_id=row.id,
                    recording_id=row.recording_id,
                    recording_title=row.title,
                    start_ms=row.start_ms,
                    end_ms=row.end_ms,
                    text=row.text,
                    snippet=row.snip,
                    status=row.status,
                )
                for row in rows
            ]

    def concordance(
        self,
        pattern: str,
        *,
        mode: Mode = "prefix",
        tier_id: int | None = None,
        recording_id: int | None = None,
        case_sensitive: bool = False,
        limit: int = 1000,
    ) -> list[ConcordanceHit]:
        """Every occurrence as a keyword-in-context hit (see :mod:`.concordance`)."""
        return concordance(
            self.project,
            pattern,
            mode=mode,
            tier_id=tier_id,
            recording_id=recording_id,
            case_sensitive=case_sensitive,
            limit=limit,
        )

    @staticmethod
    def write_csv(hits: list[ConcordanceHit], path: str | Path) -> int:
        return write_csv(hits, path)
