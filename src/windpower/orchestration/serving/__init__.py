"""A flow's command line: ``serve`` (its schedule, its events, runs forked from a
forkserver) or ``run`` once (which servers it uses, how it ends)."""
