"""`make bench`: speed, scale and memory of papibot, each figure beside a plain baseline or a floor.

Prints a table and writes bench/results.json. Run from the project root with the project's venv.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process, utils

from bench.e2e import bench_e2e
from bench.report import verdict
from bench.scale import bench_scale, bench_service_pg
from bench.service import bench_service, median_of_three, questions, run_async, stage_profile
from bench.startup import bench_startup
from bench.synthetic import synthetic_kb, write_knowledge
from bench.zalo import bench_zalo
from bot.kernel.config import DEFAULT_KNOWLEDGE
from bot.understanding.matcher import Matcher
from knowledge.loader import KnowledgeBase, load_knowledge

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"


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


def _median_run(run: Callable[[], dict[str, Any] | None], key: str) -> dict[str, Any] | None:
    """`run` three times: the run with the median `key`, with every run's `key` beside it."""
    runs = [r for r in (run() for _ in range(3)) if r is not None]
    if not runs:
        return None
    runs.sort(key=lambda r: float(r[key]))
    return {**runs[len(runs) // 2], "runs": [r[key] for r in runs]}


def _startups(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Start-up of a fresh process on the real knowledge and on 10,000 topics: cold (no index cache yet) and
    warm (the cache of the previous start), the median of three warm starts."""
    with tempfile.TemporaryDirectory() as tmp:
        big = write_knowledge(synthetic_kb(kb, 10000), DEFAULT_KNOWLEDGE, Path(tmp) / "k")
        return [_median_warm(DEFAULT_KNOWLEDGE, "real"), _median_warm(big, "10k")]


def _median_warm(knowledge: Path, label: str) -> dict[str, Any]:
    runs: list[dict[str, Any]] = [bench_startup(knowledge, label) for _ in range(3)]
    runs.sort(key=lambda r: float(r["warm"]["ready_s"]))
    return {**runs[1], "runs": [r["warm"]["ready_s"] for r in runs]}


def main() -> int:
    """Run every benchmark, print the table and the verdict, write the JSON; 1 when a floor is not met."""
    qs = questions()
    kb = load_knowledge(DEFAULT_KNOWLEDGE)
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
        "matching": [bench_matching(kb, qs, "real"), bench_matching(synthetic_kb(kb, 1000), qs, "1k"),
                     bench_matching(synthetic_kb(kb, 10000), qs[::6], "10k")],
        "service": median_of_three(run_async(lambda: bench_service(qs))),
        "stages": asyncio.run(stage_profile(qs)),
        "startup": _startups(kb),
        "e2e": _median_run(lambda: bench_e2e(paced=True), "p99_ms"),
        "e2e_back_to_back": bench_e2e(paced=False),
        "zalo": _median_run(lambda: bench_zalo(paced=True), "ack_p99_ms"),
        "zalo_burst": _median_run(lambda: bench_zalo(paced=False), "ack_p99_ms"),
        "service_pg": bench_service_pg(bench_service, qs),
    }
    results["scale"] = bench_scale()
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print_table(results)
    missed = verdict(results)
    print(f"written to {RESULTS.relative_to(ROOT)}")
    if missed:
        print(f"floors not met: {', '.join(missed)}")
    return 1 if missed else 0


def print_table(r: dict[str, Any]) -> None:
    """Every figure in detail (the verdict follows)."""
    machine = r["machine"]
    print(f"papibot benchmarks on {machine['system']}, {machine['cpus']} CPUs, Python {machine['python']}")
    print(f"{'matching':10} {'topics':>7} {'p50 ms':>8} {'p99 ms':>8} {'base p99':>9} {'ratio':>6}")
    for m in r["matching"]:
        print(f"{m['label']:10} {m['topics']:>7} {m['p50_ms']:>8} {m['p99_ms']:>8} {m['baseline_p99_ms']:>9} "
              f"{m['ratio_p99']:>6}")
    for key, name in (("service", "SQLite"), ("service_pg", "PostgreSQL")):
        if s := r.get(key):
            print(f"citizen path on {name}: {s['per_second']} messages/s, median of {s.get('runs')} "
                  f"(30 % unknown, {s['tickets_written']} tickets)")
    stages = r["stages"]
    print(f"where a message's {stages['total_us']} µs go (SQLite, one run):")
    for stage, us in stages["stages_us"].items():
        print(f"  {stage:44} {us:>6} µs")
    for st in r["startup"]:
        cold, warm = st["cold"], st["warm"]
        print(f"start-up {st['label']}: cold {cold['ready_s']} s / {cold['peak_rss_mb']} MB, warm (index cache) "
              f"{warm['ready_s']} s / {warm['peak_rss_mb']} MB, warm runs {st.get('runs')}")
    for key in ("e2e", "e2e_back_to_back"):
        if e := r.get(key):
            kind = "people's pace" if e["paced"] else "back to back (Telegram's 30 messages/s bound it)"
            print(f"Telegram end to end, {kind}: {e['citizens']}x{e['messages_each']} messages, p50 {e['p50_ms']} ms, "
                  f"p99 {e['p99_ms']} ms, lost {e['lost']}" + (f", p99 of each run {e['runs']}" if "runs" in e else ""))
    for key in ("zalo", "zalo_burst"):
        if z := r.get(key):
            kind = "people's pace" if z.get("paced", True) else "burst, no pause"
            print(f"Zalo OA webhook ({kind}): {z['citizens']}x{z['messages_each']} messages, ack p50 "
                  f"{z['ack_p50_ms']} ms, p99 {z['ack_p99_ms']} ms, lost {z['lost']}, duplicated {z['duplicated']},"
                  f" refused {z['refused']}, p99 of each run {z.get('runs')}")
    for mix, runs in (r.get("scale") or {}).items():
        for s in runs:
            print(f"scale-out {mix:9} {s['processes']} process(es): {s['per_second']} messages/s, reply p50 "
                  f"{s['p50_ms']} ms, p99 {s['p99_ms']} ms, unanswered {s['unanswered']}, duplicated {s['duplicated']}")


if __name__ == "__main__":
    sys.exit(main())
