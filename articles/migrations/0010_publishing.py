import articles.images
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0009_article_content_version"),
        # RenameModel renames the content type too (forwards and backwards): in its final shape.
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="paragraph", name="paragraph_unique_position"),
        migrations.RenameModel(old_name="Paragraph", new_name="Block"),
        migrations.CreateModel(
            name='Image',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.ImageField(height_field='height', help_text='JPEG, PNG, GIF or WebP, at most 15 MB.', upload_to='images/%Y/%m/', validators=[articles.images.validate_image_file], verbose_name='file', width_field='width')),
                ('alt', models.CharField(help_text='What the image shows, for readers who cannot see it.', max_length=300, verbose_name='alternative text')),
                ('width', models.PositiveIntegerField(editable=False, verbose_name='width')),
                ('height', models.PositiveIntegerField(editable=False, verbose_name='height')),
                ('source', models.CharField(max_length=200, verbose_name='source')),
                ('licence', models.CharField(max_length=100, verbose_name='licence')),
                ('subject', models.CharField(blank=True, max_length=200, verbose_name='subject')),
                ('renditions', models.JSONField(blank=True, default=dict, editable=False)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='uploaded')),
            ],
            options={
                'verbose_name': 'image',
                'verbose_name_plural': 'images',
                'ordering': ('-uploaded_at', '-pk'),
                'constraints': [models.CheckConstraint(condition=models.Q(('alt', ''), _negated=True), name='image_alt_not_empty')],
            },
        ),
        migrations.CreateModel(
            name='Section',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                ('slug', models.SlugField(allow_unicode=True, max_length=100, unique=True, verbose_name='slug')),
                ('position', models.PositiveIntegerField(default=0, verbose_name='position')),
            ],
            options={
                'verbose_name': 'section',
                'verbose_name_plural': 'sections',
                'ordering': ('position', 'name'),
            },
        ),
        migrations.AlterModelOptions(
            name='block',
            options={'ordering': ('article', 'position'), 'verbose_name': 'block', 'verbose_name_plural': 'blocks'},
        ),
        migrations.AddField(
            model_name='article',
            name='author',
            field=models.ForeignKey(blank=True, limit_choices_to={'is_staff': True}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='articles', to=settings.AUTH_USER_MODEL, verbose_name='author'),
        ),
        migrations.AddField(
            model_name='article',
            name='status',
            field=models.CharField(choices=[('draft', 'draft'), ('published', 'published')], default='published', max_length=10, verbose_name='status'),
        ),
        migrations.AddField(
            model_name='block',
            name='kind',
            field=models.CharField(choices=[('paragraph', 'paragraph'), ('heading', 'heading'), ('subheading', 'subheading'), ('quote', 'quote'), ('list', 'list (one item a line)'), ('numbered', 'numbered list (one item a line)'), ('image', 'image')], default='paragraph', max_length=10, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='article',
            name='published_at',
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, help_text='A time in the future schedules the article: readers see it from then on.', verbose_name='published'),
        ),
        migrations.AlterField(
            model_name='article',
            name='slug',
            field=models.SlugField(allow_unicode=True, blank=True, help_text="The article's address. Empty: made from the title. It cannot change once the article has comments.", max_length=100, unique=True, verbose_name='slug'),
        ),
        migrations.AlterField(
            model_name='block',
            name='article',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='blocks', to='articles.article'),
        ),
        migrations.AlterField(
            model_name='block',
            name='text',
            field=models.TextField(blank=True, verbose_name='text'),
        ),
        migrations.CreateModel(
            name='ArticleRedirect',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('old_slug', models.SlugField(allow_unicode=True, max_length=100, unique=True, verbose_name='old slug')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='changed at')),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='redirects', to='articles.article')),
            ],
            options={
                'verbose_name': 'old address',
                'verbose_name_plural': 'old addresses',
                'ordering': ('article', '-created_at'),
            },
        ),
        migrations.AddField(
            model_name='article',
            name='featured_image',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='articles.image', verbose_name='featured image'),
        ),
        migrations.AddField(
            model_name='block',
            name='image',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='blocks', to='articles.image', verbose_name='image'),
        ),
        migrations.AddConstraint(
            model_name='block',
            constraint=models.UniqueConstraint(fields=('article', 'position'), name='block_unique_position'),
        ),
        migrations.AddConstraint(
            model_name='block',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['paragraph', 'heading', 'subheading', 'quote', 'list', 'numbered', 'image'])), name='block_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='block',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('image__isnull', False), ('kind', 'image')), models.Q(models.Q(('kind', 'image'), _negated=True), ('image__isnull', True), models.Q(('text', ''), _negated=True)), _connector='OR'), name='block_has_content'),
        ),
        migrations.AddField(
            model_name='article',
            name='section',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='articles', to='articles.section', verbose_name='section'),
        ),
        migrations.AddConstraint(
            model_name='article',
            constraint=models.CheckConstraint(condition=models.Q(('slug', ''), _negated=True), name='article_slug_not_empty'),
        ),
        migrations.AddConstraint(
            model_name='article',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='article_status_valid'),
        ),
        ]
