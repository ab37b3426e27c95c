"""A small, fully known campaign: two posts, four reps (one inactive), seven viewers, a
re-share chain, tags from the real tag job. The expected numbers in the tests follow from
the table below by hand.

    post 1 (5 days ago, article of 4 sections)        post 2 (1 day ago)
    copies: 张 posted, 李 opened                      copies: 陈 posted, 张 posted
    V1 优优妈妈 via 张: 50 s + 20 s, scroll 95/40     V1 via 陈: 120 s, scroll 80
    V2 via 张, forwarded by V1: 400 s, scroll 100     V6 via 陈: 15 s, scroll 30
    V3 via 张, forwarded by V2: visible 5 s only
    V4 via 李: 30 s, scroll 60;  V5 via 李: 0 s
    V7 via 陈: 350 s, scroll 100, ten days ago
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.db import unit_of_work
from service.models import Copy, Post, Rep, utcnow
from service.models.tracking import PageView, Viewer
from service.runtime import Runtime
from service.tracking import repository as tracking_repository
from service.tracking import tags

ARTICLE = (
    "宝宝的创造力，从日常小事开始。\n\n"
    "## 一、给孩子留白\n\n每天留出半小时无安排的自由时间。\n\n"
    "## 二、提问比回答更重要\n\n多问“你觉得呢？”，少给标准答案。\n\n"
    "## 三、动手做\n\n积木、黏土、纸箱，都是最好的教具。"
)


@dataclass
class Scenario:
    org_id: int
    post1: int
    post2: int
    reps: dict[str, int]  # 张, 李, 陈, 王 (inactive)
    viewers: dict[str, int]  # V1 ... V7
    now: datetime


def _post(
    session: Session, org_id: int, title: str, text: str, published: datetime, **kw: Any
) -> int:
    post = Post(
        org_id=org_id,
        title=title,
        text=text,
        protected=[],
        seed_salt="s" * 16,
        published_at=published,
        **kw,
    )
    session.add(post)
    session.flush()
    return post.id


def add_view(
    session: Session,
    org_id: int,
    post_id: int,
    rep_id: int,
    viewer_id: int,
    *,
    at: datetime,
    ms: int | None,
    scroll: int,
    parent: int | None = None,
    sections: dict[str, int] | None = None,
    visible: int | None = None,
) -> None:
    session.add(
        PageView(
            org_id=org_id,
            post_id=post_id,
            rep_id=rep_id,
            viewer_id=viewer_id,
            parent_viewer_id=parent,
            opened_at=at,
            last_event_at=at + timedelta(minutes=1),
            beacons=3,
            visible_ms=visible if visible is not None else (ms or 0),
            engaged_ms=ms,
            max_scroll=scroll,
            sections=sections or {},
            channel="timeline",
        )
    )
    session.flush()


def seed(runtime: Runtime, org_id: int) -> Scenario:
    now = utcnow()
    day = timedelta(days=1)
    with unit_of_work(runtime.sessions) as session:
        reps = {}
        for name, team, active in [
            ("张晓雯", "朝阳店", True),
            ("李俊杰", "朝阳店", True),
            ("陈思远", "海淀店", True),
            ("王芳", "海淀店", False),
        ]:
            rep = Rep(org_id=org_id, name=name, team=team, active=active, link_nonce="n" * 8)
            session.add(rep)
            session.flush()
            reps[name[0]] = rep.id
        post1 = _post(
            session,
            org_id,
            "培养宝宝创造力的三个方法",
            "周末亲子课报名中 #育儿#",
            now - 5 * day,
            article=ARTICLE,
        )
        post2 = _post(session, org_id, "秋冬护肤指南", "补水保湿，换季必备。", now - day)
        for post_id, who, posted in [
            (post1, "张", True),
            (post1, "李", False),
            (post2, "陈", True),
            (post2, "张", True),
        ]:
            session.add(
                Copy(
                    org_id=org_id,
                    post_id=post_id,
                    rep_id=reps[who],
                    text="copy",
                    opened_at=now - 5 * day,
                    posted_at=now - 4 * day if posted else None,
                )
            )
        viewers = {}
        for key, first_rep, label in [
            ("V1", "张", "优优妈妈"),
            ("V2", "张", ""),
            ("V3", "张", ""),
            ("V4", "李", ""),
            ("V5", "李", ""),
            ("V6", "陈", ""),
            ("V7", "陈", "<b>乐乐</b>"),
        ]:
            viewer = Viewer(
                org_id=org_id,
                cookie_id=f"{key}-{org_id}",
                first_rep_id=reps[first_rep],
                label=label,
            )
            session.add(viewer)
            session.flush()
            viewers[key] = viewer.id
        v, r = viewers, reps
        add_view(
            session,
            org_id,
            post1,
            r["张"],
            v["V1"],
            at=now - 3 * day,
            ms=50_000,
            scroll=95,
            sections={"copy": 10_000, "s2": 40_000},
        )
        add_view(
            session,
            org_id,
            post1,
            r["张"],
            v["V2"],
            at=now - 2 * day,
            ms=400_000,
            scroll=100,
            parent=v["V1"],
            sections={"s1": 100_000, "s3": 300_000},
        )
        add_view(
            session,
            org_id,
            post1,
            r["张"],
            v["V1"],
            at=now - 3 * day + timedelta(hours=1),
            ms=20_000,
            scroll=40,
            sections={"copy": 20_000},
        )
        add_view(
            session,
            org_id,
            post1,
            r["张"],
            v["V3"],
            at=now - 2 * day,
            ms=None,
            visible=5_000,
            scroll=10,
            parent=v["V2"],
        )
        add_view(session, org_id, post1, r["李"], v["V4"], at=now - 4 * day, ms=30_000, scroll=60)
        add_view(session, org_id, post1, r["李"], v["V5"], at=now - 4 * day, ms=None, scroll=0)
        add_view(
            session,
            org_id,
            post1,
            r["陈"],
            v["V7"],
            at=now - 10 * day,
            ms=350_000,
            scroll=100,
            sections={"s3": 350_000},
        )
        add_view(session, org_id, post2, r["陈"], v["V1"], at=now - day, ms=120_000, scroll=80)
        add_view(session, org_id, post2, r["陈"], v["V6"], at=now - day, ms=15_000, scroll=30)
        tracking_repository.refresh_viewers(session, list(viewers.values()))
        rules = tags.rules_for(session, org_id=org_id).as_json()
        rules["koc"]["at_least"] = 2  # V1's chain (V2, V3) makes V1 a KOC
        tags.set_rules(session, org_id=org_id, data=rules)
        tags.recompute(session, org_id=org_id, now=now)
    return Scenario(org_id, post1, post2, reps, viewers, now)
