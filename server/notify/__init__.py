"""Notifications: the outbox, its worker, the channels (HTTP SMS, SMTP, log), the templates."""
