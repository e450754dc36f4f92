"""Jinja2 rendering with autoescaping, the CSRF token and one-time messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from hitl.highlight import highlight, highlight_mentions, pubmed_url
from hitl.web.deps import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["highlight"] = highlight
_env.filters["highlight_mentions"] = highlight_mentions
_env.globals["pubmed_url"] = pubmed_url
templates = Jinja2Templates(env=_env)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    context = dict(context or {})
    context.setdefault("flash", request.session.pop("flash", None))
    context["csrf"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context, status_code=status)
