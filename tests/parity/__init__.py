"""Parity tests: the same scenarios on the real Workers runtime (workerd) and on wsguide."""
