"""The user's own data files: shared checks, plain-text corpora, tables and images."""
