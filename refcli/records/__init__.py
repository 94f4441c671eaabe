"""Records: the record type, its schema and checks, reading and writing TOML, the files, the library.

Where to start: model (the record, declared once: add a field there), validate.validate_record (every
problem with its key path), library.read_file (one file into its record or its problems: every command's
read path), library.load_library.
"""
