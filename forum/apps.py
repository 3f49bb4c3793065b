from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks_db.apps import TasksAppConfig


class TaskQueueConfig(TasksAppConfig):
    """django_tasks_db, named in the admin's language: its own name is English only."""

    verbose_name = _("Task queue")


# The names django_tasks_db gives its model, for our catalogues to translate (it has none).
TASK_RESULT_NAMES = (gettext_noop("Task Result"), gettext_noop("Task Results"))
