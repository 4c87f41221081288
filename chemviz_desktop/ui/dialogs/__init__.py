"""Import dialogs: workbook sheet and header row, column mapping, equipment type spellings."""
