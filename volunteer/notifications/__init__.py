"""Notifications (R34): the inbox, reminders, and delivery by email and SMS."""
