"""Publish plans: staggered posting slots, copy fan-out, reminders and execution tracking."""
