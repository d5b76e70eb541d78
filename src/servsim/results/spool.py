"""Record tables written batch by batch while replications run, joined when the run is saved.

A saved run with ``records: full`` keeps every record, moment and survey answer; holding them
all until the run ends would make memory grow with the customers. Instead each replication
appends each batch to a Parquet file of its own (``<spool>/<table>/<replication>.parquet``,
one row group per batch), and :func:`join_spooled` writes the run's single
``<table>.parquet`` from them a row group at a time, with the ``replication`` column a run's
tables always have.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from servsim.results.folders import make_folder, write_atomic

__all__ = ["TableSpool", "join_spooled", "remove_spool"]


class TableSpool:
    """One replication's Parquet files, a table each, appended to batch by batch."""

    def __init__(self, folder: Path, replication: int) -> None:
        self.folder = folder
        self.replication = replication
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._schemas: dict[str, pa.Schema] = {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        """Append a batch of rows to the replication's ``name`` table (empty: nothing)."""
        if frame.empty:
            return
        schema = self._schemas.get(name)
        table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
        writer = self._writers.get(name)
        if writer is None:
            schema = pa.schema(
                [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            ).remove_metadata()
            table = table.cast(schema)
            path = make_folder(self.folder / name) / f"{self.replication:06d}.parquet"
            writer = self._writers[name] = pq.ParquetWriter(path, schema)
            self._schemas[name] = schema
        writer.write_table(table)

    def close(self) -> None:
        """Finish every file (the spool is readable from here on)."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


def join_spooled(spool: Path, name: str, target: Path) -> bool:
    """Write ``target`` from every replication's part of table ``name``, a row group at a time.

    Returns:
        False when no replication wrote the table (nothing is written).
    """
    parts = sorted((spool / name).glob("*.parquet"))
    if not parts:
        return False

    def write(path: Path) -> None:
        writer: pq.ParquetWriter | None = None
        schema: pa.Schema | None = None
        try:
            for part in parts:
                replication = int(part.stem)
                source = pq.ParquetFile(part)
                for group in range(source.num_row_groups):
                    table = source.read_row_group(group)
                    column = pa.array(np.full(table.num_rows, replication, dtype=np.int64))
                    table = table.add_column(0, "replication", column)
                    if writer is None:
                        schema = table.schema
                        writer = pq.ParquetWriter(path, schema)
                    writer.write_table(table.cast(schema))
        finally:
            if writer is not None:
                writer.close()

    write_atomic(target, write)
    return True


def remove_spool(spool: Path) -> None:
    """Delete a spool once its tables are joined (or the run failed)."""
    shutil.rmtree(spool, ignore_errors=True)
