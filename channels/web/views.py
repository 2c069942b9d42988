"""Rendering the console's pages: one jinja2 environment over channels/web/templates, autoescaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from bot.render import age, local_time
from bot.staff import vn_number
from channels.web.auth import Officer

HERE = Path(__file__).resolve().parent
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters.update(time=local_time, age=age, vn=vn_number)


def render(request: Request, name: str, officer: Officer | None = None, code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page from the console's templates, with the officer and any message from the query string."""
    html = _ENV.get_template(name).render(officer=officer, path=request.url.path,
                                          msg=request.query_params.get("msg", "")[:300],
                                          err=request.query_params.get("err", "")[:300], **context)
    return HTMLResponse(html, status_code=code, headers={"Cache-Control": "no-store"})




def back(url: str, msg: str = "", err: str = "") -> RedirectResponse:
    """Redirect after a POST (303), with a message for the next page."""
    query = urlencode({k: v for k, v in (("msg", msg), ("err", err)) if v})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)
