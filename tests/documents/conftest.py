"""The documents' fixtures, for every test here."""

from tests.documents.fixtures import items, sale, seller, till  # noqa: F401
