"""Search: text, the glossary, the query and the tender, the index and its store, ranking, choosing.

Where to start: query.build_query (keywords, text and a tender's rules made one Query),
cache.load_library_cached (the library and its index, from the store or built), rank.rank_missions
(the score; its parameters are rank.py's constants), selection.choose_within_rules (the references a
tender's rules allow).
"""
