"""Periodic jobs that read due work (reminders, broadcasts) from the database into the
outbox. Empty until the reminders and broadcasts issues: nothing is scheduled yet."""
