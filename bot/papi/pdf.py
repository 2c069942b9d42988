"""The report as PDF, printed by a headless Chromium (Debian's `chromium`, the one the browser tests drive).

The page numbers, the repeated table headers and the rows kept whole come from the report's print stylesheet
(`@page` margin boxes, `thead`, `break-inside: avoid`); Chromium's own header and footer (date, file path) are
turned off.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120.0  # seconds for one print
MISSING = ("Không tìm thấy trình duyệt Chromium để in PDF. Cài đặt: apt-get install -y chromium (hoặc đặt "
           "PAPIBOT_REPORT_CHROMIUM là đường dẫn tới Chromium). Trong lúc chờ, mở bản HTML rồi in từ trình duyệt: "
           "papibot report --format html --out bao-cao.html, hoặc trang «Báo cáo» của bảng điều khiển.")


class PdfError(Exception):
    """The PDF could not be made; the message says why and what to do (Vietnamese)."""


def find_chromium(configured: str = "") -> str | None:
    """The Chromium to print with: the configured path, else the first one on PATH."""
    if configured:
        return configured if Path(configured).is_file() and os.access(configured, os.X_OK) else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def _command(chromium: str, page: Path, out: Path, profile: Path) -> list[str]:
    command = [chromium, "--headless", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--no-pdf-header-footer", "--print-to-pdf-no-header", f"--user-data-dir={profile}",
               f"--print-to-pdf={out}", page.as_uri()]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return command


async def html_to_pdf(html: str, chromium: str | None) -> bytes:
    """Print a standalone HTML document (its styles inline) to PDF; PdfError when Chromium is missing or fails."""
    if chromium is None:
        raise PdfError(MISSING)
    with tempfile.TemporaryDirectory(prefix="papibot-report-") as work:
        folder = Path(work)
        page, out = folder / "bao-cao.html", folder / "bao-cao.pdf"
        page.write_text(html, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(*_command(chromium, page, out, folder / "profile"),
                                                    stdout=asyncio.subprocess.DEVNULL,
                                                    stderr=asyncio.subprocess.PIPE)
        try:
            _, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise PdfError(f"Chromium không in xong trong {int(TIMEOUT)} giây.") from exc
        data = out.read_bytes() if out.exists() else b""
        if proc.returncode != 0 or not data.startswith(b"%PDF"):
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] if err else []
            raise PdfError("Chromium không in được PDF" + (f": {detail[0][:200]}" if detail else ".") +
                           " Hãy mở bản HTML và in từ trình duyệt.")
        return data
