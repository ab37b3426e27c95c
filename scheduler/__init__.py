"""Celery app and tasks (`celery -A scheduler worker`); tasks are thin adapters over service."""

from scheduler.app import app

__all__ = ["app"]
