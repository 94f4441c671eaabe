"""The annex: French formatting, the Word template's contract, rendering, the selection record."""
