"""Rounds as the organizer console sees them, one module per concern: a round's
settings (`settings`), its texts in every language and their corrections (`texts`),
its sections, questions and choices (`structure`), what it holds (`watching`), typed-in
paper responses (`paper`) and copying it (`copying`)."""
