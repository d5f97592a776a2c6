"""Serves the deck.gl bundle that ships inside the installed pydeck package (no CDN)."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pydeck
from fastapi import FastAPI
from fastapi.responses import FileResponse

DECK_BUNDLE: Path = Path(pydeck.__file__).parent / "nbextension" / "static" / "index.js"
# The version in the path lets browsers cache the 4 MB bundle for good.
DECK_SCRIPT_URL = f"/vendor/pydeck-{version('pydeck')}/deck.js"
ONE_YEAR = 31_536_000


def register_vendor(server: FastAPI) -> None:
    if not DECK_BUNDLE.is_file():
        raise RuntimeError(f"pydeck's deck.gl bundle is missing at {DECK_BUNDLE}")

    @server.get(DECK_SCRIPT_URL, include_in_schema=False)
    def deck_bundle() -> FileResponse:
        return FileResponse(DECK_BUNDLE, media_type="text/javascript",
                            headers={"Cache-Control": f"public, max-age={ONE_YEAR}, immutable"})
