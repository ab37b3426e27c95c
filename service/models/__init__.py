"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from service.models._base import Base, utcnow
from service.models.alert import RepAlert
from service.models.copy import Copy, ImageCopy
from service.models.org import Organisation, Role, Staff, StaffSession
from service.models.plan import Plan, PlanItem, Reminder
from service.models.post import Post, PostImage, PostTextVersion
from service.models.rep import Rep
from service.models.rewrite import RewriteProvider
from service.models.rollup import PostRead, PostRep, PostRollup, PostSection, PostViewer
from service.models.tracking import PageView, TagRules, Viewer, ViewerTag

__all__ = [
    "Base",
    "Copy",
    "ImageCopy",
    "Organisation",
    "PageView",
    "Plan",
    "PlanItem",
    "Post",
    "PostImage",
    "PostRead",
    "PostRep",
    "PostRollup",
    "PostSection",
    "PostTextVersion",
    "PostViewer",
    "Reminder",
    "Rep",
    "RepAlert",
    "RewriteProvider",
    "Role",
    "Staff",
    "StaffSession",
    "TagRules",
    "Viewer",
    "ViewerTag",
    "utcnow",
]
