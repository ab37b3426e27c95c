"""The editor's preview of a post, one view model for the API and the page: the master beside
the first active reps' copies (generated if needed), every fold risk, the diversity meter over
the reps the plan reaches, and the plan card (the plan and the teams to choose from)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from service import engines
from service.copies import diversity
from service.copies import service as copies_service
from service.copies.schemas import CopyRead, PreviewRead
from service.models import Post, Rep
from service.plans import repository, service
from service.plans.schemas import PlanRead
from service.posts import service as posts_service
from service.posts.schemas import FoldRiskRead
from service.reps import service as reps_service
from service.runtime import Runtime


@dataclass(frozen=True)
class PreviewPage:
    preview: PreviewRead
    risk: FoldRiskRead  # the master's
    plan: PlanRead | None
    teams: list[str]
    master_urls: list[str]

    @property
    def copies(self) -> list[tuple[str, CopyRead, FoldRiskRead]]:
        """(rep name, copy, its fold risk), as the page lays them out."""
        p = self.preview
        return list(zip(p.rep_names, p.copies, p.fold_risks, strict=True))


def read(session: Session, runtime: Runtime, post: Post, *, reps: int) -> PreviewRead:
    chosen = reps_service.list_(session, org_id=post.org_id, active_only=True, limit=reps)
    copies = [
        copies_service.ensure_copy(session, runtime.storage, post=post, rep=rep) for rep in chosen
    ]
    return PreviewRead(
        master=posts_service.to_read(post),
        rep_names=[rep.name for rep in chosen],
        copies=[copies_service.to_read(post, c, copies_service.staff_image_url) for c in copies],
        fold_risks=[FoldRiskRead(**engines.fold_risk_of(copy.text)) for copy in copies],
        diversity=diversity.meter(
            session, runtime.settings, post, targeted=targeted(session, post)
        ),
    )


def page(session: Session, runtime: Runtime, post: Post) -> PreviewPage:
    return PreviewPage(
        preview=read(session, runtime, post, reps=runtime.settings.preview_reps),
        risk=FoldRiskRead(**engines.fold_risk_of(post.text)),
        plan=service.read(session, post),
        teams=sorted(repository.known_teams(session, org_id=post.org_id) - {""}),
        master_urls=[f"/api/posts/{post.id}/images/{image.position}" for image in post.images],
    )


def targeted(session: Session, post: Post) -> list[Rep]:
    """The reps the post's plan reaches (every team's before it is published)."""
    plan = repository.get(session, org_id=post.org_id, post_id=post.id)
    teams = list(plan.teams or []) if plan is not None else []
    return repository.targeted_reps(session, org_id=post.org_id, teams=teams)
