"""The fast path of number parsing only takes cells that are plain numbers: it must pick exactly
the cells the definition names, whatever else the column holds (long cells included)."""
import re

import numpy as np
import pyarrow as pa

from engine.cells import plain_number_mask

PLAIN = re.compile(r"-?[0-9]*\.?[0-9]*")


def _expected(cell: str) -> bool:
    return len(cell) <= 15 and PLAIN.fullmatch(cell) is not None and any(c.isdigit() for c in cell)


def test_plain_number_mask_is_the_definition():
    rng = np.random.default_rng(7)
    alphabet = list("0123456789") * 3 + list(".-+eE ,x")
    cells = ["".join(rng.choice(alphabet, int(rng.integers(0, 18)))) for _ in range(40_000)]
    # long cells whose byte classes sum past 16 bits, beside plain numbers
    cells[5:5] = ["x" * 70_000, "12.5", "-" * 4096 + "1", "9" * 300, "-0.5", "." * 65_536 + "1", "7"]
    chunks = pa.chunked_array([pa.array(cells[:17_000]), pa.array(cells[17_000:])])
    got = plain_number_mask(chunks)
    assert got.tolist() == [_expected(c) for c in cells]
    assert got.sum() > 1000
