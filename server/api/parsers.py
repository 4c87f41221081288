"""Request bodies of the JSON endpoints (equipment, readings, alert rules, acknowledgements,
sync push) are JSON only. A form cannot say null: DRF reads an empty form field as null for a
nullable field (`installation_date=` became "no date"), which is not what the OpenAPI document
says a client may send; with JSON alone the document lists one body type and every value means
what it says. Others are 415. Uploads and the sign-in form keep their own parsers."""
from __future__ import annotations

from rest_framework.parsers import JSONParser

JSON_ONLY = [JSONParser]
