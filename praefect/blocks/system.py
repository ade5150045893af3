"""System blocks (Prefect 3's ``prefect.blocks.system``): ``Secret``.

>>> from praefect.blocks.system import Secret
>>> secret = Secret(value="s3cr3t")
>>> secret
Secret(value=SecretStr('**********'))
>>> secret.get()
's3cr3t'
"""

from __future__ import annotations

from pydantic import SecretStr

from praefect.blocks.core import Block

__all__ = ["Secret"]


class Secret(Block):
    """A secret value (a password, an API key...), hidden in reprs and logs; ``get()`` returns
    it.

    Note: the value is stored as is in the block document; secrets are not encrypted at rest
    yet. Protect the database file like the secret itself.
    """

    _block_type_name = "Secret"
    _description = "A block that represents a secret value, hidden when printed or logged."
    _documentation_url = "https://docs.prefect.io/latest/develop/blocks"

    value: SecretStr

    def get(self) -> str:
        """The secret value."""
        return self.value.get_secret_value()
