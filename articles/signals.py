from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from . import abuse


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs) -> None:
    """Count failed log-ins per address, on the site and in the admin alike."""
    if request is not None:
        abuse.login_failed(abuse.request_ip_hash(request))
