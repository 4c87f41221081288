"""Settings ▸ Equipment types… and the pressure reference of plain units (gauge or absolute):
import preferences kept beside the local store (core/import_prefs, core/user_types)."""
from __future__ import annotations

from dataclasses import dataclass

from PyQt5.QtWidgets import QAction, QActionGroup, QMenu, QWidget

from chemviz_desktop.core import import_prefs, user_types
from chemviz_desktop.ui.dialogs.equipment_types_dialog import EquipmentTypesDialog

PRESSURE_LABELS = {"gauge": "Plain pressure units are gauge (bar = barg)",
                   "absolute": "Plain pressure units are absolute (bar = bara)"}


@dataclass
class SettingsMenu:
    menu: QMenu
    types_action: QAction
    pressure_actions: dict[str, QAction]


def edit_equipment_types(parent: QWidget | None) -> bool:
    """The dialog; True when the user saved."""
    dialog = EquipmentTypesDialog(user_types.load(), parent)
    if dialog.exec_() != EquipmentTypesDialog.Accepted:
        return False
    user_types.save(dialog.aliases())
    return True


def install(menu: QMenu, parent: QWidget) -> SettingsMenu:
    types_action = menu.addAction("&Equipment types…")
    types_action.triggered.connect(lambda _checked=False: edit_equipment_types(parent))
    menu.addSeparator()
    group = QActionGroup(menu)
    current = import_prefs.pressure_mode()
    actions: dict[str, QAction] = {}
    for mode, label in PRESSURE_LABELS.items():
        a = menu.addAction(label)
        a.setCheckable(True)
        a.setChecked(mode == current)
        a.setToolTip("Applies to the next import; barg/bara, psig/psia and kPa(g)/kPa(a) always say it themselves.")
        a.triggered.connect(lambda _checked=False, m=mode: import_prefs.set_pressure_mode(m))
        group.addAction(a)
        actions[mode] = a
    return SettingsMenu(menu, types_action, actions)
