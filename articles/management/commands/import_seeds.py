"""Import seed articles and their comments: ``python manage.py import_seeds [PATH …]``.

Each seed is imported in a transaction of its own; running the command again changes nothing, and
after a seed or its companion is edited it updates the article to match. ``--dry-run`` prints what
it read without writing; ``--write-companion`` saves the guessed comment structure beside a seed
that has no companion, for a person to review.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from articles.importer import check_seed, seed_import
from articles.seeds import Seed, SeedError, companion_path, format_companion, load_seed


def seed_paths(paths: list[str]) -> list[Path]:
    """The seed files named (directories expand to the .txt files in them), or all in SEEDS_DIR."""
    found: list[Path] = []
    for path in [Path(p) for p in paths] or [Path(settings.SEEDS_DIR)]:
        if path.is_dir():
            found.extend(sorted(path.glob("*.txt")))
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{path}: no such file or directory")
    return found


def describe_seed(seed: Seed) -> list[str]:
    """The parsed article and its comment tree, indented, as text lines."""
    lines = [
        f"title: {seed.title}",
        f"slug: {seed.slug}",
        f"lead: {seed.lead}",
        *(f"参考: {title}" for title in seed.references),
        f"paragraphs: {len(seed.paragraphs)}",
        *(
            f"image after paragraph {item.after_paragraph}: {item.credit.source} / "
            f"{item.credit.licence} {item.credit.subject}".rstrip()
            for item in seed.inline_credits
        ),
        *(f"関連記事: {title}" for title in seed.related),
    ]
    if seed.featured_credit:
        credit = seed.featured_credit
        lines.append(
            f"featured image: {credit.source} / {credit.licence} {credit.subject}".rstrip()
        )
    threads = sum(1 for c in seed.comments if c.reply_to is None)
    lines.append(f"comments: {len(seed.comments)} in {threads} threads")
    depth: dict[int, int] = {}
    for comment in seed.comments:
        depth[comment.index] = depth[comment.reply_to] + 1 if comment.reply_to else 0
        span = f"{comment.first_line}-{comment.last_line}"
        first, *rest = comment.body.splitlines()
        more = f" (+{len(rest)} lines)" if rest else ""
        lines.append(f"{'  ' * (depth[comment.index] + 1)}#{comment.index} [{span}] {first}{more}")
    return lines


class Command(BaseCommand):
    help = "Import seed articles (every .txt in SEEDS_DIR, or the paths given) and their comments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="seed files or directories")
        parser.add_argument(
            "--dry-run", action="store_true", help="print the parsed seeds; write nothing"
        )
        parser.add_argument(
            "--write-companion",
            action="store_true",
            help="save the guessed comment structure beside seeds that have no companion file",
        )

    def handle(self, *args, paths: list[str], dry_run: bool, write_companion: bool, **options):
        # Every seed is read before any is written: a malformed one stops the run unchanged.
        try:
            seeds = [load_seed(path) for path in seed_paths(paths)]
            for seed in seeds:
                check_seed(seed)
        except SeedError as error:
            raise CommandError(str(error)) from error
        for seed in seeds:
            path = seed.path
            if seed.guessed:
                self.stderr.write(
                    self.style.WARNING(
                        f"{path}: no companion file {companion_path(path).name}; guessed the "
                        f"comment structure ({len(seed.comments)} comments, "
                        f"{sum(1 for c in seed.comments if c.reply_to)} replies)"
                    )
                )
                if write_companion:
                    companion_path(path).write_text(format_companion(seed), encoding="utf-8")
                    self.stdout.write(f"{companion_path(path)}: written; review and re-import")
            if dry_run:
                self.stdout.write(f"{path} (dry run, nothing written)")
                for line in describe_seed(seed):
                    self.stdout.write(f"  {line}")
                continue
            try:
                report = seed_import(seed)
            except SeedError as error:
                raise CommandError(str(error)) from error
            if report.created:
                message = f"{path}: imported {len(seed.comments)} comments"
            elif report.changes:
                message = f"{path}: updated ({'; '.join(report.changes)})"
            else:
                message = f"{path}: unchanged"
            self.stdout.write(self.style.SUCCESS(message))
