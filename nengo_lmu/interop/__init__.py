"""Interoperation with other LMU implementations."""
