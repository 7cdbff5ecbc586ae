"""Task definitions (prompt, target, parser, metric), registered by name, and the loop that scores a model on them.

`bbt.tasks.fincuge` declares the nine FinCUGE tasks and finner; importing this package registers them.
"""

from bbt.tasks import fincuge as _declared  # noqa: F401  (fills the registry)
from bbt.tasks.base import (
                            INVALID,
                            SEP,
                            Example,
                            LabelTask,
                            MultiLabelTask,
                            NegativeTask,
                            NSPAnswer,
                            QATask,
                            RelationTask,
                            SpanTask,
                            SubjectTask,
                            SummaryTask,
                            Task,
                            clean_span,
                            compact,
                            first_line,
                            is_none_answer,
                            scan_labels,
)
from bbt.tasks.entities import EntityTask, Mention, locate
from bbt.tasks.fincuge import FINCUGE_NINE, FINNER_TYPES, FINNL_LABELS, FINRE_LABELS, SENTIMENT
from bbt.tasks.registry import TASKS, get_task, register_task, select_tasks

__all__ = ["INVALID", "SEP", "Example", "LabelTask", "MultiLabelTask", "NegativeTask", "NSPAnswer", "QATask",
           "RelationTask", "SpanTask", "SubjectTask", "SummaryTask", "Task", "clean_span", "compact", "first_line",
           "is_none_answer", "scan_labels", "EntityTask", "Mention", "locate", "FINCUGE_NINE", "FINNER_TYPES",
           "FINNL_LABELS", "FINRE_LABELS", "SENTIMENT", "TASKS", "get_task", "register_task", "select_tasks"]
