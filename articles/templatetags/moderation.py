"""What waits for moderators, for the admin's index page."""

from django import template

from ..models import Comment, Report

register = template.Library()


@register.simple_tag
def moderation_counts() -> dict[str, int]:
    """How many comments await approval and how many reports are open."""
    return {
        # The first reads the partial index comment_pending_idx; reports are few.
        "pending": Comment.objects.filter(status=Comment.Status.PENDING).count(),
        "open_reports": Report.objects.filter(resolved_at__isnull=True).count(),
    }
