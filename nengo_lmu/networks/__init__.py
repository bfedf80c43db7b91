"""Nengo networks built from the LMU math."""
