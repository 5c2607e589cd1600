"""Inspection records: institutions, categories, checklists, rounds, visits, issues and photos."""
