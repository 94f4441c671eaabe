"""refcli: a consultancy's fiches références as TOML records, ranked against tenders, exported to Word.

The pipeline, one package a stage: records (read, check, the library) -> search (the query, the index and
its store, ranking, choosing) -> annex (the Word document and its selection record); authoring writes new
records from the firm's fiches; cli parses arguments, calls the stages, prints, sets the exit code.
errors, frozen and write are shared by every stage.
"""

__version__ = "0.1.0"
