"""Child process for the crash-safety test: imports a file into the local store forever."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import engine  # noqa: E402
from chemviz_desktop.core.store import SYNCED, Store  # noqa: E402

store = Store()
store.set_keep(3)
print("ready", flush=True)
i = 0
while True:
    result = engine.load(sys.argv[1])
    # synced ones are trimmed by retention (keep 3); local-only copies would never be
    store.add(result, file_name=f"loop-{i}.csv", queue=(i % 4 == 0), sync_state=SYNCED)
    i += 1
