"""The role policies (service/access.py): who may do what, and what a refused person reads."""

from __future__ import annotations

import re

import pytest

from service.access import (
    EDIT_POSTS,
    MANAGE_ORG,
    MANAGE_REPS,
    POLICIES,
    READ_DASHBOARD,
    Policy,
    allowed,
    can,
    check,
    page_allowed,
)
from service.errors import Forbidden
from service.models import Role, Staff

# The table the whole app follows; the authorisation matrix checks it route by route.
ALLOWED: dict[Policy, set[Role]] = {
    EDIT_POSTS: {Role.ADMIN, Role.EDITOR},
    MANAGE_REPS: {Role.ADMIN},
    MANAGE_ORG: {Role.ADMIN},
    READ_DASHBOARD: {Role.ADMIN, Role.EDITOR, Role.MANAGER},
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def staff(role: Role) -> Staff:
    return Staff(role=role, org_id=1, email=f"{role}@example.test")


class TestThePolicyTable:
    def test_every_policy_is_in_the_table(self) -> None:
        assert set(POLICIES) == set(ALLOWED)
        assert len({policy.name for policy in POLICIES}) == len(POLICIES)

    @pytest.mark.parametrize("role", list(Role))
    @pytest.mark.parametrize("policy", POLICIES, ids=lambda policy: policy.name)
    def test_a_role_is_allowed_exactly_where_the_table_says(
        self, policy: Policy, role: Role
    ) -> None:
        assert can(staff(role), policy) is (role in ALLOWED[policy])


REFUSED = [(policy, role) for policy in POLICIES for role in Role if role not in ALLOWED[policy]]


class TestARefusal:
    @pytest.mark.parametrize("policy", POLICIES, ids=lambda policy: policy.name)
    def test_every_policy_explains_itself_in_chinese(self, policy: Policy) -> None:
        assert CHINESE.search(policy.description)

    @pytest.mark.parametrize(("policy", "role"), REFUSED, ids=[f"{p.name}-{r}" for p, r in REFUSED])
    def test_is_a_403_with_the_policys_message(self, policy: Policy, role: Role) -> None:
        with pytest.raises(Forbidden) as refused:
            check(staff(role), policy)
        assert (refused.value.status_code, refused.value.code) == (403, "forbidden")
        assert refused.value.message == policy.description

    def test_an_allowed_caller_is_returned(self) -> None:
        editor = staff(Role.EDITOR)
        assert check(editor, EDIT_POSTS) is editor


class TestTheDependencies:
    def test_are_built_once_per_policy(self) -> None:
        """FastAPI caches a dependency per callable: one callable per policy and kind."""
        assert allowed(EDIT_POSTS) is allowed(EDIT_POSTS)
        assert page_allowed(EDIT_POSTS) is page_allowed(EDIT_POSTS)
        assert allowed(EDIT_POSTS) is not page_allowed(EDIT_POSTS)

    def test_refuse_like_the_policy(self) -> None:
        manager = staff(Role.MANAGER)
        for dependency in (allowed(EDIT_POSTS), page_allowed(EDIT_POSTS)):
            with pytest.raises(Forbidden):
                dependency(manager)
        assert allowed(READ_DASHBOARD)(manager) is manager
