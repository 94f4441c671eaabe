"""The `refcli` command (and `python -m refcli`): start the early scan, then import the app and run it.

Nothing but refcli.records.scan (os, marshal) is imported before start_early_scan forks: the child it starts
should be small and should start at once (refcli/records/scan.py says why).
"""

import sys

from refcli.records.scan import start_early_scan


def main() -> None:
    start_early_scan(sys.argv[1:])
    from refcli.i18n import choose_language, use_language

    use_language(choose_language(arguments=sys.argv[1:]))  # before commands is imported: it makes the help texts
    from refcli.cli.commands import main as run

    run()
