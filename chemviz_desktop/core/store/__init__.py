"""The local store (see `datasets.Store`); schema versions and how to add a migration are in
`schema`, the retention setting and the old settings.ini hand-over in `settings`. The equipment
registry and readings are in `equipment`, operating limits in `limits`, alerts (evaluated in each
import's transaction, acknowledged by the operator) in `alerts`: functions taking a connection."""
from chemviz_desktop.core.store.codec import frame_to_parquet as _frame_to_parquet  # noqa: F401
from chemviz_desktop.core.store.codec import parquet_to_frame as _parquet_to_frame  # noqa: F401
from chemviz_desktop.core.store.datasets import (
                                                 ELSEWHERE,
                                                 FAILED,
                                                 LOCAL,
                                                 PENDING,
                                                 REMOVED,
                                                 SERVER_ONLY,
                                                 SYNC_STATES,
                                                 SYNCED,
                                                 DatasetInfo,
                                                 Store,
                                                 StoredDataset,
)
from chemviz_desktop.core.store.errors import DamagedDataset, DatasetGone, NewerStoreError, StoreError
from chemviz_desktop.core.store.schema import SCHEMA_VERSION
from chemviz_desktop.core.store.settings import DEFAULT_KEEP, KEEP_ALL, MAX_KEEP

__all__ = ["Store", "StoredDataset", "DatasetInfo", "StoreError", "NewerStoreError", "DamagedDataset",
           "DatasetGone", "SCHEMA_VERSION", "DEFAULT_KEEP", "KEEP_ALL", "MAX_KEEP", "LOCAL", "PENDING",
           "SYNCED", "SERVER_ONLY", "FAILED", "REMOVED", "SYNC_STATES", "ELSEWHERE"]
