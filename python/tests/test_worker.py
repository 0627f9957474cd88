"""The Python worker's settings, as `conveyor python-worker` hands them over."""
from __future__ import annotations

import json
import unittest

from temporalio.service import TLSConfig

from conveyor_worker.worker import settings_of

GIVEN = {"address": "temporal:7233", "namespace": "prod", "taskQueue": "conveyor-python", "slots": 4, "lakeDir": "/lake", "pipelinesDirs": ["/p"], "shutdownGraceSeconds": 30, "tls": None}


class SettingsOf(unittest.TestCase):
    def test_reads_what_the_launcher_resolved(self) -> None:
        settings = settings_of(json.dumps(GIVEN))
        self.assertEqual((settings.address, settings.namespace, settings.task_queue, settings.slots, settings.lake_dir), ("temporal:7233", "prod", "conveyor-python", 4, "/lake"))
        self.assertIs(settings.tls, False)
        self.assertIsNone(settings.api_key)

    def test_tls_and_an_api_key(self) -> None:
        settings = settings_of(json.dumps({**GIVEN, "tls": {"serverRootCaCert": "PEM", "serverName": "temporal.example"}, "apiKey": "secret"}))
        self.assertIsInstance(settings.tls, TLSConfig)
        assert isinstance(settings.tls, TLSConfig)
        self.assertEqual((settings.tls.server_root_ca_cert, settings.tls.domain, settings.tls.client_cert), (b"PEM", "temporal.example", None))
        self.assertEqual(settings.api_key, "secret")

    def test_missing_or_malformed_settings_are_refused_in_one_line(self) -> None:
        with self.assertRaises(SystemExit) as missing:
            settings_of(None)
        self.assertEqual(str(missing.exception), "conveyor python-worker: CONVEYOR_PYTHON_WORKER_SETTINGS is not set: start the Python worker with `npx conveyor python-worker`")
        with self.assertRaises(SystemExit) as malformed:
            settings_of(json.dumps({**GIVEN, "slots": "many"}))
        self.assertRegex(str(malformed.exception), r"^conveyor python-worker: invalid CONVEYOR_PYTHON_WORKER_SETTINGS: ValueError")


if __name__ == "__main__":
    unittest.main()
