"""Importers: bring facts kept elsewhere (NetBox device types, NetBox sites) into twin.

Each importer is a reader that turns a source into plain records and a mapper that turns
records into a twin catalog or design, so another source of the same records (a NetBox
REST API, say) can plug in front of the same mapper. Problems in the input never stop an
import: each becomes an `ImportIssue` naming the object and what was done about it.
"""

from twin.importers.report import ImportIssue, ImportReport

__all__ = ["ImportIssue", "ImportReport"]
