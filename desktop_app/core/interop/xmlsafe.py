"""Parsing untrusted XML: no DTDs, no entities, no external references (defusedxml)."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as DefusedET

from desktop_app.core.errors import InteropError
from desktop_app.core.interop.text import MAX_TEXT_FILE_BYTES


def parse_xml(path: Path) -> Element:
    """The root element of ``path``, refusing XML bombs and external entities."""
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_FILE_BYTES:
            raise InteropError(f"'{path.name}' is too big ({size >> 20} MB) to be an ELAN file.")
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InteropError(f"Cannot read '{path}': the file does not exist.") from exc
    except OSError as exc:
        raise InteropError(f"Cannot read '{path}': {exc.strerror}.") from exc
    try:
        return DefusedET.fromstring(data, forbid_dtd=True)
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
