"""Scale-out: balanced shard plans, which shard a CI machine runs, merging the shards' runs
back into one, and the Dask executor.

The package imports nothing heavy on import; each module is loaded where it is used.
"""

from __future__ import annotations
