"""Activity names, shared by the workflow (which calls them by name) and the worker."""

APPEND_EVENTS = "append_events"
DELIVER_NOTIFICATION = "deliver_notification"
