"""The operator console: server-rendered pages for staff (users, payments review, audit)."""
