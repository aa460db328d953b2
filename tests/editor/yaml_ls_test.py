#!/usr/bin/env python3
"""What an editor shows for a layout, asked of yaml-language-server 1.x (tools/, installed
by scripts/deps.sh from npm) with the layout schema and the schema store switched off (no
network): at a new list entry the completion offers exactly the entry kinds, each
documented; inside an entry, that kind's keys; hover on a key with a default shows the
default; and the schema gives editors an $id, a title per kind and examples.

Usage: yaml_ls_test.py SOURCE_DIR [unittest args]
"""
import json
import pathlib
import sys
import tempfile
import time
import unittest

from lsp_client import LspClient

SOURCE = pathlib.Path(".")


class YamlLanguageServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.schema_path = SOURCE / "schemas/layout.schema.json"
        cls.schema = json.loads(cls.schema_path.read_text())
        server = SOURCE / "tools/node_modules/.bin/yaml-language-server"
        if not server.exists():
            raise AssertionError(f"{server} is missing: run scripts/deps.sh")
        cls.dir = tempfile.TemporaryDirectory()
        cls.client = LspClient([str(server), "--stdio"])
        cls.client.start(pathlib.Path(cls.dir.name).as_uri(), {"yaml": {
            "schemas": {cls.schema_path.resolve().as_uri(): "*.yaml"},
            "schemaStore": {"enable": False}, "completion": True, "hover": True}})
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.dir.cleanup()

    def open(self, text):
        type(self).count += 1
        uri = (pathlib.Path(self.dir.name) / f"layout{self.count}.yaml").as_uri()
        self.client.open(uri, text)
        return uri

    def complete(self, text, line, character):
        uri = self.open(text)
        # The first request after opening may come before the schema is loaded.
        for _ in range(100):
            items = self.client.completion(uri, line, character)
            if items:
                return items
            time.sleep(0.1)
        return []

    def kinds(self):
        return [branch["required"][0] for branch in self.schema["definitions"]["entry"]["oneOf"]]

    def test_a_new_entry_offers_exactly_the_entry_kinds(self):
        items = self.complete("version: 1\nmounts:\n  - bind: /usr\n  - b\n", 3, 5)
        self.assertEqual(sorted(item["label"] for item in items), sorted(self.kinds()))
        for item in items:
            self.assertTrue(item.get("documentation"), item["label"])

    def test_inside_a_bind_entry_its_keys_are_offered(self):
        items = self.complete("version: 1\nmounts:\n  - bind: /usr\n    r\n", 3, 5)
        labels = {item["label"] for item in items}
        self.assertTrue({"from", "readonly", "recursive", "optional", "options"} <= labels,
                        labels)
        self.assertNotIn("size", labels)  # a tmpfs key

    def test_hover_shows_a_default(self):
        uri = self.open("version: 1\nmounts:\n  - bind: /usr\n    recursive: false\n")
        for _ in range(100):
            hover = self.client.hover(uri, 3, 6)
            if hover:
                break
            time.sleep(0.1)
        self.assertIn("recursive (default: true)", hover["contents"]["value"])

    def test_the_schema_has_what_editors_use(self):
        self.assertTrue(self.schema["$id"].endswith("/layout.schema.json"))
        definitions = self.schema["definitions"]
        for kind in self.kinds():
            self.assertTrue(definitions[kind + "Entry"]["title"].startswith(kind + ":"))
        for name in ("size", "mode", "path"):
            self.assertTrue(definitions[name]["examples"], name)
        options = definitions["options"]["items"]
        self.assertEqual(len(options["enumDescriptions"]), len(options["enum"]))


if __name__ == "__main__":
    SOURCE = pathlib.Path(sys.argv[1])
    unittest.main(argv=[sys.argv[0], *sys.argv[2:]])
