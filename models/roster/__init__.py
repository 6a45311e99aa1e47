"""An event's roster: the participants its organisers expect, from their spreadsheet
(CSV or XLSX), read as the agenda is (models/spreadsheet/); linked to the people who
register with its numbers; and the participants export for the report."""
