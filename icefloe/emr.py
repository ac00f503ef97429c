"""The EMR Serverless side of the batch jobs: the artifacts the jobs expect on S3, and their upload.

    icefloe emr package            dist/emr/ laid out as on S3
    icefloe emr upload s3://bucket[/prefix] [--endpoint-url ...]

The S3 layout is the one `airflow/dags/icefloe_pipeline.py` submits against (ENTRY_POINT,
PY_FILES, ARCHIVE there): the job files under their repository paths, plus one archive holding
`sql/**` and `jobs/spark/conf/**` (as `conf/`) that EMR unpacks beside the driver as `./icefloe`
(`ICEFLOE_SQL_DIR=./icefloe/sql`). The same files run locally; only where they are read from differs.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import typer

from icefloe import PROJECT_ROOT

log = logging.getLogger(__name__)

JOBS = ("staging", "entity_resolution", "layers", "maintenance")
PY_FILES = ("jobs/spark/icefloe_spark.py", "jobs/spark/er_core.py")
ARCHIVE = "jobs/spark/icefloe-spark-jobs.zip"


def artifact_files(root: Path = PROJECT_ROOT) -> dict[str, Path]:
    """S3 key (relative to the artifacts prefix) -> local file, the archive excluded."""
    files = {f"jobs/spark/{job}.py": root / "jobs" / "spark" / f"{job}.py" for job in JOBS}
    files.update({key: root / key for key in PY_FILES})
    missing = [str(p) for p in files.values() if not p.exists()]
    if missing:
        raise FileNotFoundError(f"job files missing: {missing}; run from a complete checkout")
    return files


def build_archive(target: Path, root: Path = PROJECT_ROOT) -> Path:
    """The zip with `sql/**` and `conf/**` (jobs/spark/conf), deterministic (sorted, fixed times)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    entries = [(p, p.relative_to(root).as_posix()) for p in sorted((root / "sql").rglob("*")) if p.is_file()]
    conf = root / "jobs" / "spark" / "conf"
    entries += [(p, "conf/" + p.relative_to(conf).as_posix()) for p in sorted(conf.rglob("*")) if p.is_file()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for path, name in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, path.read_bytes())
    return target


def package(out_dir: Path) -> dict[str, Path]:
    """Every artifact, laid out under `out_dir` as under the S3 prefix. Returns key -> file."""
    files = artifact_files()
    laid_out = {}
    for key, src in files.items():
        dst = out_dir / key
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
        laid_out[key] = dst
    laid_out[ARCHIVE] = build_archive(out_dir / ARCHIVE)
    return laid_out


def upload(s3_client, uri: str, out_dir: Path) -> list[str]:
    """Package and put every artifact under `uri` (s3://bucket[/prefix]); returns the S3 URIs."""
    if not uri.startswith("s3://"):
        raise ValueError(f"artifacts URI must look like s3://bucket[/prefix], got {uri!r}")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    prefix = prefix.strip("/")
    done = []
    for key, path in package(out_dir).items():
        full = f"{prefix}/{key}" if prefix else key
        s3_client.upload_file(str(path), bucket, full)
        done.append(f"s3://{bucket}/{full}")
        log.info("uploaded %s", done[-1])
    return done


app = typer.Typer(no_args_is_help=True, help="The batch jobs' artifacts for EMR Serverless.")


@app.command("package")
def package_cmd(out_dir: Path = typer.Option(PROJECT_ROOT / "dist" / "emr", help="Where to lay them out.")) -> None:
    """Lay the artifacts out locally as they go on S3."""
    for key, path in package(out_dir).items():
        typer.echo(f"{key}  ({path.stat().st_size} bytes)")


@app.command("upload")
def upload_cmd(uri: str = typer.Argument(..., help="s3://bucket[/prefix] (the aws workspace's artifacts bucket)"),
               endpoint_url: str = typer.Option(None, help="An S3-compatible endpoint instead of AWS."),
               out_dir: Path = typer.Option(PROJECT_ROOT / "dist" / "emr")) -> None:
    """Package and upload the artifacts the DAG's EMR Serverless tasks read."""
    import boto3

    for done in upload(boto3.client("s3", endpoint_url=endpoint_url), uri, out_dir):
        typer.echo(done)
