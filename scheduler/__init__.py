"""Periodic jobs that read what is due from the database (see jobs.py), run by one
process at a time: the bot itself, or ``python -m scheduler`` beside several bot workers."""
