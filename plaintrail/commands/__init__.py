"""One module per command; each has `register(subparsers)` and sets `func` on its parser.

Entry points only parse and delegate: the work is in the domain, projections and consumers.
"""
