"""jinja2 templates for messages, emails and pages; senders (SES, channel messengers)."""
