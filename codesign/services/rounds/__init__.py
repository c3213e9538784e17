"""Organizer use cases: build a round in several languages, move it through its life.

Plain values in (forms are dicts of strings), structs and field errors out. Modules:
`forms` (checking what was typed), `texts` (what each language needs), `lifecycle`
(statuses and what participants meet), `admin` and `structure` (the use cases, each
one write: see `writes`).

The rule for changes once a round has started (see `structure_locked`):
sections, questions and the default-language wording of the draft and the
questions can change only while the round is a draft. A round goes back to
draft only while it has no answers. So once anyone has answered, nothing that
changes the meaning of a question can change; translations, the round's
explanations, contacts and dates can still be corrected.
"""
