"""The OpenAPI document is generated without a single warning, as a client generator would read
it: `manage.py spectacular --validate --fail-on-warn` (the command documented for the schema) in
its own process, so every warning the generator prints fails the test with its text."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import yaml

from tests.server_process import ROOT


def test_schema_generates_without_warnings_and_names_each_status_choice_set(tmp_path):
    out = tmp_path / "schema.yml"
    env = dict(os.environ, CHEMVIZ_SERVER_DIR=str(tmp_path / "server"),
               DJANGO_SECRET_KEY="tests-only-secret-key-" + "s" * 40)
    env.pop("DATABASE_URL", None)
    res = subprocess.run([sys.executable, "server/manage.py", "spectacular", "--validate", "--fail-on-warn",
                          "--file", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert "Warning" not in res.stderr, res.stderr[-4000:]

    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    enums = schema["components"]["schemas"]
    # the three "status" fields are three different choice sets, each named for what it is
    assert enums["EquipmentStatusEnum"]["enum"] == ["active", "maintenance", "inactive"]
    assert enums["DatasetStatusEnum"]["enum"] == ["processing", "completed", "failed"]
    assert enums["ImportJobStatusEnum"]["enum"] == ["pending", "processing", "completed", "failed"]
    assert not [name for name in enums if name.startswith("Status") and name.endswith("Enum")]

    ops = Counter(op["operationId"] for item in schema["paths"].values()
                  for op in item.values() if isinstance(op, dict) and "operationId" in op)
    assert [name for name, n in ops.items() if n > 1] == []
    assert schema["paths"]["/api/v1/analytics/csv/datasets/"]["get"]["operationId"] == "analytics_csv_datasets_list"
    # Basic authentication is documented as HTTP Basic (it was "could not resolve authenticator")
    assert schema["components"]["securitySchemes"]["basicAuth"] == {"type": "http", "scheme": "basic"}
