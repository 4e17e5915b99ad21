"""Clinical measurements and scores: units (pint), body-surface area, Child-Pugh, ALBI, BCLC."""
