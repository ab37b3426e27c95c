"""Who may do what: named role policies, and the dependencies that enforce them.

A route names the policy it needs in its signature, for the API (`PostEditor`: a JSON 403)
or for a page (`PagePostEditor`: the same rule, the error page for browsers); a template asks
`can(staff, EDIT_POSTS)`. Nothing else compares `staff.role` (tests/test_architecture.py).
The authorisation matrix (tests/robustness/test_authorisation_matrix.py) checks the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated

from fastapi import Depends

from service.deps import CurrentStaff
from service.errors import Forbidden
from service.models import Role, Staff
from service.web import PageStaff


@dataclass(frozen=True)
class Policy:
    """The roles allowed to do one kind of thing; `description` is the refusal people read."""

    name: str
    roles: frozenset[Role]
    description: str  # Chinese
    detail: str  # English, for developers


EDIT_POSTS = Policy(
    "edit_posts",
    frozenset({Role.ADMIN, Role.EDITOR}),
    "只有编辑和管理员可以修改和发布素材。",
    "only editors and admins may change posts",
)
MANAGE_REPS = Policy(
    "manage_reps",
    frozenset({Role.ADMIN}),
    "只有管理员可以管理销售。",
    "only admins may manage reps",
)
MANAGE_ORG = Policy(
    "manage_org",
    frozenset({Role.ADMIN}),
    "只有管理员可以管理员工、机构设置和访客数据。",
    "only admins may manage staff, the organisation's settings and viewers' data",
)
READ_DASHBOARD = Policy(
    "read_dashboard",
    frozenset({Role.ADMIN, Role.EDITOR, Role.MANAGER}),
    "只有经理、编辑和管理员可以查看数据看板。",
    "only managers, editors and admins see the dashboard",
)
POLICIES = (EDIT_POSTS, MANAGE_REPS, MANAGE_ORG, READ_DASHBOARD)


def can(staff: Staff, policy: Policy) -> bool:
    return staff.role in policy.roles


def check(staff: Staff, policy: Policy) -> Staff:
    if not can(staff, policy):
        raise Forbidden(policy.detail, message=policy.description)
    return staff


@cache
def allowed(policy: Policy) -> Callable[[Staff], Staff]:
    """The API dependency: the caller (bearer token, or cookie on a safe call) if allowed."""

    def allowed_staff(staff: CurrentStaff) -> Staff:
        return check(staff, policy)

    return allowed_staff


@cache
def page_allowed(policy: Policy) -> Callable[[Staff], Staff]:
    """The page dependency: the same rule behind the login cookie (PageStaff)."""

    def allowed_page_staff(staff: PageStaff) -> Staff:
        return check(staff, policy)

    return allowed_page_staff


# Written out (not built in a loop) so a type checker sees each alias as `Staff`.
PostEditor = Annotated[Staff, Depends(allowed(EDIT_POSTS))]
RepManager = Annotated[Staff, Depends(allowed(MANAGE_REPS))]
OrgAdmin = Annotated[Staff, Depends(allowed(MANAGE_ORG))]
DashboardReader = Annotated[Staff, Depends(allowed(READ_DASHBOARD))]

PagePostEditor = Annotated[Staff, Depends(page_allowed(EDIT_POSTS))]
PageRepManager = Annotated[Staff, Depends(page_allowed(MANAGE_REPS))]
PageOrgAdmin = Annotated[Staff, Depends(page_allowed(MANAGE_ORG))]
PageDashboardReader = Annotated[Staff, Depends(page_allowed(READ_DASHBOARD))]
