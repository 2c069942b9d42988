"""`make bench`: speed, scale and memory of papibot, each figure beside a plain baseline or a floor.

Prints a table and writes bench/results.json. Run from the project root with the project's venv.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bench.synthetic import synthetic_kb, write_knowledge
from bot.engine.services import open_services
from bot.kernel.config import DEFAULT_KNOWLEDGE, load_config
from bot.kernel.models import CITIZEN, User
from bot.understanding.matcher import Matcher
from knowledge.loader import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


def questions() -> list[str]:
    """The fixed list of realistic questions: the held-out paraphrases shipped with the tests."""
    out = []
    for path in sorted((ROOT / "tests" / "data").glob("heldout-*.tsv")):
        out += [line.split("\t", 1)[1] for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    return out


def pct(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) of samples, in the samples' unit."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def bench_matching(kb: KnowledgeBase, qs: list[str], label: str) -> dict[str, object]:
    """Per-question latency of the matcher and of the plain rapidfuzz baseline on the same examples."""
    t0 = time.perf_counter()
    matcher = Matcher(kb)
    build = time.perf_counter() - t0
    examples = [q for t in kb.topics for q in (t.title, *t.questions)]
    ours, base = [], []
    for q in qs:
        t = time.perf_counter()
        matcher.match(q)
        ours.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        process.extractOne(q, examples, scorer=fuzz.WRatio, processor=utils.default_process)
        base.append((time.perf_counter() - t) * 1000)
    p50, p99, b50, b99 = pct(ours, 50), pct(ours, 99), pct(base, 50), pct(base, 99)
    return {"label": label, "topics": len(kb.topics), "examples": len(examples), "index_build_s": round(build, 2),
            "p50_ms": round(p50, 3), "p99_ms": round(p99, 3), "baseline_p50_ms": round(b50, 3),
            "baseline_p99_ms": round(b99, 3), "ratio_p99": round(p99 / b99, 2) if b99 else None}


async def bench_service(qs: list[str], n: int = 3000, db: str = "") -> dict[str, object]:
    """Messages per second through the whole citizen path, 30 % of them unknown (queued): in a SQLite file, or
    in the PostgreSQL database `db` names."""
    with tempfile.TemporaryDirectory() as tmp:
        services = await open_services(load_config(env={}, data_dir=Path(tmp), db_path=db or Path(tmp) / "bench.db"))
        try:
            t0 = time.perf_counter()
            for i in range(n):
                user = User("cli", str(i % 200), str(i % 200), "Công dân", CITIZEN)
                text = f"flycam quay phim đám cưới lần {i}" if i % 10 < 3 else qs[i % len(qs)]
                await services.citizen.ask(user, text)
            elapsed = time.perf_counter() - t0
            _tickets, total = await services.storage.tickets.pending(1)
        finally:
            await services.close()
    return {"backend": "postgresql" if db else "sqlite", "messages": n, "unknown_share": 0.3,
            "per_second": round(n / elapsed), "tickets_written": total}


def median_of_three(qs: list[str]) -> dict[str, object]:
    """The citizen path measured three times: the median run, with every run's figure."""
    runs = sorted((asyncio.run(bench_service(qs)) for _ in range(3)), key=lambda r: int(str(r["per_second"])))
    return {**runs[1], "runs": [r["per_second"] for r in runs]}


STARTUP = """
import asyncio, sys, time
t0 = time.perf_counter()
from bot.kernel.config import load_config
from bot.engine.services import open_services
async def main():
    s = await open_services(load_config())
    ready = time.perf_counter() - t0
    await s.close()
    # VmHWM, not ru_maxrss: Linux keeps the parent's peak in ru_maxrss across fork and exec
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    print(ready, hwm)
asyncio.run(main())
"""


