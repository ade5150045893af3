"""The run engine: the run logic of flows and tasks, written once as generators of effects
(``steps``), driven by a blocking driver for sync code and an awaiting driver for async code."""
