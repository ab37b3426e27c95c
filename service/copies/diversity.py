"""The diversity meter: what a platform's near-duplicate detector would make of a post's copies.

Judged on the bodies (added frame lines and signature removed: a detector can strip them),
for every rep the post targets, up to `meter_max_reps`: copies already issued as they are,
the others simulated exactly as they would be issued next, and stored nowhere.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal

from sqlalchemy.orm import Session

from service import engines
from service.copies import repository
from service.copies.schemas import DiversityRead
from service.copies.service import TextRecipe, text_recipe
from service.models import Post, Rep
from service.posts import sentences, versions
from service.settings import Settings

HYPOTHETICAL_REPS = 20  # judged when the organisation has no rep yet
WARN_SHARE = 0.01
# Simulating a few hundred copies takes seconds: a preview reloaded with nothing changed
# (same version, voice, reps and issued copies) reads the last answer instead.
_CACHE_SIZE = 64
_cache: OrderedDict[tuple[object, ...], DiversityRead] = OrderedDict()
_cache_lock = threading.Lock()


def meter(
    session: Session, settings: Settings, post: Post, *, targeted: Sequence[Rep]
) -> DiversityRead:
    """`targeted`: the reps the post's plan reaches (service.plans.preview knows them)."""
    issued = repository.issued(session, org_id=post.org_id, post_id=post.id)
    bodies = [
        body or engines.recovered_body(text, post.text)
        for text, body in zip(issued.texts, issued.bodies, strict=True)
    ]
    have_copy = set(repository.reps_with_copy(session, org_id=post.org_id, post_id=post.id))
    wanted = max(0, min(settings.meter_max_reps, len(targeted) or HYPOTHETICAL_REPS) - len(bodies))
    keys = [str(rep.id) for rep in targeted if rep.id not in have_copy][:wanted]
    keys += [f"meter-{n}" for n in range(wanted - len(keys))]
    recipe = text_recipe(session, post)
    key = (post.id, post.seed_salt, recipe.master, recipe.voice, tuple(keys), issued.last_id)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    read = _measure(session, post, recipe, keys, issued, bodies)
    with _cache_lock:
        _cache[key] = read
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return read


def _measure(
    session: Session,
    post: Post,
    recipe: TextRecipe,
    keys: list[str],
    issued: repository.Issued,
    bodies: list[str],
) -> DiversityRead:
    simulated = engines.simulated_bodies(
        recipe.master,
        keys,
        seed_prefix=f"post{post.id}-{post.seed_salt}",
        protected=post.protected,
        issued=engines.issued_texts(issued.texts, issued.bodies),
        voice=recipe.voice,
    )
    figures = engines.detector_figures([*bodies, *simulated], post.text)
    distinct = sentences.distinct_bodies(versions.current_sentences(session, post))
    level, advice = _advice(figures, distinct)
    return DiversityRead(
        reps=len(bodies) + len(simulated),
        simulated=len(simulated),
        pairs=figures.pairs,
        flagged_pairs=figures.flagged_pairs,
        flagged_share=round(figures.flagged_share, 4),
        identical_bodies=figures.identical_bodies,
        bodies_equal_master=figures.bodies_equal_master,
        distinct_bodies=distinct,
        level=level,
        advice=advice,
    )


Level = Literal["good", "warn", "bad"]


def _advice(figures: engines.DetectorReport, distinct: int) -> tuple[Level, str]:
    share = f"{figures.flagged_share:.1%}"
    if not (figures.flagged_pairs or figures.identical_bodies or figures.bodies_equal_master):
        more = "" if distinct > 1 else "正文目前只靠同义词变化，添加改写可进一步降低重复。"
        return "good", f"常见查重不会把任何两份版本判为重复。{more}"
    bad = (
        figures.flagged_share >= WARN_SHARE
        or figures.identical_bodies
        or figures.bodies_equal_master
    )
    level: Level = "bad" if bad else "warn"
    return level, (
        f"有 {figures.flagged_pairs} 对版本（{share}）正文过于相似，"
        f"{figures.identical_bodies} 对正文完全相同，"
        f"{figures.bodies_equal_master} 份正文与原文相同，可能被平台判为重复。"
        f"{figures.advice or '添加改写可降低重复'}：在“编辑改写”里为主要句子添加 2–3 个改写并勾选。"
    )
