"""Background work: the queue (claim), the scheduler (when), the tasks (what) and the worker (who)."""
