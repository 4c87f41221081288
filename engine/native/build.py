"""Compile the engine's C kernels (kernels.c, csv_reader.c) into `engine/native/_kernels*.so|pyd`
with cffi: `python -m engine.native.build`. The engine works without them (its numpy path gives the same
results, slower), so a machine without a C compiler is told so and carries on; `--require`
makes a failed build an error (CI and the executable's build)."""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from cffi import FFI

from . import source_digest, source_text

HERE = Path(__file__).resolve().parent
MODULE = "engine.native._kernels"
CDEF = """
const char *kernels_source(void);
int64_t plain_numbers(const int32_t *offsets, const uint8_t *data, int64_t n, double *out, uint8_t *plain);
void key_hashes(const int32_t *offsets, const uint8_t *data, int64_t n, int fold, int half, void *out);
int64_t fixed_iso_times(const int32_t *offsets, const uint8_t *data, int64_t n, int64_t *ns, uint8_t *ok);
void group_items(const int16_t *codes, int64_t n, int64_t *next, int64_t skip, const uint64_t *in, uint64_t *out);
int64_t gather_hashes(const uint32_t *h, const uint8_t *among, int64_t n, uint32_t *out);
int64_t mark_shared(const uint32_t *sorted, int64_t m, const uint32_t *h, const uint8_t *among, int64_t n,
                    uint32_t *shared, uint8_t *seen, uint8_t *hit);
void remap_codes(int32_t *codes, int64_t n, const int32_t *remap);
void fill_range(int64_t *out, int64_t n, int64_t start);
int64_t count_codes(const void *codes, int32_t width, int64_t n, int64_t shift, int64_t k, int64_t *counts);
typedef struct {
    int32_t role;
    int32_t *offsets;
    uint8_t *data;
    int64_t data_cap;
    int64_t used;
    double *values;
    uint8_t *plain;
    int32_t *codes;
    int32_t *dict_offsets;
    uint8_t *dict_data;
    int32_t *slots;
    int32_t slot_count;
    int32_t dict_cap;
    int32_t dict_count;
    int32_t non_ascii;
} csv_column;
int64_t csv_count_rows(const uint8_t *buf, int64_t len);
int32_t text_flags(const uint8_t *buf, int64_t len);
int64_t csv_read_plain(const uint8_t *buf, int64_t len, uint8_t delim, int32_t ncols, csv_column *cols,
                       int64_t rows);
"""


def builder() -> FFI:
    """The cffi builder of the kernels' module (API mode: a real extension, no compiler at run time)."""
    ffi = FFI()
    ffi.cdef(CDEF)
    # -O2 without -ffast-math: the division must stay one correctly rounded IEEE operation.
    args = [] if sys.platform == "win32" else ["-O2", "-std=c99"]
    source = source_text()
    stamp = f'const char *kernels_source(void) {{ return "{source_digest(source)}"; }}\n'
    ffi.set_source(MODULE, source.decode("utf-8") + stamp, extra_compile_args=args)
    return ffi


def build(require: bool = False) -> Path | None:
    """Compile in a scratch folder and put the module beside this file; None if that failed."""
    try:
        with tempfile.TemporaryDirectory(prefix="chemviz-kernels-") as tmp:
            built = Path(builder().compile(tmpdir=tmp, verbose=False))
            target = HERE / built.name
            for old in HERE.glob("_kernels*"):
                if old.suffix in (".so", ".pyd", ".dylib"):
                    old.unlink()
            shutil.copy2(built, target)
            return target
    except Exception as exc:  # noqa: BLE001 - any build failure means "use the numpy path"
        print(f"engine kernels not built ({type(exc).__name__}: {exc}); the engine uses its numpy path, "
              "which gives the same results more slowly.", file=sys.stderr)
        if require:
            raise SystemExit(1) from exc
        return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--require", action="store_true", help="fail (exit 1) when the kernels cannot be built")
    opts = ap.parse_args(argv)
    built = build(opts.require)
    if built is not None:
        print(f"engine kernels built: {built.relative_to(HERE.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
