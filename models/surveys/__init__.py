"""Surveys: definitions as data, rounds sent to an event's people, their answers, and
what the answers add up to."""
