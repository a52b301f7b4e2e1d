from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify
from tqdm import tqdm

from sharing.catalogue.feed_import.jobs import import_job_create, import_job_run
from sharing.catalogue.models import FeedSource


class Command(BaseCommand):
    help = "导入仪器数据（CSV 或 XLSX，国家单台套仪器字段）/ Import an instrument feed."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", help="数据源名称 / the feed source's name (a slug)")
        parser.add_argument(
            "--full",
            action="store_true",
            help="该数据源中文件里没有的仪器标记为撤回 / mark the source's missing rows withdrawn",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="只检查，不写入 / check only, store nothing"
        )
        parser.add_argument("--quiet-progress", action="store_true", help="no progress bar")

    def handle(self, *args, path: Path, source=None, full=False, dry_run=False, **options):
        if not path.is_file():
            raise CommandError(f"找不到文件 / no such file: {path}")
        if full and not source:
            raise CommandError("--full 需要 --source / --full needs --source")
        feed_source = None
        if source:
            if slugify(source) != source:
                raise CommandError("--source 只能含字母、数字、-、_ / use a slug for --source")
            feed_source, _ = FeedSource.objects.get_or_create(
                name=source, defaults={"location": str(path.resolve()), "full": full}
            )
        job = import_job_create(source=feed_source, full=full, dry_run=dry_run)
        job.original_filename = path.name
        job.bytes_total = path.stat().st_size
        job.save(update_fields=["original_filename", "bytes_total"])

        bar = tqdm(
            total=job.bytes_total,
            unit="B",
            unit_scale=True,
            desc="导入 import",
            disable=options["quiet_progress"] or None,
            file=self.stderr._out,
        )

        def progress(counts, done, total):
            bar.total = total
            bar.update(max(0, done - bar.n))
            bar.set_postfix(rows=counts.rows_read, rejected=counts.rejected, refresh=False)

        job = import_job_run(job_id=job.pk, path=path, on_progress=progress)
        bar.close()
        self._summary(job)
        if job.status != job.Status.SUCCEEDED:
            raise CommandError(f"导入失败 / import failed: {job.error}")

    def _summary(self, job):
        out = self.stdout
        prefix = "（试运行，未写入 / dry run, nothing stored）" if job.dry_run else ""
        out.write(
            f"{prefix}读取 read {job.rows_read} · 新增 created {job.created} · "
            f"更新 updated {job.updated} · 未变 unchanged {job.unchanged} · "
            f"拒绝 rejected {job.rejected} · 撤回 withdrawn {job.withdrawn}"
        )
        for rejection in job.rejections.all()[:50]:
            out.write(
                f"  第 {rejection.row_number} 行 row · {rejection.column or '—'} · "
                f"{rejection.reason}" + (f"（{rejection.value}）" if rejection.value else "")
            )
        if job.rejected > 50:
            out.write(f"  … GET /api/imports/{job.pk}/ lists every rejected row")
