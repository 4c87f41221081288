"""Shared helpers for the server tests (not a conftest, so test modules can import it)."""
from __future__ import annotations

import base64
import io

from django.contrib.auth import get_user_model

from server.users.models import UserProfile

PASSWORD = "Correct-horse-9"
API = "/api/v1/"
CLEAN_CSV = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
             b"Pump-1,Pump,120,5.2,110\nPump-2,Pump,132,5.9,119\n"
             b"Compressor-1,Compressor,95,8.4,95\nValve-1,Valve,60,4.1,105\n")
# two good rows, one negative flowrate and one text pressure: accepted with 2 excluded rows
PARTLY_BAD_CSV = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
                  b"Pump-1,Pump,120,5.2,110\nPump-2,Pump,-5,5.9,119\n"
                  b"Valve-1,Valve,60,abc,105\nValve-2,Valve,70,4.0,100\n")


def make_user(username: str, role: str, *, active: bool = True, department: str | None = None):
    User = get_user_model()
    user = User.objects.create_user(username, email=f"{username}@example.com", password=PASSWORD,
                                    first_name=username.title(), last_name="Tester", is_active=active,
                                    is_staff=role == "admin", is_superuser=role == "admin")
    UserProfile.objects.filter(user=user).update(role=role, department=department)
    user.refresh_from_db()
    return user


def basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def csv_file(data: bytes = CLEAN_CSV, name: str = "equipment.csv"):
    f = io.BytesIO(data)
    f.name = name
    return f


def upload(client, data: bytes = CLEAN_CSV, name: str = "equipment.csv", **extra):
    fields = {"file": csv_file(data, name)}
    fields.update(extra.pop("fields", {}))
    return client.post(API + "analytics/csv/upload/", fields, format="multipart", **extra)


def big_csv(rows: int) -> bytes:
    types = ["Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser"]
    lines = ["Equipment Name,Type,Flowrate,Pressure,Temperature"]
    lines += [f"EQ-{i:06d},{types[i % 6]},{50 + i % 200}.5,{1 + i % 20}.25,{20 + i % 300}.0"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()
