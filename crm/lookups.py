"""``field__any_of=[…]``: membership in a list passed as one array parameter on PostgreSQL.

``IN (%s, %s, …)`` with a few hundred ids costs the ORM a parameter each, in every query that
uses the list (scopes are subqueries of many queries on a page). ``= ANY(%s)`` sends the list
as one array, and PostgreSQL still sees the values and estimates the rows from them. Other
databases get the plain ``IN`` list.
"""

from django.db.models import Field, Lookup
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"

    def get_prep_lookup(self):
        return [self.lhs.output_field.get_prep_value(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, list(self.rhs)]
