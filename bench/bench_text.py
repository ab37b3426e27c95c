"""Text engine benchmark and acceptance figures (issue 2); writes its section of BENCHMARKS.md.

    .venv/bin/python -m bench.bench_text [--reps 1000] [--seconds 3]

Runs pinned to one core. Throughput is compared with a floor measured in the same run: one
jieba segmentation of the same post, the least any copy must cost.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._report import write_section
from bench.dupcheck import measure
from variation.text import find_protected, has_spintax, issue_text_copies, parse_spintax, vary_text
from variation.text._spintax import render_spintax_index
from variation.text._tokenizer import base_tokenizer

POSTS = Path(__file__).resolve().parent.parent / "samples" / "posts"


def samples() -> dict[str, tuple[str, tuple[str, ...]]]:
    import json

    terms = json.loads((POSTS / "terms.json").read_text(encoding="utf-8"))
    return {
        p.name: (p.read_text(encoding="utf-8").strip("\n"), tuple(terms.get(p.name, ())))
        for p in sorted(POSTS.glob("*.txt"))
    }


def _one_copy(text: str, terms: tuple[str, ...], i: int) -> object:
    return vary_text(text, seed=i, protected=terms)


def _one_cut(tokenizer: Any, text: str, i: int) -> object:
    return list(tokenizer.cut(text + str(i), HMM=False))


def rate(fn: Callable[[int], object], seconds: float) -> float:
    """Calls per second of fn(i) over about `seconds`, after a warm-up call."""
    fn(-1)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(done, done + 50):
            fn(i)
        done += 50
    return done / (time.perf_counter() - start)


def closest(posts: dict[str, tuple[str, tuple[str, ...]]], length: int) -> str:
    return min(posts, key=lambda name: abs(len(posts[name][0]) - length))


def throughput(posts: dict[str, tuple[str, tuple[str, ...]]], seconds: float) -> str:
    tokenizer = base_tokenizer()
    rows = [
        "| post | chars | copies/s (one core) | floor: jieba cuts/s | copy cost ÷ floor |",
        "|---|---|---|---|---|",
    ]
    for target in (50, 160, 300):
        name = closest(posts, target)
        text, terms = posts[name]
        copies = rate(functools.partial(_one_copy, text, terms), seconds)
        cuts = rate(functools.partial(_one_cut, tokenizer, text), seconds)
        rows.append(
            f"| {name} | {len(text)} | {copies:,.0f} | {cuts:,.0f} | {cuts / copies:.1f}× |"
        )
    return "\n".join(rows)


def protected_intact(text: str, terms: tuple[str, ...], copies: list[str]) -> float:
    """Share of copies holding every protected span of their master as often as it does.

    A master with editor alternatives is checked against the alternatives each copy was
    given (the batch hands rep i the i-th combination), since 8点 and 八点 cannot both stay.
    """
    template = parse_spintax(text)
    ok = 0
    for i, copy in enumerate(copies):
        base = render_spintax_index(template, i)[0] if has_spintax(text) else text
        values = {s.text for s in find_protected(base, terms)}
        ok += all(copy.count(v) == base.count(v) for v in values)
    return ok / len(copies)


def acceptance(posts: dict[str, tuple[str, tuple[str, ...]]], reps: int) -> str:
    keys = [f"rep-{n:04d}" for n in range(1, reps + 1)]
    rows = [
        "| post | chars | batch s | draws/rep | not cleared | min SimHash char / word | "
        "pairs < 4 (char / word) | max / p99 Jaccard | protected intact "
        "| min / median similarity |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, (text, terms) in posts.items():
        start = time.perf_counter()
        copies = issue_text_copies(text, keys, seed_prefix=f"bench:{name}", protected=terms)
        seconds = time.perf_counter() - start
        texts = [c.text for c in copies]
        r = measure(text, texts)
        draws = statistics.mean(c.attempts for c in copies)
        rows.append(
            f"| {name} | {len(text)} | {seconds:.1f} | {draws:.2f} | "
            f"{sum(not c.clears_batch for c in copies)} | {r.min_char_distance} / "
            f"{r.min_word_distance} | {r.pairs_char_below_4} / {r.pairs_word_below_4} | "
            f"{r.max_jaccard:.3f} / {r.p99_jaccard:.3f} | "
            f"{protected_intact(text, terms, texts):.0%} | "
            f"{r.min_similarity_to_master:.2f} / {r.median_similarity_to_master:.2f} |"
        )
        print(rows[-1], flush=True)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    # Other work on the machine slows copies and the floor alike; say how busy it was.
    load = os.getloadavg()[0]
    posts = samples()
    base_tokenizer()
    speed = throughput(posts, args.seconds)
    print(speed, flush=True)
    table = acceptance(posts, args.reps)
    write_section(
        "bench_text",
        "Text variation (issue 2)",
        f"""
Throughput of `vary_text` on one core (the caller varies one master for many reps, so the
master's analysis is cached; each copy still runs every transform and every fidelity gate).
Target ≥ 2,000 copies/s at 160 characters. Load average when the run started: {load:.1f}
on {os.cpu_count()} cores (the floor column shows how much a busy machine slowed the run).

{speed}

Batch of {args.reps} reps per sample post with the diversity guarantee (`issue_text_copies`),
then every pair re-measured by `bench/dupcheck.py`, an independent detector (the `simhash`
package over character 4-grams and over plain-jieba words, exact 3-gram Jaccard; punctuation,
emoji and spaces stripped). Targets: SimHash ≥ 4 on both, Jaccard < 0.8 (p99 < 0.7 stretch),
protected spans intact in 100%, similarity to the master ≥ 0.6 (rapidfuzz Indel ratio);
batch of 1,000 for a 300-character post ≤ 5 s.

{table}
""",
    )


if __name__ == "__main__":
    main()
