"""refcli: a consultancy's fiches références as TOML records, ranked against tenders, exported to Word."""

__version__ = "0.1.0"
