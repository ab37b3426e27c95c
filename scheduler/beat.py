"""Every periodic job, in one place: what beat runs and how often."""

from __future__ import annotations

from typing import Any

from service.settings import Settings


def schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    every = {
        # Re-queue copy generation that stopped (killed worker, lost message).
        "plans-sweep": ("plans.sweep", settings.sweep_interval_seconds),
        # Slot, remind and make copies for reps who joined after a post was published: often,
        # since each run gives one organisation a bounded share (a big import takes many).
        "plans-enrol-late-reps": ("plans.enrol_late_reps", settings.enrol_interval_seconds),
        # Queue reminders whose slot has come, send the due ones, retry failures.
        "reminders-send-due": ("reminders.send_due", settings.reminder_interval_seconds),
        # Tell reps about viewers who reached a read-time tier (found by the tag job).
        "alerts-send-due": ("alerts.send_due", settings.reminder_interval_seconds),
        # Fold queued read-tracking beacons into page views.
        "tracking-fold-events": ("tracking.fold_events", 5.0),
        # Re-derive viewer tags from each organisation's rules.
        "tracking-recompute-tags": ("tracking.recompute_tags", 600.0),
        # Rebuild the dashboard's roll-ups of posts whose page views changed.
        "dashboard-refresh-rollups": ("dashboard.refresh_rollups", 60.0),
        # Delete image files that a killed process left without a row.
        "media-remove-orphans": ("media.remove_orphans", 24 * 3600.0),
        # Delete raw events past the retention period.
        "tracking-purge-events": ("tracking.purge_events", 24 * 3600.0),
    }
    # A run that waited longer than its interval is dropped: the next one does its work.
    return {
        name: {"task": task, "schedule": seconds, "options": {"expires": seconds}}
        for name, (task, seconds) in every.items()
    }
