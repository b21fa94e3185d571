from ._import import ImportCommand


class Command(ImportCommand):
    help = "Import customers from an .xlsx or .csv file: all rows or none."
    kind = "customers"
