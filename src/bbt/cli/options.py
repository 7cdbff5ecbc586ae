"""Option types shared by the commands, declared once (`data_dir: DataDir = None`), and the config-to-option glue.

A command that takes a dataclass config declares only what differs from its fields; `config_options` builds the
Typer parameters of a dataclass's fields (name, default, help from the field's `# why` comment in `OPTION_HELP`
form), so an option and the field it sets can never drift apart (see bbt.cli.train_commands).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

DataDir = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Data directory (default: BBT_DATA_DIR, else ../shared/data).")]
Threads = Annotated[int, typer.Option("--threads", help="torch threads (0 = torch default).")]
ShowProgress = Annotated[bool, typer.Option("--progress/--no-progress", help="Show progress bars.")]


def set_threads(threads: int) -> None:
    """torch intra-op threads for this process (0 keeps torch's default)."""
    if threads:
        import torch

        torch.set_num_threads(threads)
