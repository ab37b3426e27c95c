"""The dashboard as the API returns it: times in seconds, rates in percent."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Thresholds(BaseModel):
    """Read time (seconds on one post) from which a viewer counts as 细读 / 深读."""

    careful_seconds: float
    deep_seconds: float


class Funnel(BaseModel):
    reps_targeted: int  # reps the post's plan targets (of the team, when filtered)
    copies_opened: int
    posted: int  # copies marked 我已发布
    views: int
    unique_viewers: int
    careful_viewers: int  # 细读 (includes 深读)
    deep_viewers: int  # 深读


class RepStats(BaseModel):
    rep_id: int
    name: str
    team: str
    slot_at: datetime | None  # the plan's suggested posting time
    opened_at: datetime | None
    posted_at: datetime | None
    views: int
    unique_viewers: int
    engaged_seconds: float
    median_engaged_seconds: float | None  # over this rep's viewers


class Bucket(BaseModel):
    label: str
    min_seconds: float
    max_seconds: float | None
    viewers: int


class CompletionPoint(BaseModel):
    depth_percent: int
    viewers_percent: float  # of the post's viewers who scrolled at least this far


class SectionHeat(BaseModel):
    id: str
    title: str
    seconds: float
    share_percent: float


class TreeNode(BaseModel):
    viewer_id: int
    parent_viewer_id: int | None  # None: came straight from the rep's link
    rep_id: int
    label: str
    direct: int  # viewers their own link brought
    downstream: int  # everyone below them in the tree
    sharer: bool
    koc: bool


class PostDashboard(BaseModel):
    post_id: int
    title: str
    published_at: datetime | None
    as_of: datetime | None  # when the roll-up the numbers come from was rebuilt
    thresholds: Thresholds
    funnel: Funnel
    median_engaged_seconds: float | None
    reps: list[RepStats]
    histogram: list[Bucket]
    completion: list[CompletionPoint]
    sections: list[SectionHeat]
    tree: list[TreeNode]


class CampaignRow(BaseModel):
    post_id: int
    title: str
    published_at: datetime
    funnel: Funnel
    posted_percent: float | None  # of reps targeted
    median_engaged_seconds: float | None


class Campaign(BaseModel):
    since: datetime | None
    until: datetime | None
    team: str | None
    teams: list[str]
    as_of: datetime | None
    thresholds: Thresholds
    posts: list[CampaignRow]


class LeaderRow(BaseModel):
    key: str  # rep id or team name
    name: str
    team: str
    reps: int
    posted: int
    targeted: int  # posts in the period whose plan targets the rep(s), summed over reps
    execution_percent: float | None
    views: int
    unique_viewers: int
    engaged_seconds: float


class Leaderboard(BaseModel):
    since: datetime | None
    until: datetime | None
    posts: int
    sort: str
    as_of: datetime | None
    reps: list[LeaderRow]
    teams: list[LeaderRow]
