"""Start-up with and without the compiled knowledge: a fresh process on an empty data directory (cold: the YAML
read, the index built and compiled), then a second one on the same directory (warm: read from the copy).

`python -m bench.startup` prints both for the shipped knowledge and for 10,000 synthetic topics.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.synthetic import synthetic_kb, write_knowledge
from bot.kernel.config import DEFAULT_KNOWLEDGE
from bot.understanding.cache import FILE
from knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[1]
# The floors the start-up is held to: seconds to ready and peak RSS (MB) once the copy exists.
FLOORS = {"real": (0.5, None), "10k": (2.0, 250.0)}

STARTUP = """
import asyncio, json, time
t0 = time.perf_counter()
from bot.kernel.config import load_config
from bot.engine.services import open_services
async def main():
    s = await open_services(load_config())
    ready = time.perf_counter() - t0
    from_cache = s.brain.from_cache
    await s.close()
    # VmHWM, not ru_maxrss: Linux keeps the parent's peak in ru_maxrss across fork and exec
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    print(json.dumps({"ready": ready, "hwm_kb": int(hwm), "from_cache": from_cache}))
asyncio.run(main())
"""


def _run(env: dict[str, str]) -> dict[str, object]:
    """One fresh process to ready: seconds from its start, seconds of the whole process, peak RSS in MB."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, env=env, cwd=ROOT,
                         check=True)
    wall = time.perf_counter() - t0
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return {"ready_s": round(figures["ready"], 2), "process_s": round(wall, 2),
            "peak_rss_mb": round(figures["hwm_kb"] / 1024, 1), "from_cache": figures["from_cache"]}


def bench_startup(knowledge_dir: Path, label: str) -> dict[str, object]:
    """Cold then warm start-up on one fresh data directory: ready seconds and peak RSS of each."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {**os.environ, "PAPIBOT_KNOWLEDGE": str(knowledge_dir), "PAPIBOT_DATA_DIR": str(data),
               "PAPIBOT_DB": str(data / "papibot.db")}
        cold = _run(env)
        size = (data / FILE).stat().st_size if (data / FILE).exists() else 0
        warm = _run(env)
    ready_floor, rss_floor = FLOORS.get(label, (None, None))
    return {"label": label, "cold": cold, "warm": warm, "cache_mb": round(size / 2**20, 1),
            "floor_ready_s": ready_floor, "floor_peak_rss_mb": rss_floor}


def main() -> int:
    """Print cold and warm start-up for the shipped knowledge and for 10,000 topics."""
    results = [bench_startup(DEFAULT_KNOWLEDGE, "real")]
    with tempfile.TemporaryDirectory() as tmp:
        big = write_knowledge(synthetic_kb(load_knowledge(DEFAULT_KNOWLEDGE), 10000), DEFAULT_KNOWLEDGE,
                              Path(tmp) / "k")
        results.append(bench_startup(big, "10k"))
    print(f"{'knowledge':<10}{'start':<7}{'ready s':>9}{'process s':>11}{'peak MB':>9}  from copy  floor")
    for r in results:
        for kind in ("cold", "warm"):
            run: Any = r[kind]
            floor = (f"≤ {r['floor_ready_s']} s" + (f", ≤ {r['floor_peak_rss_mb']:.0f} MB" if r["floor_peak_rss_mb"]
                                                   else "")) if kind == "warm" and r["floor_ready_s"] else ""
            print(f"{r['label']:<10}{kind:<7}{run['ready_s']:>9}{run['process_s']:>11}{run['peak_rss_mb']:>9}"
                  f"  {'yes' if run['from_cache'] else 'no':<9}  {floor}")
        print(f"{'':<10}compiled copy: {r['cache_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
