"""The dashboard's reports: a post, the campaign overview and the leaderboard."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.dashboard import post_detail, repository, rollup
from service.dashboard.post_detail import Spread
from service.dashboard.repository import RepInfo
from service.dashboard.schemas import (
    Campaign,
    CampaignRow,
    Funnel,
    Leaderboard,
    LeaderRow,
    PostDashboard,
)
from service.dashboard.stats import rate
from service.errors import BadRequest
from service.models import Post
from service.tracking.tags import rules_for
from service.tracking.units import seconds

SORTS = {
    "execution": lambda r: (-(r.execution_percent or 0), -r.views, r.name),
    "views": lambda r: (-r.views, -(r.execution_percent or 0), r.name),
    "engaged": lambda r: (-r.engaged_seconds, -r.views, r.name),
}


def reps(session: Session, *, org_id: int) -> list[RepInfo]:
    """The organisation's reps, for naming them on a page."""
    return list(repository.reps(session, org_id=org_id).values())


def post(session: Session, post: Post) -> tuple[PostDashboard, Spread]:
    return post_detail.build(session, post, rules=rules_for(session, org_id=post.org_id))


def check_period(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until <= since:
        raise BadRequest("'until' must be after 'since'", code="invalid_period")


def campaign(
    session: Session,
    *,
    org_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
) -> Campaign:
    """Published posts of the period, newest first, each with its funnel; `team` counts only
    that team's reps, their copies and the views their links brought."""
    check_period(since, until)
    limits = post_detail.thresholds(rules_for(session, org_id=org_id))
    posts = repository.published_posts(session, org_id=org_id, since=since, until=until)
    ids = [post_id for post_id, _, _ in posts]
    as_of = rollup.ensure_fresh(session, org_id=org_id, post_ids=ids)
    copies = repository.copy_counts(session, org_id=org_id, post_ids=ids, team=team)
    reading = repository.reading_stats(
        session,
        org_id=org_id,
        post_ids=ids,
        careful_ms=int(limits.careful_seconds * 1000),
        deep_ms=int(limits.deep_seconds * 1000),
        team=team,
    )
    reps = repository.reps(session, org_id=org_id)
    everyone = {rep.id for rep in reps.values() if rep.active and (not team or rep.team == team)}
    plans = repository.planned(session, org_id=org_id, post_ids=ids)
    rows = []
    for post_id, title, published_at in posts:
        # A post published to some teams targets their reps; one without a plan, everyone.
        targets = plans.get(post_id)
        in_scope = {r for r in targets if not team or reps[r].team == team} if targets else None
        targeted = len(in_scope) if in_scope is not None else len(everyone)
        opened, posted = copies.get(post_id, (0, 0))
        views, unique, careful, deep, _, median_ms = reading.get(post_id, (0, 0, 0, 0, 0, None))
        funnel = Funnel(
            reps_targeted=targeted,
            copies_opened=opened,
            posted=posted,
            views=views,
            unique_viewers=unique,
            careful_viewers=careful,
            deep_viewers=deep,
        )
        rows.append(
            CampaignRow(
                post_id=post_id,
                title=title,
                published_at=published_at,
                funnel=funnel,
                posted_percent=rate(posted, targeted),
                median_engaged_seconds=seconds(median_ms),
            )
        )
    return Campaign(
        since=since,
        until=until,
        team=team or None,
        teams=repository.teams(session, org_id=org_id),
        as_of=as_of,
        thresholds=limits,
        posts=rows,
    )


def leaderboard(
    session: Session,
    *,
    org_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str = "execution",
) -> Leaderboard:
    """Active reps and their teams over the posts published in the period: execution rate
    (copies marked 我已发布 of the posts), views their links brought, read time."""
    check_period(since, until)
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}", code="invalid_sort")
    posts = repository.published_posts(session, org_id=org_id, since=since, until=until)
    ids = [post_id for post_id, _, _ in posts]
    as_of = rollup.ensure_fresh(session, org_id=org_id, post_ids=ids)
    activity = repository.rep_activity(session, org_id=org_id, post_ids=ids)
    reps = [r for r in repository.reps(session, org_id=org_id).values() if r.active]
    plans = repository.planned(session, org_id=org_id, post_ids=ids)
    unplanned = len(ids) - len(plans)  # posts without a plan target every rep
    rows: list[LeaderRow] = []
    teams: dict[str, list[int]] = {}
    for rep in reps:
        posted, views, unique, ms = activity.get(rep.id, (0, 0, 0, 0))
        targeted = unplanned + sum(rep.id in targets for targets in plans.values())
        rows.append(_row(str(rep.id), rep.name, rep.team, 1, posted, targeted, views, unique, ms))
        total = teams.setdefault(rep.team, [0, 0, 0, 0, 0])
        for index, value in enumerate((1, posted, targeted, views, ms)):
            total[index] += value
    readers = repository.team_readers(session, org_id=org_id, post_ids=ids)
    team_rows = [
        _row(team, team or "未分组", team, n, posted, targeted, views, readers.get(team, 0), ms)
        for team, (n, posted, targeted, views, ms) in teams.items()
    ]
    return Leaderboard(
        since=since,
        until=until,
        posts=len(ids),
        sort=sort,
        as_of=as_of,
        reps=sorted(rows, key=SORTS[sort]),
        teams=sorted(team_rows, key=SORTS[sort]),
    )


def _row(
    key: str,
    name: str,
    team: str,
    reps: int,
    posted: int,
    targeted: int,
    views: int,
    unique: int,
    ms: int,
) -> LeaderRow:
    return LeaderRow(
        key=key,
        name=name,
        team=team,
        reps=reps,
        posted=posted,
        targeted=targeted,
        execution_percent=rate(posted, targeted),
        views=views,
        unique_viewers=unique,
        engaged_seconds=seconds(ms) or 0.0,
    )
