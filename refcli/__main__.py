"""`python -m refcli`: the same as the refcli command."""

from refcli.cli.entry import main

main()
