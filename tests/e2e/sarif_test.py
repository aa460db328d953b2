#!/usr/bin/env python3
"""`plan --format sarif` for CI code scanning: the output validates against the SARIF
2.1.0 JSON Schema (the one the npm package @microsoft/jest-sarif ships, installed into
tools/ by scripts/deps.sh) with python3-jsonschema, and says what `plan --format json`
says: each diagnostic's code, level, message, file, line and column, in order.

Usage: sarif_test.py ROOTFSCTL_BINARY SOURCE_DIR [unittest args]
"""
import json
import pathlib
import sys
import unittest

import jsonschema

import support
from support import rootfsctl

SCHEMA = "tools/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"


class SarifTest(unittest.TestCase):
    def setUp(self):
        path = support.SOURCE / SCHEMA
        if not path.exists():
            self.fail(f"{path} is missing: run scripts/deps.sh")
        self.schema = json.loads(path.read_text())

    def layouts(self):
        return sorted((support.SOURCE / "tests/data/semantic").glob("*.yaml")) + [
            support.SOURCE / "manifests/sandbox.yaml"]

    def test_every_semantic_layout(self):
        seen_positions = 0
        for layout in self.layouts():
            with self.subTest(layout.name):
                sarif = rootfsctl("plan", layout, "--format", "sarif")
                plan = rootfsctl("plan", layout, "--format", "json")
                self.assertEqual(sarif.returncode, plan.returncode)
                log = json.loads(sarif.stdout)
                jsonschema.validate(log, self.schema)
                results = log["runs"][0]["results"]
                diagnostics = json.loads(plan.stdout)["diagnostics"]
                self.assertEqual([(r["ruleId"], r["level"], r["message"]["text"])
                                  for r in results],
                                 [(d["code"], d["severity"], d["message"]) for d in diagnostics])
                rules = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
                self.assertEqual(sorted(rules), sorted({r["ruleId"] for r in results}))
                for result, diagnostic in zip(results, diagnostics):
                    origin = diagnostic["origin"]
                    if origin.startswith("implicit"):
                        self.assertNotIn("locations", result)
                        continue
                    where = result["locations"][0]["physicalLocation"]
                    if "region" not in where:  # the layout as a whole
                        self.assertEqual(origin, where["artifactLocation"]["uri"])
                        continue
                    self.assertEqual(origin, f"{where['artifactLocation']['uri']}:"
                                             f"{where['region']['startLine']}")
                    seen_positions += 1
        self.assertGreater(seen_positions, 5, "too few diagnostics with a position")

    def test_a_broken_log_is_refused_by_the_schema(self):
        # The check can fail: a result without a message is not SARIF.
        log = json.loads(rootfsctl("plan", support.SOURCE / "tests/data/semantic/shadowed.yaml",
                                   "--format", "sarif").stdout)
        del log["runs"][0]["results"][0]["message"]
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.validate(log, self.schema)


if __name__ == "__main__":
    support.configure(sys.argv[1], sys.argv[2])
    unittest.main(argv=[sys.argv[0], *sys.argv[3:]])
