"""The annex: French formatting, the Word template's contract, rendering, the selection record.

Where to start: render.write_annex (the document; a reference's page: _add_fiche), formatting.fiche_facts
(the facts table's rows, shared with `refcli show`), template.REQUIRED_STYLES (what a template must hold).
"""
