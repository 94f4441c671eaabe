"""Records: the record type, its schema and checks, reading and writing TOML, the files, the library."""