def bench_startup(knowledge_dir: Path, label: str) -> dict[str, object]:
    """Seconds from process start to ready (knowledge loaded, index built, database open) and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PAPIBOT_KNOWLEDGE": str(knowledge_dir), "PAPIBOT_DB": str(Path(tmp) / "s.db")}
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True, env=env, cwd=ROOT,
                             check=True)
        wall = time.perf_counter() - t0
    ready, rss_kb = out.stdout.split()
    return {"label": label, "ready_s": round(float(ready), 2), "process_s": round(wall, 2),
            "peak_rss_mb": round(int(rss_kb) / 1024, 1)}


def main() -> int:
    """Run every benchmark, print the table, write the JSON."""
    qs = questions()
    kb = load_knowledge(DEFAULT_KNOWLEDGE)
    results: dict[str, object] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "matching": [bench_matching(kb, qs, "real"), bench_matching(synthetic_kb(kb, 1000), qs, "1k"),
                     bench_matching(synthetic_kb(kb, 10000), qs[::6], "10k")],
        "service": median_of_three(qs),
    }
    with tempfile.TemporaryDirectory() as tmp:
        big = write_knowledge(synthetic_kb(kb, 10000), DEFAULT_KNOWLEDGE, Path(tmp) / "k")
        results["startup"] = [bench_startup(DEFAULT_KNOWLEDGE, "real"), bench_startup(big, "10k")]
    try:
        from bench.e2e import bench_e2e
    except ImportError:
        results["e2e"] = None
    else:
        results["e2e"] = bench_e2e()
    from bench.zalo import bench_zalo

    results["zalo"] = bench_zalo()
    results["zalo_burst"] = bench_zalo(paced=False)
    from bench.scale import bench_scale, bench_service_pg

    results["service_pg"] = bench_service_pg(bench_service, qs)
    results["scale"] = bench_scale()
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print_table(results)
    return 0


def print_table(r: dict) -> None:  # type: ignore[type-arg]
    """Human-readable summary with the floors."""
    machine = r["machine"]
    print(f"papibot benchmarks on {machine['system']}, {machine['cpus']} CPUs, Python {machine['python']}")
    print(f"{'matching':10} {'topics':>7} {'p50 ms':>8} {'p99 ms':>8} {'base p99':>9} {'ratio':>6}  floor p99")
    for m in r["matching"]:
        floor = "5 ms" if m["label"] == "real" else ("50 ms" if m["label"] == "10k" else "-")
        print(f"{m['label']:10} {m['topics']:>7} {m['p50_ms']:>8} {m['p99_ms']:>8} {m['baseline_p99_ms']:>9} "
              f"{m['ratio_p99']:>6}  {floor}")
    s = r["service"]
    print(f"service: {s['per_second']} messages/s, median of {s.get('runs')} (30 % unknown, {s['tickets_written']}"
          " tickets), floor 500/s")
    for st in r["startup"]:
        print(f"start-up {st['label']}: ready in {st['ready_s']} s, peak RSS {st['peak_rss_mb']} MB"
              + ("  (floors 2 s, 150 MB)" if st["label"] == "real" else ""))
    e = r.get("e2e")
    if e:
        print(f"end to end: {e['citizens']}x{e['messages_each']} messages, p50 {e['p50_ms']} ms, p99 {e['p99_ms']} ms,"
              f" lost {e['lost']} (floor: 0 lost, p99 < 1000 ms)")
    for key, floor in (("zalo", "ack p99 <= 50 ms, 0 lost, 0 duplicated"),
                       ("zalo_burst", "ack p99 < 2000 ms (Zalo's retry), 0 lost, 0 duplicated")):
        if z := r.get(key):
            kind = "people's pace" if z.get("paced", True) else "burst, no pause"
            print(f"Zalo OA webhook ({kind}): {z['citizens']}x{z['messages_each']} messages, ack p50 "
                  f"{z['ack_p50_ms']} ms, p99 {z['ack_p99_ms']} ms, lost {z['lost']}, duplicated {z['duplicated']},"
                  f" refused {z['refused']} (floor: {floor})")
    print_scale(r)
    print(f"written to {RESULTS.relative_to(ROOT)}")


def print_scale(r: dict) -> None:  # type: ignore[type-arg]
    """The PostgreSQL figures: the citizen path beside SQLite's, then 1-3 processes behind the balancer."""
    if pg := r.get("service_pg"):
        print(f"service on PostgreSQL: {pg['per_second']} messages/s (SQLite: {r['service']['per_second']}/s)")
    for mix, runs in (r.get("scale") or {}).items():
        for s in runs:
            print(f"scale-out {mix:9} {s['processes']} process(es): {s['per_second']} messages/s, reply p50 "
                  f"{s['p50_ms']} ms, p99 {s['p99_ms']} ms, unanswered {s['unanswered']}, duplicated {s['duplicated']}")


if __name__ == "__main__":
    sys.exit(main())
