"""JupyterLab opens the notebooks with the project's environment: REST API lists them, a kernel imports corpus_utils."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

import pytest
from labserver import Server, running_lab

from corpus_utils.core.paths import NOTEBOOKS_DIR, PROJECT_ROOT

REPLY_TIMEOUT = 60


@pytest.fixture
def lab_server(tmp_path: Path):
    """JupyterLab with its root at the repository."""
    with running_lab(tmp_path, PROJECT_ROOT) as server:
        yield server


def _execute_over_websocket(server: Server, kernel_id: str, code: str) -> tuple[str, str]:
    """Send one execute_request over the kernel's websocket; return (stdout text, reply status)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    async def run() -> tuple[str, str]:
        url = f"ws://127.0.0.1:{server.base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}/channels"
        connection = await asyncio.wait_for(
            websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {server.token}"})), REPLY_TIMEOUT
        )
        msg_id = uuid.uuid4().hex
        await connection.write_message(
            json.dumps(
                {
                    "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                               "date": "", "version": "5.3"},
                    "parent_header": {},
                    "metadata": {},
                    "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                                "allow_stdin": False, "stop_on_error": True},
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        stdout, status, idle = [], None, False
        deadline = time.monotonic() + REPLY_TIMEOUT
        try:
            while status is None or not idle:
                raw = await asyncio.wait_for(connection.read_message(), max(deadline - time.monotonic(), 0.1))
                if raw is None:
                    break
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["header"]["msg_type"]
                if kind == "stream":
                    stdout.append(message["content"]["text"])
                elif kind == "error":
                    stdout.append("\n".join(message["content"]["traceback"]))
                elif kind == "execute_reply":
                    status = message["content"]["status"]
                elif kind == "status" and message["content"]["execution_state"] == "idle":
                    idle = True
        finally:
            connection.close()
        return "".join(stdout), str(status)

    return asyncio.run(run())


def test_jupyterlab_lists_the_notebooks_and_its_kernel_imports_corpus_utils(lab_server):
    root = lab_server.request("GET", "/api/contents")
    assert {"notebooks", "corpus_utils", "README.md"} <= {item["name"] for item in root["content"]}
    listing = lab_server.request("GET", "/api/contents/notebooks")
    listed = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
    assert listed == sorted(path.name for path in NOTEBOOKS_DIR.glob("*.ipynb"))
    assert listed, "notebooks/ holds no notebook"

    kernel = lab_server.request("POST", "/api/kernels", {"name": "python3"})
    try:
        output, status = _execute_over_websocket(
            lab_server, kernel["id"],
            "import sys, corpus_utils\nfrom corpus_utils.core.paths import PROJECT_ROOT\n"
            "print(PROJECT_ROOT)\nprint(sys.prefix)",
        )
    finally:
        lab_server.request("DELETE", f"/api/kernels/{kernel['id']}")
    assert status == "ok", output
    project_root, prefix = output.split()
    assert Path(project_root) == PROJECT_ROOT
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()  # the kernel runs in the project's environment
    assert all(item["id"] != kernel["id"] for item in lab_server.request("GET", "/api/kernels"))
