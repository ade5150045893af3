"""Tag concurrency limits (Prefect's ``prefect.concurrency.v1``): slots of the limits of tags,
held by a task run. The engine takes them for every task run with tags; ``sync.concurrency``
and ``asyncio.concurrency`` take them by hand."""
