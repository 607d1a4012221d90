"""A local HTTP server that speaks enough of the Hugging Face Hub API for Jazba's downloads.

Point ``HF_ENDPOINT`` at :attr:`FakeHub.url`. It serves:

* ``GET /api/models/{repo}[/revision/{rev}]`` — the model info with ``siblings``
  (size, git blob id and, for large files, LFS sha256), as ``huggingface_hub``
  reads it;
* ``GET|HEAD /{repo}/resolve/{rev}/{path}`` — file contents, with ``Range``.

Failure modes a test can switch on: a gated repository (403 ``GatedRepo``
without the right token), an unknown one (404 ``RepoNotFound``), a connection
cut after some bytes (``cut_after``), a file whose bytes differ from what the
listing promises (``corrupt``), a server that ignores ``Range`` (``no_ranges``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

LFS_THRESHOLD = 1024  # files at least this big are listed as LFS (with a sha256)


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    gated: bool = False

    @classmethod
    def from_folder(cls, folder: Path, **kwargs: Any) -> FakeRepo:
        files = {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }
        return cls(files, **kwargs)


@dataclass
class FakeHub:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    token: str = "hf_test_token"
    cut_after: dict[str, int] = field(default_factory=dict)  # file -> bytes before a cut (once)
    corrupt: set[str] = field(default_factory=set)
    no_ranges: bool = False
    throttle_s: float = 0.0  # pause after each 64 KB sent (for cancelling mid-download)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, range
    _server: ThreadingHTTPServer | None = None
    _sent: list[tuple[str, int]] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeHub:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_HEAD(self) -> None:
                hub._handle(self, head=True)

            def do_GET(self) -> None:
                hub._handle(self, head=False)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def bytes_served(self, name: str) -> int:
        """How many bytes of files named ``name`` were sent (ranges counted as sent)."""
        return sum(n for f, n in self._sent if f == name)

    # -- handlers ---------------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler, head: bool) -> None:
        path = req.path.split("?", 1)[0]
        self.requests.append((req.command, path, req.headers.get("Range")))
        api = re.fullmatch(r"/api/models/(.+?)(?:/revision/([^/]+))?", path)
        if api:
            self._info(req, api.group(1), api.group(2))
            return
        resolve = re.fullmatch(r"/(.+?/.+?)/resolve/([^/]+)/(.+)", path)
        if resolve:
            self._file(req, resolve.group(1), resolve.group(2), resolve.group(3), head)
            return
        self._error(req, 404, "EntryNotFound")

    def _allowed(self, req: BaseHTTPRequestHandler, repo_id: str) -> FakeRepo | None:
        repo = self.repos.get(repo_id)
        if repo is None:
            self._error(req, 404, "RepoNotFound")
            return None
        if repo.gated and req.headers.get("Authorization") != f"Bearer {self.token}":
            self._error(req, 403, "GatedRepo")
            return None
        return repo

    @staticmethod
    def _error(req: BaseHTTPRequestHandler, status: int, code: str) -> None:
        body = json.dumps({"error": code}).encode()
        req.send_response(status)
        req.send_header("X-Error-Code", code)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def _info(self, req: BaseHTTPRequestHandler, repo_id: str, revision: str | None) -> None:
        repo = self._allowed(req, repo_id)
        if repo is None:
            return
        if revision not in (None, "main", repo.commit):
            self._error(req, 404, "RevisionNotFound")
            return
        siblings = []
        for name, data in sorted(repo.files.items()):
            blob = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
            item: dict[str, Any] = {"rfilename": name, "size": len(data), "blobId": blob}
            if len(data) >= LFS_THRESHOLD:
                item["lfs"] = {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "pointerSize": 134,
                }
            siblings.append(item)
        body = json.dumps(
            {"id": repo_id, "sha": repo.commit, "gated": repo.gated, "siblings": siblings}
        ).encode()
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        req.wfile.write(body)

    def _file(
        self, req: BaseHTTPRequestHandler, repo_id: str, rev: str, name: str, head: bool
    ) -> None:
        repo = self._allowed(req, repo_id)
        if repo is None:
            return
        if rev not in ("main", repo.commit) or name not in repo.files:
            self._error(req, 404, "EntryNotFound")
            return
        data = repo.files[name]
        if name in self.corrupt:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", req.headers.get("Range") or "")
        if match and not self.no_ranges:
            start = int(match.group(1))
            if start >= len(data):
                req.send_response(416)
                req.send_header("Content-Length", "0")
                req.end_headers()
                return
            req.send_response(206)
            req.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            req.send_response(200)
        body = data[start:]
        req.send_header("Content-Length", str(len(body)))
        req.send_header("ETag", f'"{hashlib.sha256(repo.files[name]).hexdigest()}"')
        req.end_headers()
        if head:
            return
        cut = self.cut_after.pop(name, None)
        if cut is not None and cut < len(body):
            req.wfile.write(body[:cut])
            req.wfile.flush()
            self._sent.append((name, cut))
            req.close_connection = True
            req.connection.shutdown(2)  # the peer sees a short body
            return
        if self.throttle_s:
            for offset in range(0, len(body), 1 << 16):
                try:
                    req.wfile.write(body[offset : offset + (1 << 16)])
                    req.wfile.flush()
                except OSError:  # the client went away (cancelled)
                    self._sent.append((name, offset))
                    return
                time.sleep(self.throttle_s)
        else:
            req.wfile.write(body)
        self._sent.append((name, len(body)))
