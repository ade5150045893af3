"""Blocks: typed configuration saved by name (Prefect 3's ``prefect.blocks``).

``praefect.blocks.core.Block`` is the base class; ``praefect.blocks.system.Secret`` keeps a
secret value; ``praefect.filesystems`` holds the storage blocks (``LocalFileSystem``, ...).
"""

from __future__ import annotations

from praefect.blocks.core import Block

__all__ = ["Block"]
