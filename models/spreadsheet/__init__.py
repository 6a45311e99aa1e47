"""Spreadsheets organisers send (an agenda, a roster of participants): any CSV or the
first sheet of an Excel workbook read into rows of cells within size and time budgets,
off the event loop, with every problem named by its row. What a row means is each
kind's own business (models/agenda_import/, models/roster/)."""
