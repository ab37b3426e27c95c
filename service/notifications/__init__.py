"""Notifications: every message momentcast sends to a rep, on every channel, in one place.

The domains decide what is due and enqueue it (service.plans.reminders: a post's reminders;
service.tracking.alerts: a viewer reached a read-time tier); the periodic jobs
(scheduler/tasks.py) deliver it here, retried with backoff and then marked failed.

    messages    PostReminder, ReadAlert: one type per kind, each writing its own text
    notifiers   WeComRobot, Webhook, Email: the channels (outbound checks, defensive reading)
    delivery    sending the due rows, recording each outcome
    repository  every query
    service     enqueue / deliver, the front door

This package sits low: it imports models and shared plumbing, never plans or tracking.
"""

from service.notifications.delivery import deliver_alerts, deliver_reminders, record
from service.notifications.messages import (
    Notification,
    PostReminder,
    ReadAlert,
    Recipient,
    single_line,
)
from service.notifications.notifiers import (
    Email,
    Notifier,
    NotifierError,
    Undeliverable,
    Webhook,
    WeComRobot,
    for_org,
    sign_webhook,
)
from service.notifications.service import (
    Channels,
    DueReminder,
    alerts_for_rep,
    channels,
    deliver_due_alerts,
    deliver_due_reminders,
    enqueue_alerts,
    enqueue_reminders,
)

__all__ = [
    "Channels",
    "DueReminder",
    "Email",
    "Notification",
    "Notifier",
    "NotifierError",
    "PostReminder",
    "ReadAlert",
    "Recipient",
    "Undeliverable",
    "WeComRobot",
    "Webhook",
    "alerts_for_rep",
    "channels",
    "deliver_alerts",
    "deliver_due_alerts",
    "deliver_due_reminders",
    "deliver_reminders",
    "enqueue_alerts",
    "enqueue_reminders",
    "for_org",
    "record",
    "sign_webhook",
    "single_line",
]
