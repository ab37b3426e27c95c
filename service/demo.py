"""The demo organisation `momentcast run` loads on first start: sample posts, reps, an admin.

Posts come from `samples/posts/*.txt` (first line is the title when it starts with "#"),
protected terms from `samples/posts/terms.json`, images from `samples/images/`. The first
post gets up to 9 images (the heaviest case), later ones a few each.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from service.models import Role
from service.orgs import repository as orgs_repository
from service.orgs import service as orgs_service
from service.plans import service as plans_service
from service.posts import service as posts_service
from service.posts.schemas import PostCreate
from service.reps import repository as reps_repository
from service.reps import service as reps_service
from service.reps.schemas import RepCreate
from service.runtime import Runtime

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEMO_ORG = "demo"
DEMO_EMAIL = "admin@demo.momentcast.local"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic"}
DEMO_REPS = [
    ("张晓雯", "朝阳店"),
    ("李俊杰", "朝阳店"),
    ("王芳", "朝阳店"),
    ("陈思远", "海淀店"),
    ("刘婷", "海淀店"),
    ("赵子豪", "海淀店"),
]
FALLBACK_TEXT = (
    "【春季上新】轻薄防晒衣到店啦！原价¥299，今天到店只要¥199，买两件再减20元。"
    "咨询电话 138-1234-5678，活动截止 4月30日，欢迎来店试穿～ #春季上新#"
)


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    rep_urls: list[tuple[str, str, str]]  # (name, team, personal URL)


def ensure_demo(runtime: Runtime, session: Session, *, samples: Path = SAMPLES) -> DemoLogin:
    """Load the demo on first start; on later starts return the same login and links."""
    password_file = runtime.settings.data_dir / "demo-admin-password.txt"
    org = orgs_repository.get_org_by_slug(session, DEMO_ORG)
    if org is None:
        password = secrets.token_urlsafe(9)
        org = orgs_service.ensure_org(session, slug=DEMO_ORG, name="示例品牌")
        admin = orgs_service.create_staff(
            session, org_id=org.id, email=DEMO_EMAIL, password=password, role=Role.ADMIN
        )
        for name, team in DEMO_REPS:
            reps_service.create(session, org_id=org.id, data=RepCreate(name=name, team=team))
        _load_posts(runtime, session, org_id=org.id, author_id=admin.id, samples=samples)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password, encoding="utf-8")
    password = (
        password_file.read_text(encoding="utf-8").strip()
        if password_file.exists()
        else "(set with `momentcast admin create`)"
    )
    reps = reps_repository.list_(session, org_id=org.id, active_only=True, limit=3)
    return DemoLogin(
        email=DEMO_EMAIL,
        password=password,
        rep_urls=[(rep.name, rep.team, reps_service.personal_url(runtime, rep)) for rep in reps],
    )


def _load_posts(
    runtime: Runtime, session: Session, *, org_id: int, author_id: int, samples: Path
) -> None:
    texts = sorted((samples / "posts").glob("*.txt"))
    images = sorted(p for p in (samples / "images").glob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    terms = _terms(samples / "posts" / "terms.json")
    entries = [(path.stem, path.read_text(encoding="utf-8")) for path in texts] or [
        ("spring", FALLBACK_TEXT)
    ]
    # Oldest first, so the first sample ends up on top of the reps' pages.
    for index, (stem, raw) in reversed(list(enumerate(entries))):
        title, text = _title_and_text(stem, raw)
        chosen = images[:9] if index == 0 else _few(images, index)
        post = posts_service.create(
            session,
            runtime.storage,
            org_id=org_id,
            author_id=author_id,
            data=PostCreate(title=title, text=text, protected=_terms_for(terms, stem)),
            uploads=[posts_service.Upload(p.name, p.read_bytes()) for p in chosen],
        )
        plans_service.publish(session, runtime.settings, post)


def _title_and_text(stem: str, raw: str) -> tuple[str, str]:
    lines = raw.strip("\n").splitlines()
    if lines and lines[0].startswith("#") and not lines[0].endswith("#"):
        return lines[0].lstrip("# ").strip(), "\n".join(lines[1:]).strip("\n")
    first = next((line.strip() for line in lines if line.strip()), stem)
    return first[:24], raw.strip("\n")


def _few(images: list[Path], index: int) -> list[Path]:
    if not images:
        return []
    count = index % 4
    return [images[(index * 3 + i) % len(images)] for i in range(count)]


def _terms(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _terms_for(terms: Any, stem: str) -> list[str]:
    if isinstance(terms, dict):
        found = terms.get(stem, terms.get(f"{stem}.txt", []))
        return [str(term) for term in found] if isinstance(found, list) else []
    return [str(term) for term in terms] if isinstance(terms, list) else []
