"""Parse and strictly validate modulemd documents, without libmodulemd.

Module stream v1 and v2 (``document: modulemd``) and packager v3
(``document: modulemd-packager``) are checked against the libmodulemd YAML specs;
defaults, translations and obsoletes documents are recognised and skipped. Every
problem of a document is reported at once, each naming the field path to fix.
"""

from conveyor.modulemd.documents import load_stream, validate_text
from conveyor.modulemd.model import (
    Dependencies,
    DocumentVerdict,
    ModulemdInvalid,
    ModuleStream,
    RpmComponent,
)

__all__ = [
    "Dependencies",
    "DocumentVerdict",
    "ModuleStream",
    "ModulemdInvalid",
    "RpmComponent",
    "load_stream",
    "validate_text",
]
