"""Writing articles: the order of their blocks, and their images.

Comment trees are not touched here (see ``articles.services``, which also changes slugs, as that
rewrites the comments' stored HTML).
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from . import images
from .models import Article, Block, Image, new_version

# Positions are moved this far up first, so that giving the final ones never meets a taken one.
_OUT_OF_THE_WAY = 1_000_000


@transaction.atomic
def article_blocks_save(
    *, article: Article, blocks: Iterable[Block], deleted: Iterable[Block] = ()
) -> list[Block]:
    """Save the article's body: ``blocks`` in this order, numbered 1…N; ``deleted`` go.

    Blocks of the article not in either list keep their order, after the given ones.
    """
    # One writer of the body at a time; posts (which share-lock the row) go on meanwhile.
    Article.objects.select_for_update(no_key=True).filter(pk=article.pk).first()
    blocks = list(blocks)
    Block.objects.filter(article=article, pk__in=[b.pk for b in deleted if b.pk]).delete()
    given = {block.pk for block in blocks if block.pk}
    others = list(Block.objects.filter(article=article).exclude(pk__in=given).order_by("position"))
    Block.objects.filter(article=article).update(position=F("position") + _OUT_OF_THE_WAY)
    other_ids = {block.pk for block in others}
    for position, block in enumerate([*blocks, *others], 1):
        block.article = article
        block.position = position
        if block.pk in other_ids:
            Block.objects.filter(pk=block.pk).update(position=position)
        else:
            block.save()
    Article.objects.filter(pk=article.pk).update(content_version=new_version())
    return blocks


def image_save(*, image: Image, file_changed: bool) -> Image:
    """Save the image; when its file is new, make its resized copies (and drop the old ones)."""
    with transaction.atomic():
        old = None
        if file_changed and image.pk:
            old = Image.objects.filter(pk=image.pk).values_list("file", "renditions").first()
        elif image.pk:
            # The form set the file again, and ImageField read the size of the file as stored,
            # not as its upright copies show it.
            image.width, image.height = (
                Image.objects.filter(pk=image.pk).values_list("width", "height").get()
            )
        image.save()  # stores a new file
        if file_changed:
            image.renditions, image.width, image.height = images.make_renditions(
                image.file.name, storage=image.file.storage
            )
            image.save(update_fields=["renditions", "width", "height"])
        if old is not None:
            storage = image.file.storage
            transaction.on_commit(lambda: images.delete_files(old[0], old[1], storage=storage))
        # The articles showing it show other text or files now.
        version = new_version()
        Article.objects.filter(blocks__image=image).update(content_version=version)
        Article.objects.filter(featured_image=image).update(content_version=version)
    return image
