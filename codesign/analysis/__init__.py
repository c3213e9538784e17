"""Theming engine: redact, detect language, vectorise, cluster, label, assign, flag."""
