"""A minimal OpenAI-compatible server on loopback, for the teacher tests: scripted answers and failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from typing_extensions import Self


class StubTeacher:
    """Serves /v1/chat/completions and /v1/completions. The first requests get the statuses in `failures`
    (in arrival order, with `Retry-After: 0`); every other request gets `answer(prompt)`."""

    def __init__(self, answer: Callable[[str], str], failures: list[int] | None = None) -> None:
        self.answer = answer
        self.failures = list(failures or [])
        self.requests: list[dict] = []  # every request: path, body, authorization, status sent
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with stub.lock:
                    status = stub.failures.pop(0) if stub.failures else 200
                    stub.requests.append(
                        {
                            "path": self.path,
                            "body": body,
                            "status": status,
                            "authorization": self.headers.get("Authorization"),
                        }
                    )
                if status != 200:
                    return self._send(status, {"error": {"message": "scripted failure"}}, {"Retry-After": "0"})
                chat = self.path.endswith("/chat/completions")
                prompt = body["messages"][-1]["content"] if chat else body["prompt"]
                text = stub.answer(prompt)
                choice = {"message": {"role": "assistant", "content": text}} if chat else {"text": text}
                self._send(200, {"object": "chat.completion" if chat else "text_completion", "choices": [choice]})

            def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answered(self) -> int:
        return sum(1 for r in self.requests if r["status"] == 200)
