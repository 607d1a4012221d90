"""Parsing untrusted XML: no DTDs, no entities, no external references (defusedxml)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as DefusedET

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.text import MAX_TEXT_FILE_BYTES


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InteropError(f"Cannot read '{path}': the file does not exist.") from exc
    except OSError as exc:
        raise InteropError(f"Cannot read '{path}': {exc.strerror}.") from exc
    if size > MAX_TEXT_FILE_BYTES:
        raise InteropError(f"'{path.name}' is too big ({size >> 20} MB) to be an ELAN file.")


@contextlib.contextmanager
def _xml_errors(path: Path) -> Iterator[None]:
    """The refusals and parse errors of defusedxml/expat as messages."""
    try:
        yield
    except defusedxml.DefusedXmlException as exc:
        raise InteropError(
            f"Refusing '{path.name}': it declares a DTD or entities ({type(exc).__name__}), "
            "which ELAN files never need and XML bombs use."
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise InteropError(
            f"'{path.name}' is not valid XML (line {line}, column {column}); "
            "open it in ELAN and save it again."
        ) from exc
    except (LookupError, ValueError) as exc:  # an unknown encoding in the XML declaration
        raise InteropError(
            f"'{path.name}' is not valid XML ({exc}); open it in ELAN and save it again."
        ) from exc
    except OSError as exc:
        raise InteropError(f"Cannot read '{path}': {exc.strerror or exc}.") from exc


def iter_xml(path: Path) -> Iterator[tuple[str, Element]]:
    """``("start" | "end", element)`` events of ``path``, read a block at a time (the
    caller may drop what it has read), refusing XML bombs and external entities."""
    _check_size(path)
    with _xml_errors(path):
        yield from DefusedET.iterparse(str(path), events=("start", "end"), forbid_dtd=True)
