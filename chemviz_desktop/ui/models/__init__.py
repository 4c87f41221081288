"""Qt item models over engine results: data table, validation report, statistics, history, compare."""
