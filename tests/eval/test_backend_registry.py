"""Backends are registered by decorator; a spec `kind:rest` reaches the registered class's from_spec."""

import pytest

from bbt.errors import BBTError
from bbt.eval.backends import base, load_backend, register_backend, spec_help


def test_a_registered_kind_is_loaded_by_its_spec(monkeypatch):
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))

    @register_backend("echo", "echo:PREFIX")
    class Echo:
        def __init__(self, prefix):
            self.name, self.prefix = f"echo:{prefix}", prefix

        @classmethod
        def from_spec(cls, rest):
            return cls(rest)

        def generate(self, task, examples):
            return [self.prefix + e.input for e in examples]

    assert load_backend("ECHO:>").prefix == ">" and "echo:PREFIX" in spec_help()
    with pytest.raises(ValueError, match="registered twice"):
        register_backend("echo", "echo:X")(Echo)


def test_the_built_in_kinds_and_the_error_that_lists_them(tmp_path):
    import bbt.bundle.backend  # noqa: F401  (bundle:DIR registers itself from the layer above the harness)

    assert spec_help() == ("a BBT checkpoint DIR, hf:PATH (local Hugging Face model), openai:URL[#MODEL], "
                           "baseline:DIR, dummy[:first|:gold], or bundle:DIR (what a model bundle serves)")
    with pytest.raises(BBTError, match="expected a BBT checkpoint DIR"):
        load_backend("hf")  # a kind that needs a path, given none, is not a spec
    with pytest.raises(BBTError, match="BBT checkpoint directory not found"):
        load_backend(f"bbt:{tmp_path / 'missing'}")
