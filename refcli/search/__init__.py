"""Search: text, the glossary, the query and the tender, the index and its store, ranking, choosing."""
