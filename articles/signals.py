from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from . import services
from .abuse import addresses, limits
from .images import delete_files
from .models import Article, Block, Image, ImageCredit, Link, new_version


@receiver(user_login_failed)
def count_failed_login(sender, credentials, request=None, **kwargs) -> None:
    """Count failed log-ins per address, on the site and in the admin alike."""
    if request is not None:
        limits.login_failed(addresses.request_ip_hash(request))


@receiver(post_save, sender=Block)
@receiver(post_save, sender=ImageCredit)
@receiver(post_save, sender=Link)
@receiver(post_delete, sender=Block)
@receiver(post_delete, sender=ImageCredit)
@receiver(post_delete, sender=Link)
def on_article_part_change(sender, instance, origin=None, **kwargs) -> None:
    """The article page shows these: its cached copy of the article is out of date.

    A signal rather than each model's save(), so that the admin's inlines and deletes through a
    queryset count too; bulk writes (the importer's) give the new version themselves.
    """
    if isinstance(origin, Article):
        return  # the article itself is being deleted
    services.article_content_changed(article_id=instance.article_id)


@receiver(pre_delete, sender=Image)
def image_gone_from_articles(sender, instance: Image, **kwargs) -> None:
    """Articles featuring it lose it (SET_NULL, an update that sends no signal): new versions."""
    Article.objects.filter(featured_image=instance).update(content_version=new_version())


@receiver(post_delete, sender=Image)
def image_files_delete(sender, instance: Image, **kwargs) -> None:
    """An image deleted takes its stored file and copies with it, once the delete is committed."""
    name, renditions, storage = instance.file.name, instance.renditions, instance.file.storage
    transaction.on_commit(lambda: delete_files(name, renditions, storage=storage))
