from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import holdings from an .xlsx or .csv file: all rows or none."
    kind = "holdings"
