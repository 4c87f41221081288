"""The engine must stay importable without Qt, Django or network code."""
import subprocess
import sys

from ..conftest import ROOT


def test_importing_engine_loads_no_qt_django_or_requests():
    code = ("import sys, engine; engine.load(b'Equipment Name,Type,Flowrate,Pressure,Temperature\\nA,Pump,1,2,3\\n');"
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'PyQt5', 'django', 'requests', 'rest_framework',"
            " 'chemviz_desktop', 'server'}); print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
