"""Concurrency and rate limits: ``praefect.concurrency.sync`` and ``praefect.concurrency.asyncio``
(global limits), ``praefect.concurrency.v1`` (tag limits). See docs/concurrency.md."""
