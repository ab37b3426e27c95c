"""Tags per viewer, recomputed from page views by a periodic job; each keeps its evidence.

Recomputing everything from the folded page views (instead of updating tags as beacons
arrive) makes a rule change take effect on the next run and keeps the job idempotent.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from operator import attrgetter
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from service import jobs
from service.db import unit_of_work
from service.errors import Unprocessable
from service.models import Post, utcnow
from service.posts import repository as posts_repository
from service.tracking import alerts, repository
from service.tracking.repository import Reading
from service.tracking.rules import Rules, parse_rules

log = logging.getLogger(__name__)
_HASHTAG = re.compile(r"#([^#\s]{1,20})#")  # WeChat-style topics an editor wrote: #秋冬护肤#


def rules_for(session: Session, *, org_id: int) -> Rules:
    """The organisation's rules; stored ones that no longer pass (saved before a bound was
    introduced: 100,000 tiers) are logged and the defaults used until an admin saves again."""
    row = repository.rules(session, org_id=org_id)
    if row is None:
        return Rules()
    try:
        return parse_rules(row.rules)
    except Unprocessable as exc:
        log.warning(
            "organisation %s: stored tag rules refused (%s); using the defaults",
            org_id,
            exc.detail[:200],
        )
        return Rules()


def set_rules(session: Session, *, org_id: int, data: dict[str, Any]) -> Rules:
    rules = parse_rules(data)
    repository.put_rules(session, org_id=org_id, rules=rules.as_json(), now=utcnow())
    return rules


def duration(ms: int) -> str:
    """13分02秒, 45秒, 1小时05分."""
    total = ms // 1000
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes:02d}分"
    return f"{minutes}分{secs:02d}秒" if minutes else f"{secs}秒"


@dataclass(frozen=True)
class Found:
    viewer_id: int
    tag: str
    kind: str
    evidence: str


def read_ms(view: Reading) -> int:
    return view.engaged_ms if view.engaged_ms is not None else view.visible_ms


def compute(
    views: Iterable[Reading],
    posts: dict[int, Post],
    rules: Rules,
    keywords: dict[int, list[Any]],
) -> list[Found]:
    """Every tag the rules give, from an organisation's page views ordered by viewer, then
    id (a pure function). One viewer's views are held at a time, so a stream of rows keeps
    memory flat however many views the organisation has."""
    found: list[Found] = []
    parent_of: dict[int, int] = {}  # each viewer's first link from someone else
    for viewer_id, group in groupby(views, key=attrgetter("viewer_id")):
        own = list(group)
        found += _reading(viewer_id, own, posts, rules)
        found += _topics(viewer_id, own, rules, keywords)
        parent = next(
            (v.parent_viewer_id for v in own if v.parent_viewer_id not in (None, viewer_id)), None
        )
        if parent is not None:
            parent_of[viewer_id] = parent
    found += _sharing(parent_of, rules)
    return found


def _reading(
    viewer_id: int, views: list[Reading], posts: dict[int, Post], rules: Rules
) -> list[Found]:
    per_post: dict[int, int] = defaultdict(int)
    for view in views:
        per_post[view.post_id] += read_ms(view)
    found = []
    best_post, best_ms = max(per_post.items(), key=lambda item: (item[1], -item[0]))
    reached = [t for t in rules.tiers if best_ms >= t.seconds * 1000]
    if reached:
        tier = max(reached, key=lambda t: t.seconds)
        found.append(
            Found(
                viewer_id,
                tier.tag,
                "tier",
                f"读了《{_title(posts, best_post)}》{duration(best_ms)}",
            )
        )
    deepest = max(views, key=lambda v: (v.max_scroll, -v.id))
    if rules.finished.enabled and deepest.max_scroll >= rules.finished.at_least:
        found.append(
            Found(
                viewer_id,
                rules.finished.tag,
                "finished",
                f"读完了《{_title(posts, deepest.post_id)}》（看到 {deepest.max_scroll}%）",
            )
        )
    if rules.revisits.enabled and len(views) >= rules.revisits.at_least:
        found.append(Found(viewer_id, rules.revisits.tag, "revisit", f"打开了 {len(views)} 次分享"))
    return found


def _sharing(parent_of: dict[int, int], rules: Rules) -> list[Found]:
    """Sharer: their child links brought someone; KOC: many people downstream of them."""
    children: dict[int, set[int]] = defaultdict(set)
    for child, parent in parent_of.items():
        children[parent].add(child)
    found = []
    for viewer_id, direct in children.items():
        downstream = _downstream(viewer_id, children)
        if rules.sharer.enabled and len(direct) >= rules.sharer.at_least:
            found.append(
                Found(viewer_id, rules.sharer.tag, "sharer", f"转发后带来 {len(direct)} 位读者")
            )
        if rules.koc.enabled and downstream >= rules.koc.at_least:
            found.append(Found(viewer_id, rules.koc.tag, "koc", f"转发链带来 {downstream} 位读者"))
    return found


def _downstream(root: int, children: dict[int, set[int]]) -> int:
    seen, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen) - 1


def _topics(
    viewer_id: int, views: list[Reading], rules: Rules, keywords: dict[int, list[Any]]
) -> list[Found]:
    if not rules.topics.enabled or rules.topics.top == 0:
        return []
    per_post: dict[int, int] = defaultdict(int)
    for view in views:
        per_post[view.post_id] += read_ms(view)
    scores: dict[str, float] = defaultdict(float)
    behind: dict[str, int] = defaultdict(int)
    for post_id, ms in per_post.items():
        for word, weight in keywords.get(post_id, []):
            scores[word] += weight * ms  # weighted by how long they actually read it
            behind[word] += ms
    ranked = sorted(
        (w for w in scores if behind[w] >= rules.topics.min_seconds * 1000),
        key=lambda w: (-scores[w], w),
    )
    return [
        Found(viewer_id, word, "topic", f"阅读「{word}」相关内容 {duration(behind[word])}")
        for word in ranked[: rules.topics.top]
    ]


def _title(posts: dict[int, Post], post_id: int) -> str:
    post = posts.get(post_id)
    return post.title if post else f"#{post_id}"


@lru_cache(maxsize=4096)
def keywords_of(text: str, top: int) -> tuple[tuple[str, float], ...]:
    """The post's topics: the editor's own #话题# first (weight 1 each), then `top` keywords
    by jieba TF-IDF (nouns only) whose weights sum to 1."""
    import jieba.analyse  # the dictionary loads on first use: only tag runs pay for it

    editor = list(dict.fromkeys(t.strip() for t in _HASHTAG.findall(text) if t.strip()))
    found = [
        (word, weight)
        for word, weight in jieba.analyse.extract_tags(
            text, topK=top * 2, withWeight=True, allowPOS=("n", "nz", "vn", "nr", "ns", "nt")
        )
        if len(word) >= 2 and not word.isdigit() and word not in editor
    ][:top]
    total = sum(weight for _, weight in found) or 1.0
    return tuple([(topic, 1.0) for topic in editor] + [(w, x / total) for w, x in found])


def recompute(session: Session, *, org_id: int, now: datetime | None = None) -> int:
    """Replace the organisation's tags with what the current rules give; returns the count."""
    rules = rules_for(session, org_id=org_id)
    posts = _posts(
        session, org_id=org_id, post_ids=repository.posts_with_views(session, org_id=org_id)
    )
    keywords = {
        post.id: list(
            keywords_of(
                "\n".join(filter(None, [post.title, post.text, post.article])),
                rules.topics.keywords_per_post,
            )
        )
        for post in posts.values()
    }
    now = now or utcnow()
    readings = repository.readings_of_org(session, org_id=org_id)
    found = _unique(compute(readings, posts, rules, keywords))
    alerts.record_crossings(
        session,
        org_id=org_id,
        tiers=[(f.viewer_id, f.tag, f.evidence) for f in found if f.kind == "tier"],
    )
    repository.replace_tags(
        session,
        org_id=org_id,
        tags=(
            {
                "org_id": org_id,
                "viewer_id": f.viewer_id,
                "tag": f.tag,
                "kind": f.kind,
                "evidence": f.evidence,
                "computed_at": now,
            }
            for f in found
        ),
    )
    return len(found)


def _unique(found: Iterable[Found]) -> list[Found]:
    """One row per (viewer, tag): a topic word equal to a rule's tag name keeps the rule's."""
    seen: dict[tuple[int, str], Found] = {}
    for item in found:
        seen.setdefault((item.viewer_id, item.tag), item)
    return list(seen.values())


def _posts(session: Session, *, org_id: int, post_ids: set[int]) -> dict[int, Post]:
    found = (posts_repository.get(session, org_id=org_id, post_id=pid) for pid in post_ids)
    return {post.id: post for post in found if post is not None}


def recompute_all(sessions: sessionmaker[Session]) -> dict[int, int]:
    """Every organisation with page views, one unit of work each (one that fails is logged
    and the others go on): {org id: tags}."""
    with sessions() as session:
        org_ids = repository.org_ids_with_views(session)

    def one(org_id: int) -> int:
        with unit_of_work(sessions) as session:
            return recompute(session, org_id=org_id)

    return jobs.each("tracking.recompute_tags", org_ids, one)
