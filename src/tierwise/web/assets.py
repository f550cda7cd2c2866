"""Static files served small and kept long: gzip-compressed once per process, and addressed by a
digest of their content so a browser may keep them for a year and still never run a stale one."""

from __future__ import annotations

import gzip
import hashlib
from functools import cache
from pathlib import Path

import plotly
from fastapi import Request
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# A URL carrying the file's digest names exactly one content: it may be kept for good.
IMMUTABLE = "public, max-age=31536000, immutable"
# The same file asked for without its digest (an old page, a bookmark) is checked hourly.
REVALIDATE = "max-age=3600"
DIGEST_CHARS = 12
# Named here rather than guessed from the system's table, which differs between machines.
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


@cache
def content_of(path: Path) -> bytes:
    """The file's bytes, read once: these are the installed package's and never change while the
    process runs."""
    return path.read_bytes()


@cache
def gzipped(path: Path) -> bytes:
    """The file compressed once (Plotly.js: 4.8 MB to 1.5 MB), so no request pays for it."""
    return gzip.compress(content_of(path), compresslevel=9, mtime=0)


@cache
def digest(path: Path) -> str:
    """A short digest of the file's content: its version in URLs and its ETag."""
    return hashlib.sha256(content_of(path)).hexdigest()[:DIGEST_CHARS]


def url(prefix: str, path: Path) -> str:
    """The address of a file under `prefix` carrying its digest, for pages to link to."""
    return f"{prefix}/{path.name}?v={digest(path)}"


def static_file(name: str) -> Path:
    """The console's own stylesheet or script, or Plotly.js from the installed plotly wheel (no
    CDN: it works offline); LookupError (404) for anything else."""
    if name == PLOTLY_JS.name:
        return PLOTLY_JS
    path = STATIC / Path(name).name
    if not path.is_file():
        raise LookupError(name)
    return path


def static_url(name: str) -> str:
    """The versioned address of a static file, for templates."""
    return url("/static", static_file(name))


def accepts_gzip(request: Request) -> bool:
    """Whether the client can read a gzip body, judged as the server's GZip middleware judges it
    (so a file and a page never disagree)."""
    return "gzip" in request.headers.get("accept-encoding", "")


def served(request: Request, path: Path) -> Response:
    """The file, compressed when the client can read it; kept for good when asked for by digest."""
    version = digest(path)
    kind = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    compressed = accepts_gzip(request)
    headers = {
        "Cache-Control": IMMUTABLE if request.query_params.get("v") == version else REVALIDATE,
        "ETag": f'"{version}-gzip"' if compressed else f'"{version}"',
    }
    if compressed:  # the identity answer gets its Vary from the server's GZip middleware
        headers |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    body = gzipped(path) if compressed else content_of(path)
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers={k: headers[k] for k in ("Cache-Control", "ETag")})
    return Response(body, media_type=kind, headers=headers)


def warm(*paths: Path) -> None:
    """Compress the large files before the first page asks for them."""
    for path in paths:
        gzipped(path)
