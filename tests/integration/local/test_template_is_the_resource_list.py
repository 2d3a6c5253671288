"""Provisioning reads the template every run: no second resource list kept by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from localcloud.testing import local_cloud_inprocess

pytestmark = pytest.mark.integration

BASIC_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "templates" / "basic"


def test_a_queue_added_to_the_template_exists_on_the_next_run(tmp_path: Path) -> None:
    copy = tmp_path / "basic"
    shutil.copytree(BASIC_DIR, copy)
    text = (copy / "template.yaml").read_text()
    text = text.replace(
        "Resources:\n",
        "Resources:\n  AddedQueue:\n    Type: AWS::SQS::Queue\n"
        "    Properties: {QueueName: added-queue, VisibilityTimeout: 7}\n",
        1,
    )
    (copy / "template.yaml").write_text(text)
    with local_cloud_inprocess(copy / "template.yaml", gateway=False) as fresh:
        sqs = fresh.client("sqs")
        url = sqs.get_queue_url(QueueName="added-queue")["QueueUrl"]
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        assert attrs["Attributes"]["VisibilityTimeout"] == "7"
        assert fresh.stack is not None and fresh.stack.queues["AddedQueue"] == url
