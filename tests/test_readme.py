"""The README's library example runs as written and synthesizes a stack that passes the policy."""

from __future__ import annotations

import json

from tests.conftest import ROOT


def test_readme_example_synthesizes(tmp_path):
    text = (ROOT / "README.md").read_text()
    code = text.split("## Using the constructs in your own stack", 1)[1].split("```python", 1)[1]
    code = code.split("```", 1)[0]
    assert "app = App()" in code
    exec(
        compile(code.replace("app = App()", f"app = App(outdir={str(tmp_path)!r})"), "README.md", "exec"), {}
    )
    doc = json.loads((tmp_path / "stacks" / "dev" / "cdk.tf.json").read_text())
    assert doc["resource"]["aws_apprunner_service"]
    assert doc["resource"]["aws_apigatewayv2_route"]
    (association,) = doc["resource"]["aws_apprunner_custom_domain_association"].values()
    assert association["domain_name"] == "dev.acme.example"
    (domain,) = doc["resource"]["aws_apigatewayv2_domain_name"].values()
    assert domain["domain_name"] == "api.dev.acme.example"
