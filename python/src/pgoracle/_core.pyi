"""pgoracle._core: the Rust extension (JSON text in, JSON text out)."""

from typing import Callable, Optional

__version__: str
__all__ = ["DocumentError", "OracleError", "__version__", "_panic", "check", "evaluate", "golden", "hunt"]

class DocumentError(ValueError):
    """An invalid document; ``field`` is the path of the offending field."""

    case_id: str
    field: str
    message: str

class OracleError(RuntimeError):
    """An internal failure of the oracle (a Rust panic caught at the boundary)."""

def evaluate(text: str, conditioning: bool = False) -> str:
    """``pgoracle eval`` on a document (one case or an array of cases) as JSON text."""

def golden() -> str:
    """The golden files, ``{"<operation>.json": file, ...}``, as JSON text."""

def check(test: str, candidate: str) -> str:
    """``pgoracle check`` of one candidate result against one golden test, as JSON text."""

def hunt(adapter: Callable[[str], str], operation: str, profile: Optional[str] = None,
         cases: int = 1000, seed: int = 0, time: float = 60.0) -> str:
    """``pgoracle hunt`` with ``adapter`` (case JSON text in, result JSON text out) as the
    candidate; ``{"summary", "text", "golden", "exit_code"}`` as JSON text."""

def _panic() -> None:
    """Panics inside the guard (a test of ``OracleError``)."""
