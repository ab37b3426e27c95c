"""One post's dashboard: funnel, per-rep table, read-time histogram, scroll completion,
section heat and the re-share tree; the database aggregates, Python only arranges."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from service.dashboard import post_repository, repository, rollup
from service.dashboard.post_repository import DEPTHS, RepReads, Sharer
from service.dashboard.repository import RepInfo
from service.dashboard.schemas import (
    Bucket,
    CompletionPoint,
    Funnel,
    PostDashboard,
    RepStats,
    SectionHeat,
    Thresholds,
    TreeNode,
)
from service.models import Post
from service.tracking.article import split_sections
from service.tracking.rules import Rules
from service.tracking.units import seconds

# Read-time buckets (seconds): the edges of the histogram on the post page.
EDGES: list[tuple[int, int | None, str]] = [(0, 10, "<10秒"), (10, 30, "10–30秒")]
EDGES += [(30, 60, "30–60秒"), (60, 120, "1–2分"), (120, 300, "2–5分"), (300, None, "≥5分")]
TREE_NODES = 500  # sharers in the JSON and the tree: most people downstream first


def thresholds(rules: Rules) -> Thresholds:
    """细读/深读 as the organisation's tag tiers define them (60 s / 300 s by default)."""
    tiers = {tier.tag: tier.seconds for tier in rules.tiers}
    return Thresholds(careful_seconds=tiers.get("细读", 60), deep_seconds=tiers.get("深读", 300))


@dataclass
class Spread:
    """The re-share tree as drawn: the viewers whose links brought most people, and per rep
    how many came through its links (most of them straight from the rep's own)."""

    nodes: dict[int, Sharer] = field(default_factory=dict)
    children: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    reach: dict[int, int] = field(default_factory=dict)  # rep -> viewers through their links
    roots: dict[int, int] = field(default_factory=dict)  # rep -> straight from the rep's link

    @classmethod
    def of(cls, sharers: list[Sharer], reps: Mapping[int, RepReads]) -> Spread:
        spread = cls(
            reach={rep_id: r.reach for rep_id, r in reps.items() if r.reach},
            roots={rep_id: r.roots for rep_id, r in reps.items()},
        )
        for sharer in sharers:
            spread.nodes[sharer.viewer_id] = sharer
        for sharer in sharers:
            parent = sharer.parent_viewer_id if sharer.parent_viewer_id in spread.nodes else None
            spread.children[parent].append(sharer.viewer_id)
        return spread


def build(session: Session, post: Post, *, rules: Rules) -> tuple[PostDashboard, Spread]:
    """The post's dashboard and its tree (for the SVG)."""
    org_id, limits = post.org_id, thresholds(rules)
    as_of = rollup.ensure_fresh(session, org_id=org_id, post_ids=[post.id])
    careful, deep = int(limits.careful_seconds * 1000), int(limits.deep_seconds * 1000)
    reps = repository.reps(session, org_id=org_id)
    copies = {
        rep_id: (opened, posted)
        for rep_id, opened, posted in repository.copies_of_post(
            session, org_id=org_id, post_id=post.id
        )
    }
    total = post_repository.summary(
        session,
        org_id=org_id,
        post_id=post.id,
        careful_ms=careful,
        deep_ms=deep,
        edges_ms=[(low * 1000, None if high is None else high * 1000) for low, high, _ in EDGES],
    )
    per_rep = post_repository.rep_reads(session, org_id=org_id, post_id=post.id)
    spread = Spread.of(
        post_repository.sharers(session, org_id=org_id, post_id=post.id, limit=TREE_NODES),
        per_rep,
    )
    # The plan's reps when the post was published with one; else every active rep.
    slots = repository.slots_of_post(session, org_id=org_id, post_id=post.id)
    funnel = Funnel(
        reps_targeted=len(slots) or sum(1 for rep in reps.values() if rep.active),
        copies_opened=len(copies),
        posted=sum(1 for _, posted in copies.values() if posted is not None),
        views=total.views,
        unique_viewers=total.viewers,
        careful_viewers=total.careful,
        deep_viewers=total.deep,
    )
    dashboard = PostDashboard(
        post_id=post.id,
        title=post.title,
        published_at=post.published_at,
        as_of=as_of,
        thresholds=limits,
        funnel=funnel,
        median_engaged_seconds=seconds(total.median_ms),
        reps=rep_table(reps, copies, per_rep, slots),
        histogram=[
            Bucket(label=label, min_seconds=low, max_seconds=high, viewers=total.buckets[i])
            for i, (low, high, label) in enumerate(EDGES)
        ],
        completion=[
            CompletionPoint(
                depth_percent=depth,
                viewers_percent=round(100 * reached / total.viewers, 1) if total.viewers else 0.0,
            )
            for depth, reached in zip(DEPTHS, total.reached, strict=True)
        ],
        sections=heat(
            post, post_repository.section_totals(session, org_id=org_id, post_id=post.id)
        ),
        tree=[tree_node(sharer, rules=rules) for sharer in spread.nodes.values()],
    )
    return dashboard, spread


