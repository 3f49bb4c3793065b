"""The models' table and column names, quoted, for the statements written out in this package."""

from django.db import models

# Kept per model and database engine: a post's statements ask for them every time.
_quoted: dict[tuple[type[models.Model], str], dict[str, str]] = {}


def quoted_names(model: type[models.Model], connection) -> dict[str, str]:
    """The quoted names of ``model``'s table (under its model name, ``comment``) and columns
    (under each field's name and attribute name: ``article`` and ``article_id``), to fill in a
    statement with ``str.format``."""
    key = (model, connection.vendor)
    if key not in _quoted:
        quote = connection.ops.quote_name
        names = {model._meta.model_name: quote(model._meta.db_table)}
        for field in model._meta.concrete_fields:
            names[field.name] = names[field.attname] = quote(field.column)
        _quoted[key] = names
    return _quoted[key]


def forget() -> None:
    """Forget the names kept, after a model's columns changed (in tests)."""
    _quoted.clear()
