from __future__ import annotations

from litestar import Request, get

from codesign import __version__


@get("/healthz", name="health", cache=False)
async def health(request: Request) -> dict[str, str]:
    await request.app.state.db.fetch_one("SELECT 1")
    return {"status": "ok", "version": __version__}
