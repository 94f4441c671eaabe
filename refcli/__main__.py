"""`python -m refcli`: the same as the refcli command."""

from refcli.entry import main

main()
