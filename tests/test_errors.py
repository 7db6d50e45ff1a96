"""A UserError raised inside a Ray task or a Ray Data transform reaches the command line as one message."""

from __future__ import annotations

import pytest

from ecomgpt.cli import main
from ecomgpt.errors import user_error_in
from ecomgpt.generate.passes import configure_data_context
from ecomgpt.storage import StorageError


def _refused(batch):
    raise StorageError("s3://bucket/run/part-0.jsonl: AWS Error ACCESS_DENIED")


def test_a_user_error_raised_in_ray_data_is_found_behind_its_wrappers(ray_local):
    import ray

    configure_data_context()  # generate's settings
    with pytest.raises(Exception) as caught:
        ray.data.range(2).map_batches(_refused).materialize()
    assert type(caught.value) is not StorageError  # wrapped by Ray
    found = user_error_in(caught.value)
    assert type(found) is StorageError
    assert str(found).splitlines()[0] == "s3://bucket/run/part-0.jsonl: AWS Error ACCESS_DENIED"

    @ray.remote
    def task():
        _refused(None)

    with pytest.raises(Exception) as caught:
        ray.get(task.remote())
    assert str(user_error_in(caught.value)).splitlines()[0] == "s3://bucket/run/part-0.jsonl: AWS Error ACCESS_DENIED"
    assert user_error_in(RuntimeError("a bug")) is None


def test_the_command_line_prints_one_line_for_a_user_error(capsys, tmp_path, ray_local):
    # On the session's Ray: `generate` connects to Ray before it plans.
    assert main(["generate", "--input", str(tmp_path / "absent"), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "absent" in err[0]
