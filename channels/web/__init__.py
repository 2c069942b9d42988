"""The officers' web console (the `web` channel): inbox, knowledge, dashboard, report."""

from channels.web.app import build_web_app

__all__ = ["build_web_app"]
