"""Donation ledger: cash and goods received, allocations, corrections, daily disclosures."""
