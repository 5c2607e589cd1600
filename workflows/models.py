"""Rectification workflow records: the stage transition log, escalations, notifications."""
