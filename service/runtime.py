"""Everything one process needs, built once from Settings; app, CLI and tasks share it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service import engines, migrate
from service.db import make_engine, make_sessionmaker
from service.queue import DISPATCHER_KEY, CeleryDispatcher, Dispatcher, LoggingDispatcher
from service.security import Signer
from service.settings import Settings
from service.storage import LocalStorage, Storage


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    signer: Signer
    storage: Storage
    dispatcher: Dispatcher = field(default_factory=LoggingDispatcher)

    @classmethod
    def build(cls, settings: Settings, *, dispatcher: Dispatcher | None = None) -> Runtime:
        if dispatcher is None:
            dispatcher = CeleryDispatcher(settings) if settings.sends_tasks else LoggingDispatcher()
        engine = make_engine(settings.database_url)
        engines.set_image_threads(settings.image_threads)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine, info={DISPATCHER_KEY: dispatcher}),
            signer=Signer(settings.secret_keys, staff_ttl_seconds=settings.staff_token_ttl_seconds),
            storage=LocalStorage(settings.media_dir),
            dispatcher=dispatcher,
        )

    def migrate(self) -> None:
        migrate.upgrade(self.engine)

    def rep_url(self, token: str) -> str:
        return f"{self.settings.base_url}/r/{token}"
