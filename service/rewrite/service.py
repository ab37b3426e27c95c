"""Rewrite suggestions for one sentence, and the organisation's provider settings.

With a provider: the sentence goes out masked (prices, phones, links, protected terms as
⟦n⟧), each candidate passes the engine's rewrite gate, and only then are its placeholders
restored, so no fact can change on the way. Without one (the default): the local engine's
deterministic rewrites are the suggestions.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from service import engines
from service.encryption import DecryptionError, SecretBox, key_hint
from service.errors import Unprocessable
from service.models import RewriteProvider
from service.rewrite import provider, repository
from service.rewrite.schemas import ProviderRead, ProviderUpdate, SuggestionRequest, SuggestionsRead
from service.settings import Settings

log = logging.getLogger(__name__)
KEY_PURPOSE = "rewrite-provider-key"


def box(settings: Settings) -> SecretBox:
    return SecretBox(settings.secret_keys, purpose=KEY_PURPOSE)


def suggest(
    session: Session, settings: Settings, *, org_id: int, request: SuggestionRequest
) -> SuggestionsRead:
    """Raises provider.ProviderError when the provider fails (the caller shows its message)."""
    sentence = request.sentence.strip()
    row = repository.get(session, org_id=org_id)
    if row is None:
        found = engines.local_rewrites(sentence, protected=request.protected, count=request.count)
        return SuggestionsRead(source="local", suggestions=found, rejected=0)
    masked = engines.mask(sentence, request.protected)
    candidates = provider.rewrite(
        _config(row, settings), engines.masked_text(masked), count=request.count
    )
    accepted: list[str] = []
    for candidate in candidates:
        rejections = engines.candidate_rejections(masked, candidate)
        if rejections:
            log.info(
                "rewrite candidate rejected (org %s): %s",
                org_id,
                "; ".join(f"{r.code}: {r.detail}" for r in rejections),
            )
            continue
        restored = engines.restore(masked, candidate)
        if restored not in accepted:
            accepted.append(restored)
    return SuggestionsRead(
        source="llm", suggestions=accepted, rejected=len(candidates) - len(accepted)
    )


def _config(row: RewriteProvider, settings: Settings) -> provider.ProviderConfig:
    try:
        api_key = box(settings).decrypt(row.api_key_encrypted)
    except DecryptionError:
        log.warning("rewrite provider key of org %s cannot be decrypted", row.org_id)
        raise provider.ProviderError(
            "key_unreadable", "已保存的 API 密钥无法解密（密钥可能已轮换），请管理员重新填写。"
        ) from None
    return provider.ProviderConfig(
        base_url=row.base_url,
        model=row.model,
        api_key=api_key,
        timeout_seconds=settings.rewrite_timeout_seconds,
    )


def read(session: Session, *, org_id: int) -> ProviderRead:
    row = repository.get(session, org_id=org_id)
    if row is None:
        return ProviderRead(configured=False)
    return ProviderRead(
        configured=True, base_url=row.base_url, model=row.model, key_hint=row.key_hint
    )


def update(
    session: Session, settings: Settings, *, org_id: int, data: ProviderUpdate
) -> ProviderRead:
    base_url, model = data.base_url.strip().rstrip("/"), data.model.strip()
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Unprocessable(
            "服务地址需是 http(s) 网址，例如 https://api.deepseek.com/v1", code="invalid_provider"
        )
    if not model:
        raise Unprocessable("请填写模型名称", code="invalid_provider")
    row = repository.get(session, org_id=org_id)
    api_key = (data.api_key or "").strip()
    if row is None and not api_key:
        raise Unprocessable("首次设置需要填写 API 密钥", code="invalid_provider")
    row = row or RewriteProvider(org_id=org_id)
    row.base_url, row.model = base_url, model
    if api_key:
        row.api_key_encrypted = box(settings).encrypt(api_key)
        row.key_hint = key_hint(api_key)
    repository.put(session, row)
    return read(session, org_id=org_id)


def rotate_keys(session: Session, settings: Settings) -> int:
    """Re-encrypt every organisation's stored key under the newest secret key (run after
    rotating MOMENTCAST_SECRET_KEY, before dropping the previous key). Returns how many."""
    secrets = box(settings)
    rows = repository.all_providers(session)
    for row in rows:
        row.api_key_encrypted = secrets.rotate(row.api_key_encrypted)
    session.flush()
    return len(rows)


def remove(session: Session, *, org_id: int) -> ProviderRead:
    """Back to the local engine's suggestions."""
    repository.delete(session, org_id=org_id)
    return ProviderRead(configured=False)