def rep_table(
    reps: dict[int, RepInfo],
    copies: Mapping[int, tuple[datetime, datetime | None]],
    per_rep: Mapping[int, RepReads],
    slots: Mapping[int, datetime] | None = None,
) -> list[RepStats]:
    """Every active rep, and any other rep with a copy or views; most views first."""
    rows = []
    nothing = RepReads(0, 0, 0, None, 0, 0)
    for rep in reps.values():
        if not (rep.active or rep.id in copies or rep.id in per_rep):
            continue
        copy, reads = copies.get(rep.id), per_rep.get(rep.id, nothing)
        rows.append(
            RepStats(
                rep_id=rep.id,
                name=rep.name,
                team=rep.team,
                slot_at=(slots or {}).get(rep.id),
                opened_at=copy[0] if copy else None,
                posted_at=copy[1] if copy else None,
                views=reads.views,
                unique_viewers=reads.viewers,
                engaged_seconds=seconds(reads.read_ms) or 0.0,
                median_engaged_seconds=seconds(reads.median_ms),
            )
        )
    rows.sort(key=lambda r: (-r.views, r.posted_at is None, r.opened_at is None, r.rep_id))
    return rows


def heat(post: Post, totals: dict[str, int]) -> list[SectionHeat]:
    """Time per part of the page: the copy, then the article's sections in order."""
    titles = {"copy": "文案"}
    for number, section in enumerate(split_sections(post.article), start=1):
        titles[section.id] = section.title or f"第{number}部分"
    # Only the article's own sections: ids a forged tracker made up are not the post's parts
    # (and once made a 5 MB page of 14,019 of them).
    totals = {key: 0 for key in titles} | {k: ms for k, ms in totals.items() if k in titles}
    whole = sum(totals.values())

    def order(key: str) -> tuple[bool, int, str]:
        return key != "copy", int(key[1:]) if key[1:].isdigit() else 10**6, key

    return [
        SectionHeat(
            id=key,
            title=titles.get(key, key),
            seconds=seconds(totals[key]) or 0.0,
            share_percent=round(100 * totals[key] / whole, 1) if whole else 0.0,
        )
        for key in sorted(totals, key=order)
    ]


def tree_node(sharer: Sharer, *, rules: Rules) -> TreeNode:
    return TreeNode(
        viewer_id=sharer.viewer_id,
        parent_viewer_id=sharer.parent_viewer_id,
        rep_id=sharer.rep_id,
        label=sharer.label,
        direct=sharer.direct,
        downstream=sharer.downstream,
        sharer=rules.sharer.enabled and sharer.direct >= max(1, rules.sharer.at_least),
        koc=rules.koc.enabled and sharer.downstream >= rules.koc.at_least,
    )
