"""The review board's store: analysis runs, themes, members, vectors, outcomes.

Only submitted participations' answers are themed (an answer being written may
still change). Members whose `assigned_by` is 'person' were placed by someone
on the board; nothing here ever moves an existing member on its own.
"""
