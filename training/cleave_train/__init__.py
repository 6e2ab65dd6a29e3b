"""Cleave training recipes: teacher, bottleneck students, early exit, dual CNNs, gates."""
