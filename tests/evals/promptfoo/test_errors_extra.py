"""A test's ``vars``, ``options`` and ``metadata`` that are not mappings are one clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops.errors import ConfigError
from llmops.workflows.evals.loader import load_suite


@pytest.mark.parametrize("key", ["vars", "options", "metadata"])
def test_a_non_mapping_test_section_names_the_file_line_and_key(tmp_path: Path, key: str) -> None:
    (tmp_path / "promptfooconfig.yaml").write_text('prompts: ["hi {{x}}"]\ntests: file://t.jsonl\n')
    (tmp_path / "t.jsonl").write_text(f'{{"vars": {{"x": 1}}}}\n{{"{key}": true}}\n')

    with pytest.raises(ConfigError) as err:
        load_suite(str(tmp_path / "promptfooconfig.yaml"))

    assert f"t.jsonl:2: [1].{key}: expected a mapping, got bool" in str(err.value)
